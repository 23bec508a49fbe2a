// Assessment visits on the phone: a visit in progress (a draft, kept in IndexedDB so it survives a
// reload), then, once finished, a record in the same outbox as reports, with the same rules: its
// clientId is made once when the visit starts, its photos are uploaded first, and it leaves only
// when the server acknowledged it (then it moves to the log, with the tickets its fails made).
// No DOM here: the service worker imports this file too.
import {openAppDb, STORES} from './db.js';
import {announce} from './events.js';
import {getMeta, takeCaptureSeq} from './meta.js';
import {dropUnusedPhotos, forgetRecord, PHOTO_HOLDERS, STATE} from './outbox.js';

export const OUTCOMES = ['pass', 'fail', 'na'];
const LOG_KEEP = 20; // acknowledged visits shown on the phone

function changed() {
  announce('outbox-changed');
}

const allPhotos = (results) => [...new Set(results.flatMap((result) => result.photos))];

/** Begin a visit at `point` with the cached `checklist`; answers the draft. */
export async function startVisit({point, checklist, owner, position, now = new Date()}) {
  const draft = {
    clientId: crypto.randomUUID(),
    owner,
    pointCode: point.code,
    pointName: point.name,
    pointLat: point.lat,
    pointLon: point.lon,
    locationType: point.location_type,
    checklistVersion: checklist.version,
    items: checklist.items, // a copy: a newer checklist synced meanwhile does not change this visit
    startedAt: now.toISOString(),
    ...positionFields(position),
    results: checklist.items.map((item) => ({itemCode: item.code, outcome: null, note: '', photos: []})),
    photos: [],
    current: 0,
    createdAt: now.toISOString(),
  };
  await (await openAppDb()).put(STORES.drafts, draft);
  changed();
  return draft;
}

export function positionFields(position) {
  if (!position) return {lat: null, lon: null, accuracyM: null};
  return {lat: position.lat, lon: position.lon,
    accuracyM: Number.isFinite(position.accuracy) ? Math.round(position.accuracy * 10) / 10 : null};
}

/** The logged-in inspector's visit in progress, if any (one at a time; another's waits for them). */
export async function currentDraft() {
  const owner = await getMeta('username');
  const drafts = await (await openAppDb()).getAll(STORES.drafts);
  return drafts.find((draft) => (draft.owner ?? owner) === owner) || null;
}

/** Store the draft as it is now, with `newPhotos` ({sha256, blob, type, bytes}) in the same transaction. */
export async function saveDraft(draft, newPhotos = []) {
  const db = await openAppDb();
  const tx = db.transaction([...PHOTO_HOLDERS, STORES.photos], 'readwrite');
  const old = await tx.objectStore(STORES.drafts).get(draft.clientId);
  const photos = allPhotos(draft.results);
  // Finished or abandoned meanwhile (a late write from the screen): do not bring it back.
  if (old) {
    for (const photo of newPhotos) tx.objectStore(STORES.photos).put({...photo, uploaded: false});
    await tx.objectStore(STORES.drafts).put({...draft, photos});
    await dropUnusedPhotos(tx, old.photos.filter((sha) => !photos.includes(sha)));
  }
  await tx.done;
  return {...draft, photos};
}

/** The first result that keeps the visit from being finished: {index, problem} or null. */
export function unfinished(draft) {
  for (const [index, result] of draft.results.entries()) {
    if (!OUTCOMES.includes(result.outcome)) return {index, problem: 'no_outcome'};
    if (result.outcome === 'fail' && !result.photos.length) return {index, problem: 'need_photo'};
  }
  return null;
}

/** Finish the draft: it becomes a queued visit in one transaction (saved before the UI says so). */
export async function finishVisit(draft, now = new Date()) {
  if (unfinished(draft)) throw new Error('the visit is not complete');
  const results = draft.results.map((result) => ({...result,
    photos: result.outcome === 'fail' ? result.photos : [], note: result.note.trim()}));
  const visit = {...draft, results, photos: allPhotos(results), finishedAt: now.toISOString(),
    state: STATE.WAITING, reason: null, errors: [], progress: null};
  delete visit.current;
  const db = await openAppDb();
  const tx = db.transaction([...PHOTO_HOLDERS, STORES.photos, STORES.meta], 'readwrite');
  const stored = await tx.objectStore(STORES.drafts).get(draft.clientId);
  // A visit reopened to fix it keeps its number: the server must not take it for lost.
  if (!Number.isInteger(visit.captureSeq)) visit.captureSeq = await takeCaptureSeq(tx);
  await tx.objectStore(STORES.visits).put(visit);
  await tx.objectStore(STORES.drafts).delete(draft.clientId);
  const held = [...(stored?.photos || []), ...draft.photos];
  await dropUnusedPhotos(tx, held.filter((sha) => !visit.photos.includes(sha)));
  await tx.done;
  changed();
  return visit;
}

// Abandon a visit in progress, or drop a queued one the server refused: its photos go too.
export const abandonDraft = (clientId) => forgetRecord(STORES.drafts, clientId);
export const discardVisit = (clientId) => forgetRecord(STORES.visits, clientId);

/** Take a refused visit back into progress to fix it (same clientId: the server stored nothing).
 * False when another visit is in progress (one at a time). */
export async function reopenVisit(clientId) {
  const db = await openAppDb();
  const tx = db.transaction([STORES.visits, STORES.drafts, STORES.photos], 'readwrite');
  const visit = await tx.objectStore(STORES.visits).get(clientId);
  const free = !(await tx.objectStore(STORES.drafts).getAll()).some((draft) => draft.owner === visit?.owner);
  if (visit && free) {
    const {state, reason, errors, progress, finishedAt, ...draft} = visit;
    // A photo lost on the phone is dropped from its item, which then asks for a new one.
    const kept = new Set(await tx.objectStore(STORES.photos).getAllKeys());
    draft.results = draft.results.map((r) => ({...r, photos: r.photos.filter((sha) => kept.has(sha))}));
    draft.photos = draft.photos.filter((sha) => kept.has(sha));
    const first = (errors || []).map((error) => itemIndexOf(error, visit)).find((index) => index !== null)
      ?? unfinished(draft)?.index;
    await tx.objectStore(STORES.drafts).put({...draft, current: first ?? 0});
    await tx.objectStore(STORES.visits).delete(clientId);
  }
  await tx.done;
  changed();
  return free;
}

/** The server holds different content under this clientId (conflict): send ours under a new one. */
export async function requeueVisitAsNew(clientId) {
  const db = await openAppDb();
  const tx = db.transaction(STORES.visits, 'readwrite');
  const record = await tx.store.get(clientId);
  if (record) {
    await tx.store.delete(clientId);
    await tx.store.put({...record, clientId: crypto.randomUUID(), state: STATE.WAITING, reason: null, errors: []});
  }
  await tx.done;
  changed();
}

export async function listVisits() {
  return (await openAppDb()).getAll(STORES.visits);
}

async function update(clientId, changes) {
  const db = await openAppDb();
  const tx = db.transaction(STORES.visits, 'readwrite');
  const record = await tx.store.get(clientId);
  if (record) await tx.store.put({...record, ...changes});
  await tx.done;
  changed();
}

export const updateVisit = update;

/** The server has it (created or already_synced): move it to the log with its tickets. */
export async function acknowledgeVisit(clientId, {status, visitId, tickets}) {
  const db = await openAppDb();
  const tx = db.transaction([...PHOTO_HOLDERS, STORES.photos, STORES.visitLog], 'readwrite');
  const record = await tx.objectStore(STORES.visits).get(clientId);
  if (record) {
    await tx.objectStore(STORES.visits).delete(clientId);
    await dropUnusedPhotos(tx, record.photos);
    const log = tx.objectStore(STORES.visitLog);
    await log.put({clientId, owner: record.owner, pointCode: record.pointCode, pointName: record.pointName,
      items: record.items, startedAt: record.startedAt, finishedAt: record.finishedAt, status,
      visitId: visitId ?? null, tickets: tickets || {}, fails: record.results.filter((r) => r.outcome === 'fail').length});
    const all = (await log.getAll()).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
    for (const old of all.slice(LOG_KEEP)) await log.delete(old.clientId);
  }
  await tx.done;
  changed();
}

export async function listVisitLog() {
  const log = await (await openAppDb()).getAll(STORES.visitLog);
  return log.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
}

/** The index of the result an error from the server names (by item code or by position), else null. */
export function itemIndexOf(error, visit) {
  const codes = visit.results.map((result) => result.itemCode);
  const named = error.item_code ?? error.item ?? null;
  if (named && codes.includes(named)) return codes.indexOf(named);
  const field = String(error.field ?? '');
  const position = /results\[(\d+)\]|results\.(\d+)/.exec(field);
  if (position) {
    const index = Number(position[1] ?? position[2]);
    if (index < codes.length) return index;
  }
  const byCode = codes.findIndex((code) => field.includes(code));
  return byCode >= 0 ? byCode : null;
}

/** The visit as POST /api/v1/sync takes it (docs/sync-protocol.md); no position: no lat/lon/accuracy_m. */
export function visitOnWire(visit) {
  const wire = {
    client_id: visit.clientId,
    point_code: visit.pointCode,
    checklist_version: visit.checklistVersion,
    started_at: visit.startedAt,
    finished_at: visit.finishedAt,
  };
  if (Number.isInteger(visit.captureSeq)) wire.capture_seq = visit.captureSeq;
  if (Number.isFinite(visit.lat) && Number.isFinite(visit.lon)) {
    wire.lat = visit.lat;
    wire.lon = visit.lon;
    if (Number.isFinite(visit.accuracyM)) wire.accuracy_m = visit.accuracyM;
  }
  wire.results = visit.results.map((result) => {
    const item = {item_code: result.itemCode, outcome: result.outcome, photos: result.photos};
    if (result.note) item.note = result.note;
    return item;
  });
  return wire;
}
