// Log in once per device: the web session (from /login) buys a long-lived device token, which
// every API call then uses, so an expired session never blocks syncing what is queued.
import {clearTickets} from './feed.js';
import {deleteMeta, deviceId, getMeta, setMeta} from './meta.js';

const LOGIN_URL = '/login?next=/app/';

/** Who this device syncs as: {username} from the stored token, or a fresh token from the session. */
export async function ensureDeviceToken() {
  const username = await getMeta('username');
  if (await getMeta('token')) return {username};
  if (!navigator.onLine) return {username, offline: true};
  const session = await fetchSession();
  if (!session?.authenticated) return {username, needsLogin: true};
  const response = await fetch('/api/v1/device-tokens', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': session.csrf_token},
    body: JSON.stringify({label: `PWA ${navigator.userAgent.slice(0, 60)}`, device_id: await deviceId()}),
  });
  if (!response.ok) return {username, needsLogin: true};
  const {token} = await response.json();
  if (session.username !== username) {
    // Another inspector on this phone: their tickets are not ours; follow the feed from the start.
    await clearTickets();
    await deleteMeta('cursor');
  }
  await setMeta('token', token);
  await setMeta('username', session.username);
  return {username: session.username};
}

async function fetchSession() {
  try {
    const response = await fetch('/app/session.json', {cache: 'no-store'});
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

export function goToLogin() {
  location.assign(LOGIN_URL);
}

/** Revoke this device's token and end the web session; queued items stay on the device. */
export async function logOut() {
  const token = await getMeta('token');
  if (token) {
    await fetch('/api/v1/device-tokens/current', {method: 'DELETE', headers: {Authorization: `Bearer ${token}`}})
      .catch(() => {}); // offline: the token is forgotten here; an admin can revoke it later
  }
  await deleteMeta('token');
  const session = await fetchSession();
  if (session?.authenticated) {
    const form = new FormData();
    form.append('csrf_token', session.csrf_token);
    await fetch('/logout', {method: 'POST', body: form}).catch(() => {});
  }
  location.assign('/login');
}
