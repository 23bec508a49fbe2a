// Small named values kept on the device: the device token, whose it is, the change cursor.
import {openAppDb, STORES} from './db.js';

export async function getMeta(name, fallback = null) {
  const value = await (await openAppDb()).get(STORES.meta, name);
  return value === undefined ? fallback : value;
}

export async function setMeta(name, value) {
  await (await openAppDb()).put(STORES.meta, value, name);
}

export async function deleteMeta(name) {
  await (await openAppDb()).delete(STORES.meta, name);
}

/** This device's next capture number (docs/sync-protocol.md §2b), taken inside `tx` (which covers
 * the meta store) so that an item and its number are saved together: no number is reused or skipped. */
export async function takeCaptureSeq(tx) {
  const store = tx.objectStore(STORES.meta);
  const next = ((await store.get('captureSeq')) || 0) + 1;
  await store.put(next, 'captureSeq');
  return next;
}

/** A stable id for this browser's storage, sent with every sync (the server records it per report). */
export async function deviceId() {
  let id = await getMeta('deviceId');
  if (!id) {
    id = crypto.randomUUID();
    await setMeta('deviceId', id);
  }
  return id;
}
