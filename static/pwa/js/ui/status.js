// One line that says what the connection and the last sync are doing.
import {onAnnounce} from '../events.js';
import {t} from '../i18n.js';

const line = () => document.querySelector('[data-field="net-status"]');
const loginButton = () => document.querySelector('[data-action="login"]');

function say(key, params = {}) {
  line().textContent = t(key, params);
  line().dataset.state = key;
}

export function mountStatus() {
  let failed = false;
  const connection = () => say(navigator.onLine ? 'net.syncing' : 'net.offline');
  window.addEventListener('online', connection);
  window.addEventListener('offline', connection);
  onAnnounce('sync-started', () => say('net.syncing'));
  onAnnounce('sync-finished', (result) => {
    failed = !result.ok;
    loginButton().hidden = result.error !== 'NeedsLogin';
    if (result.ok) say('net.synced');
    else if (result.error === 'NeedsLogin') say('net.login');
    else if (!navigator.onLine) say('net.offline');
  });
  onAnnounce('sync-scheduled', ({inMs}) => {
    if (failed && navigator.onLine) say('net.retry', {s: Math.round(inMs / 1000)});
  });
  loginButton().addEventListener('click', () => location.assign('/login?next=/app/'));
  if (!navigator.onLine) say('net.offline');
}

/** The device has no token (never logged in here, or it was revoked): the queue waits for a login. */
export function showLoginNeeded() {
  say('net.login');
  loginButton().hidden = false;
}
