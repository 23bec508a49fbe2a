// The outbox: reports, re-inspection actions and assessment visits (visits.js) waiting for the
// server, with their photos.
// A record leaves only when the server acknowledged it (created, already_synced, linked).
// No DOM here: the service worker imports this file too.
import {openAppDb, STORES} from './db.js';
import {announce} from './events.js';
import {takeCaptureSeq} from './meta.js';

export const STATE = {
  WAITING: 'waiting',           // queued; sent at the next sync
  UPLOADING: 'uploading',       // photos going up: progress {done, total}
  ATTENTION: 'needs_attention', // the server refused it for good: reason shown, the inspector decides
};

function changed() {
  announce('outbox-changed');
}

/** Queue a captured report and its photos in one transaction: all of it is saved, or none, with the
 * device's next capture number. */
export async function addReport(report, photos) {
  const db = await openAppDb();
  const tx = db.transaction([STORES.reports, STORES.photos, STORES.meta], 'readwrite');
  for (const photo of photos) tx.objectStore(STORES.photos).put({...photo, uploaded: false});
  const captureSeq = await takeCaptureSeq(tx);
  tx.objectStore(STORES.reports).put({...report, captureSeq, state: STATE.WAITING, reason: null, errors: [],
    progress: null});
  await tx.done;
  changed();
}

/** Queue a close or reopen of a ticket (re-inspection), with its photos. */
export async function addAction(action, photos) {
  const db = await openAppDb();
  const tx = db.transaction([STORES.actions, STORES.photos], 'readwrite');
  for (const photo of photos) tx.objectStore(STORES.photos).put({...photo, uploaded: false});
  tx.objectStore(STORES.actions).put({...action, state: STATE.WAITING, reason: null, errors: []});
  await tx.done;
  changed();
}

export async function listReports() {
  return (await openAppDb()).getAll(STORES.reports);
}

export async function listActions() {
  return (await openAppDb()).getAll(STORES.actions);
}

export async function getReport(clientId) {
  return (await openAppDb()).get(STORES.reports, clientId);
}

export async function getPhoto(sha256) {
  return (await openAppDb()).get(STORES.photos, sha256);
}

/** Everything not yet acknowledged by the server. */
export async function countWaiting() {
  const db = await openAppDb();
  return (await db.count(STORES.reports)) + (await db.count(STORES.actions)) + (await db.count(STORES.visits));
}

/** The capture numbers of every report and visit still on this phone, whoever's: sent as `waiting`. */
export async function waitingSeqs() {
  const db = await openAppDb();
  const held = [...(await db.getAll(STORES.reports)), ...(await db.getAll(STORES.visits))];
  return held.map((item) => item.captureSeq).filter(Number.isInteger).sort((a, b) => a - b);
}

/** Every store whose records name photos: a photo stays while one of them still does. */
export const PHOTO_HOLDERS = [STORES.reports, STORES.actions, STORES.visits, STORES.drafts];

async function update(store, clientId, changes) {
  const db = await openAppDb();
  const tx = db.transaction(store, 'readwrite');
  const record = await tx.store.get(clientId);
  if (record) await tx.store.put({...record, ...changes});
  await tx.done;
  changed();
}

export const updateReport = (clientId, changes) => update(STORES.reports, clientId, changes);
export const updateAction = (clientId, changes) => update(STORES.actions, clientId, changes);

/** Delete the photos among `hashes` that nothing queued or in progress still refers to.
 * `tx` must cover PHOTO_HOLDERS and the photos store. */
export async function dropUnusedPhotos(tx, hashes) {
  const stillNeeded = new Set();
  for (const store of PHOTO_HOLDERS) {
    for (const other of await tx.objectStore(store).getAll()) {
      for (const sha of other.photos) stillNeeded.add(sha);
    }
  }
  for (const sha of hashes) {
    if (!stillNeeded.has(sha)) await tx.objectStore(STORES.photos).delete(sha);
  }
}

/** Forget a queued record (the server has it, or the inspector dropped it) and the photos nothing
 * else still needs; reports, actions and visits alike. */
export async function forgetRecord(store, clientId) {
  const db = await openAppDb();
  const tx = db.transaction([...PHOTO_HOLDERS, STORES.photos], 'readwrite');
  const record = await tx.objectStore(store).get(clientId);
  if (record) {
    await tx.objectStore(store).delete(clientId);
    await dropUnusedPhotos(tx, record.photos);
  }
  await tx.done;
  changed();
}

export const acknowledgeReport = (clientId) => forgetRecord(STORES.reports, clientId);
export const acknowledgeAction = (clientId) => forgetRecord(STORES.actions, clientId);
export const discardReport = acknowledgeReport; // the inspector chose to drop it: same clean-up
export const discardAction = acknowledgeAction;

export async function markPhotoUploaded(sha256, uploaded = true) {
  const db = await openAppDb();
  const tx = db.transaction(STORES.photos, 'readwrite');
  const photo = await tx.store.get(sha256);
  if (photo) await tx.store.put({...photo, uploaded});
  await tx.done;
}

/** Replace a report the server refused (same clientId: nothing was stored under it) and queue it again. */
export async function replaceReport(report, newPhotos) {
  const db = await openAppDb();
  const tx = db.transaction([...PHOTO_HOLDERS, STORES.photos], 'readwrite');
  const old = await tx.objectStore(STORES.reports).get(report.clientId);
  for (const photo of newPhotos) tx.objectStore(STORES.photos).put({...photo, uploaded: false});
  await tx.objectStore(STORES.reports).put({...report, captureSeq: old?.captureSeq ?? report.captureSeq,
    state: STATE.WAITING, reason: null, errors: [], progress: null});
  if (old) await dropUnusedPhotos(tx, old.photos.filter((sha) => !report.photos.includes(sha)));
  await tx.done;
  changed();
}

/** The server holds different content under this clientId (conflict): send ours under a new one. */
export async function requeueAsNew(clientId) {
  const db = await openAppDb();
  const tx = db.transaction(STORES.reports, 'readwrite');
  const record = await tx.store.get(clientId);
  if (record) {
    await tx.store.delete(clientId);
    await tx.store.put({...record, clientId: crypto.randomUUID(), state: STATE.WAITING, reason: null, errors: []});
  }
  await tx.done;
  changed();
}
