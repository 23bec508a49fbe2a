// Thumbnails of the photos of the tickets the phone follows (own reports, re-inspection tasks),
// kept in IndexedDB after each sync so the report detail and the tasks show them offline.
// The photo routes need the device token, which an <img src> cannot send: we fetch the bytes
// and show them through object URLs. A photo whose thumbnail the server is still making has no
// URL in the feed: we ask for it again at the next sync (GET /api/v1/photos/<sha256>).
import {getMeta} from './meta.js';
import {openAppDb, STORES} from './db.js';
import {announce} from './events.js';

const objectUrls = new Map(); // sha256 → object URL, for this page's lifetime (the bytes never change)
let running = null;

/** Fetch what is missing for `tickets`, forget what no ticket needs any more; one run at a time. */
export function cachePhotos(tickets) {
  running ??= fill(tickets).finally(() => {
    running = null;
  });
  return running;
}

async function fill(tickets) {
  const wanted = new Map();
  for (const ticket of tickets) for (const photo of ticket.photos || []) wanted.set(photo.sha256, photo);
  const db = await openAppDb();
  const cached = new Set(await db.getAllKeys(STORES.photoCache));
  for (const sha of cached) {
    if (!wanted.has(sha)) {
      await db.delete(STORES.photoCache, sha);
      forgetUrl(sha);
    }
  }
  let added = 0;
  for (const [sha, photo] of wanted) {
    if (cached.has(sha)) continue;
    const blob = await download(photo).catch(() => null); // offline or not ready: next sync tries again
    if (!blob) continue;
    await db.put(STORES.photoCache, {sha256: sha, blob, cachedAt: new Date().toISOString()});
    added += 1;
  }
  if (added) announce('photos-cached', {added});
}

async function download(photo) {
  const url = photo.thumbnail_url || (await photoInfo(photo.sha256))?.thumbnail_url;
  if (!url) return null;
  const response = await authorized(url, 'image/jpeg');
  const blob = response.ok ? await response.blob() : null;
  return blob && blob.type.startsWith('image/') && blob.size > 0 ? blob : null;
}

async function photoInfo(sha) {
  const response = await authorized(`/api/v1/photos/${encodeURIComponent(sha)}`, 'application/json');
  return response.ok ? response.json() : null;
}

async function authorized(url, accept) {
  const token = await getMeta('token');
  if (!token) throw new Error('no device token');
  return fetch(url, {headers: {Authorization: `Bearer ${token}`, Accept: accept}, credentials: 'omit'});
}

/** An object URL for the cached thumbnail of `sha`, or null when it is not on this phone (yet). */
export async function photoUrl(sha) {
  if (objectUrls.has(sha)) return objectUrls.get(sha);
  const entry = await (await openAppDb()).get(STORES.photoCache, sha);
  if (!entry) return null;
  const url = URL.createObjectURL(entry.blob);
  objectUrls.set(sha, url);
  return url;
}

/** How many photos of `tickets` are not on this phone yet (tests, and the placeholder's words). */
export async function missingCount(tickets) {
  const cached = new Set(await (await openAppDb()).getAllKeys(STORES.photoCache));
  const shas = new Set(tickets.flatMap((ticket) => (ticket.photos || []).map((photo) => photo.sha256)));
  return [...shas].filter((sha) => !cached.has(sha)).length;
}

/** Forget every cached photo (log-out: the next user of this phone must not see them). */
export async function clearPhotos() {
  await (await openAppDb()).clear(STORES.photoCache);
  for (const sha of [...objectUrls.keys()]) forgetUrl(sha);
}

function forgetUrl(sha) {
  const url = objectUrls.get(sha);
  if (url) URL.revokeObjectURL(url);
  objectUrls.delete(sha);
}
