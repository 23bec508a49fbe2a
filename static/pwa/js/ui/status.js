// One line that says what the connection and the last sync are doing, and one that says how long
// ago the phone last synced (a phone that has not synced for days is holding things at risk).
// A sync that leaves refused items behind says how many wait for the inspector, never "synced".
// Below them, the server's notices that items this inspector captured never arrived (issue 18: a
// wiped or replaced phone), until the inspector closes them: the phone is where they are seen.
import {apiFetch} from '../api.js';
import {onAnnounce} from '../events.js';
import {currentLang, onLangChange, t} from '../i18n.js';
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

const LOST_KIND = 'capture_lost'; // app/services/reports/devices.py
const LOST_EVERY_MS = 30000; // a burst of syncs asks once
let lostAskedAt = 0;

/** The unread "never arrived" notices, in the current language, shown until closed (read on the server). */
async function renderLost(force = false) {
  if (!force && Date.now() - lostAskedAt < LOST_EVERY_MS) return;
  lostAskedAt = Date.now();
  let notices;
  try {
    const lang = currentLang() === 'en' ? 'en' : 'zh_CN';
    const {notifications} = await apiFetch(`/api/v1/notifications?lang=${lang}`);
    notices = notifications.filter((n) => n.kind === LOST_KIND && !n.read_at);
  } catch {
    return; // offline or logged out: what is shown stays
  }
  const box = lostBox();
  box.replaceChildren(...notices.map(lostNotice));
  box.hidden = notices.length === 0;
}

function lostNotice(notice) {
  const item = document.createElement('p');
  item.dataset.notification = String(notice.id);
  const title = document.createElement('strong');
  title.textContent = notice.title;
  item.append(title);
  for (const line of notice.lines.filter(Boolean)) item.append(document.createElement('br'), line);
  const close = document.createElement('button');
  close.type = 'button';
  close.dataset.action = 'close-lost';
  close.textContent = t('action.close');
  close.addEventListener('click', async () => {
    try {
      await apiFetch(`/api/v1/notifications/${notice.id}/read`, {method: 'POST', json: {}});
    } catch {
      return; // offline: it stays until it can be marked read
    }
    item.remove();
    lostBox().hidden = !lostBox().childElementCount;
  });
  item.append(' ', close);
  return item;
}

function lostBox() {
  let box = document.querySelector('[data-field="lost-captures"]');
  if (!box) {
    box = document.createElement('div');
    box.className = 'status warn';
    box.dataset.field = 'lost-captures';
    box.setAttribute('role', 'alert');
    box.hidden = true;
    document.querySelector('[data-field="storage-warning"]').after(box);
  }
  return box;
}

export function mountStatus() {
  renderLastSync();
  setInterval(renderLastSync, 30000);
  onAnnounce('sync-finished', renderLastSync);
  onAnnounce('sync-finished', (result) => {
    if (result.ok) renderLost();
  });
  renderLost(true);
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
    renderLost(true);
    if (said) say(said.key, said.params);
  });
  if (!navigator.onLine) say('net.offline');
}

/** The device has no token (never logged in here, or it was revoked): the queue waits for a login. */
export function showLoginNeeded() {
  say('net.login');
  loginButton().hidden = false;
}
