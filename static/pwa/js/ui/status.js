// One line that says what the connection and the last sync are doing, and one that says how long
// ago the phone last synced (a phone that has not synced for days is holding things at risk).
// A sync that leaves refused items behind says how many wait for the inspector, never "synced".
import {onAnnounce} from '../events.js';
import {onLangChange, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import {countNeedingAttention} from '../sync/engine.js';

const line = () => document.querySelector('[data-field="net-status"]');
const loginButton = () => document.querySelector('[data-action="login"]');

let said = null; // what the line says, to say it again in the other language

function say(key, params = {}) {
  said = {key, params};
  line().textContent = t(key, params);
  line().dataset.state = key;
}

/** The line after a sync that went through: done, or how many items need the inspector. */
function sayDone(needsAttention) {
  if (needsAttention > 0) say('net.attention', {n: needsAttention});
  else say('net.synced');
}

/** "Last synced 5 min ago" for an ISO time (null: never), as of `now`. */
export function syncedAgo(last, now = Date.now()) {
  if (!last) return t('sync.ago_never');
  const minutes = Math.max(0, Math.floor((now - new Date(last).getTime()) / 60000));
  if (minutes < 1) return t('sync.ago_now');
  if (minutes < 60) return t('sync.ago_minutes', {n: minutes});
  if (minutes < 48 * 60) return t('sync.ago_hours', {n: Math.floor(minutes / 60)});
  return t('sync.ago_days', {n: Math.floor(minutes / 1440)});
}

async function renderLastSync() {
  const last = await getMeta('lastSyncAt');
  const element = document.querySelector('[data-field="last-sync"]');
  element.textContent = syncedAgo(last);
  element.dataset.lastSync = last || '';
}

export function mountStatus() {
  renderLastSync();
  setInterval(renderLastSync, 30000);
  onAnnounce('sync-finished', renderLastSync);
  let failed = false;
  const connection = () => say(navigator.onLine ? 'net.syncing' : 'net.offline');
  window.addEventListener('online', connection);
  window.addEventListener('offline', connection);
  onAnnounce('sync-started', () => say('net.syncing'));
  onAnnounce('sync-finished', (result) => {
    failed = !result.ok;
    loginButton().hidden = result.error !== 'NeedsLogin';
    if (result.ok) sayDone(result.needsAttention || 0);
    else if (result.error === 'NeedsLogin') say('net.login');
    else if (!navigator.onLine) say('net.offline');
  });
  onAnnounce('sync-scheduled', ({inMs}) => {
    if (failed && navigator.onLine) say('net.retry', {s: Math.round(inMs / 1000)});
  });
  onAnnounce('outbox-changed', async () => { // a refused item fixed or dropped: recount
    if (line().dataset.state !== 'net.attention') return;
    const n = await countNeedingAttention();
    if (line().dataset.state === 'net.attention') sayDone(n);
  });
  loginButton().addEventListener('click', () => location.assign('/login?next=/app/'));
  onLangChange(() => {
    renderLastSync();
    if (said) say(said.key, said.params);
  });
  if (!navigator.onLine) say('net.offline');
}

/** The device has no token (never logged in here, or it was revoked): the queue waits for a login. */
export function showLoginNeeded() {
  say('net.login');
  loginButton().hidden = false;
}
