// When the page syncs: on app open, back online, visible again, on a timer while open, on the
// "sync now" button, and when the service worker's Background Sync asks. Failures back off with
// jitter; Background Sync (Chromium only) covers the time the app is closed.
import {announce, onAnnounce} from '../events.js';
import {retryDelay} from './backoff.js';
import {countSendable, SYNC_TAG, syncNow} from './engine.js';

const PERIOD_MS = 5 * 60_000; // while open, pull changes (status of own reports, tasks) this often
const SOON_MS = 1000;         // some reports need another round (their photos went missing)

let failures = 0;
let timer = null;

/** Sync now if the phone seems online; either way make sure Background Sync will try later. */
export async function requestSync() {
  // Only for what a sync can send: a refused item would have the worker ask for a sync forever.
  if (await countSendable()) await registerBackgroundSync();
  if (!navigator.onLine) return; // not to be trusted when true, but when false there is no point
  await syncNow().catch(() => {}); // the outcome is announced as 'sync-finished'
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(requestSync, ms);
  announce('sync-scheduled', {inMs: ms});
}

export function startTriggers() {
  onAnnounce('sync-finished', (result) => {
    if (result.ok) {
      failures = 0;
      schedule(result.retry ? SOON_MS : PERIOD_MS);
    } else if (result.error !== 'NeedsLogin') {
      failures += 1;
      schedule(retryDelay(failures));
    }
  });
  window.addEventListener('online', requestSync);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestSync();
  });
  navigator.serviceWorker?.addEventListener('message', (event) => {
    // The worker's Background Sync fired while this page is open. After a failure the page waits out
    // its backoff instead: each try registers Background Sync again, which fires at once while online,
    // so answering it would retry a busy or failing server in a tight loop (dozens of tries a second).
    if (event.data?.type === 'sync-requested' && failures === 0) requestSync();
  });
  for (const button of document.querySelectorAll('[data-action="sync"]')) {
    button.addEventListener('click', requestSync);
  }
  requestSync(); // app open
}

async function registerBackgroundSync() {
  const registration = await navigator.serviceWorker?.getRegistration('/app/');
  await registration?.sync?.register(SYNC_TAG).catch(() => {}); // absent in Safari and Firefox
}
