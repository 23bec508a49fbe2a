// Ask the browser to keep our storage (iOS Safari may otherwise wipe it after 7 days unused), and
// show how much is used, so a full phone is seen before a save fails.
import {onAnnounce} from '../events.js';
import {onLangChange, t} from '../i18n.js';

let persisted = null;

export async function requestPersistence() {
  if (!navigator.storage?.persist) return null; // not supported: nothing was refused
  persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  return persisted;
}

async function render() {
  const line = document.querySelector('[data-field="storage"]');
  if (!navigator.storage?.estimate) return;
  const {usage = 0, quota = 0} = await navigator.storage.estimate();
  const size = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  line.textContent = `${t('storage.usage', {used: size(usage), quota: size(quota)})} ` +
    t(persisted ? 'storage.persisted' : 'storage.not_persisted');
}

/** Refused (not merely unsupported): the browser may wipe what is queued, so say it where it is seen. */
function warnIfRefused() {
  const warning = document.querySelector('[data-field="storage-warning"]');
  warning.hidden = persisted !== false;
  warning.textContent = persisted === false ? t('storage.refused') : '';
}

export function mountStorage() {
  onAnnounce('outbox-changed', render);
  onLangChange(() => {
    warnIfRefused();
    render();
  });
  requestPersistence().catch(() => {}).finally(() => {
    warnIfRefused();
    render();
  });
}
