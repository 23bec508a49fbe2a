// The sync engine: upload photos by hash, send the queue in batches, apply each result, follow the
// change feed. Runs on the page and in the service worker ('sync' event); a Web Lock keeps the two
// from running at once. No DOM here (docs/sync-protocol.md).
import {apiFetch, NeedsLogin, Refused} from '../api.js';
import {refreshAssessment} from '../assessment.js';
import {refreshPlaces} from '../places.js';
import {announce} from '../events.js';
import {applyChanges, listCategories, refreshCategories} from '../feed.js';
import {deleteMeta, deviceId, getMeta, setMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import * as visits from '../visits.js';
import {ACTION_FIELDS, REPORT_FIELDS} from './wire-fields.js';

const BATCH = 50;
/** The Background Sync tag the page registers and the service worker answers. */
export const SYNC_TAG = 'outbox';
const ACKNOWLEDGED = new Set(['created', 'already_synced', 'linked']);

let running = null;
let again = false;

/** Run one sync; concurrent callers share it, and a call during a run schedules one more. */
export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  running = runAndTell().finally(() => {
    running = null;
    if (again) {
      again = false;
      syncNow().catch(() => {}); // its outcome is announced like any other
    }
  });
  return running;
}

async function runAndTell() {
  announce('sync-started');
  try {
    const summary = await withLock(runSync);
    announce('sync-finished', {ok: true, ...summary});
    return summary;
  } catch (error) {
    if (error instanceof NeedsLogin) await deleteMeta('token');
    announce('sync-finished', {ok: false, error: error.name, message: error.message});
    throw error;
  }
}

function withLock(work) {
  // One sync at a time across tabs and the service worker; idempotency on the server covers the rest.
  return globalThis.navigator?.locks ? navigator.locks.request('xuncha-sync', work) : work();
}

/** Send everything queued by the logged-in user, then pull what changed; throws RetryLater/NeedsLogin. */
export async function runSync() {
  const owner = await getMeta('username');
  // Items saved before anyone logged in on this phone (no owner) go with the first login.
  const mine = (items) => items.filter((i) => (i.owner ?? owner) === owner && i.state !== outbox.STATE.ATTENTION);
  const reports = mine(await outbox.listReports());
  const actions = mine(await outbox.listActions());
  const queuedVisits = mine(await visits.listVisits());
  if (!(await listCategories()).length) await refreshCategories();

  const summary = {acknowledged: 0, attention: 0, retry: 0};
  let more = true;
  while (more) {
    // Upload a batch's photos, then send that batch: the first acknowledgements come early.
    const chunk = {
      reports: await withPhotosUploaded(reports.splice(0, BATCH), outbox.updateReport),
      actions: await withPhotosUploaded(actions.splice(0, BATCH), outbox.updateAction),
      visits: await withPhotosUploaded(queuedVisits.splice(0, BATCH), visits.updateVisit),
    };
    const body = {
      device_id: await deviceId(),
      cursor: await getMeta('cursor', 0),
      sent_at: new Date().toISOString(),
      waiting: await outbox.waitingSeqs(), // what this phone still holds, so a loss shows (§2b)
      reports: chunk.reports.map(reportOnWire),
      actions: chunk.actions.map(actionOnWire),
    };
    if (chunk.visits.length) body.visits = chunk.visits.map(visits.visitOnWire);
    const answer = await apiFetch('/api/v1/sync', {method: 'POST', json: body});
    await applyResults(answer.results, outbox.updateReport, outbox.acknowledgeReport, summary);
    await applyResults(answer.action_results, outbox.updateAction, outbox.acknowledgeAction, summary);
    await applyResults(answer.visit_results || [], visits.updateVisit, visits.acknowledgeVisit, summary);
    await applyChanges(answer.changes);
    await setMeta('cursor', answer.cursor);
    more = answer.more || reports.length > 0 || actions.length > 0 || queuedVisits.length > 0;
  }
  await setMeta('lastSyncAt', new Date().toISOString());
  // Points, assignments and checklists for the 测评 tab, and the county's place names, while the network is here.
  await refreshAssessment();
  await refreshPlaces();
  // Not "synced" while something refused waits for the inspector (this run's or an earlier one's).
  summary.needsAttention = await countNeedingAttention();
  return summary;
}

async function queuedBy(owner) {
  const items = [...await outbox.listReports(), ...await outbox.listActions(), ...await visits.listVisits()];
  return items.filter((i) => (i.owner ?? owner) === owner);
}

/** How many of the logged-in user's queued items the server refused or found in conflict. */
export async function countNeedingAttention() {
  return (await queuedBy(await getMeta('username'))).filter((i) => i.state === outbox.STATE.ATTENTION).length;
}

/** How many queued items a sync would send now (a refused one waits for the inspector, not for a sync). */
export async function countSendable() {
  return (await queuedBy(await getMeta('username'))).filter((i) => i.state !== outbox.STATE.ATTENTION).length;
}

async function withPhotosUploaded(items, update) {
  const ready = [];
  for (const item of items) {
    if (await uploadPhotos(item, update)) ready.push(item);
  }
  return ready;
}

/** Upload the item's photos not yet on the server; false if one is lost or refused for good. */
async function uploadPhotos(item, update) {
  const total = item.photos.length;
  let uploading = false;
  try {
    for (const [index, sha256] of item.photos.entries()) {
      const photo = await outbox.getPhoto(sha256);
      if (!photo) {
        await update(item.clientId, {state: outbox.STATE.ATTENTION, reason: {code: 'photo_lost'}});
        return false;
      }
      if (photo.uploaded) continue;
      uploading = true;
      await update(item.clientId, {state: outbox.STATE.UPLOADING, progress: {done: index + 1, total}});
      await apiFetch(`/api/v1/photos/${sha256}`, {method: 'PUT', body: photo.blob, contentType: photo.type});
      await outbox.markPhotoUploaded(sha256);
    }
  } catch (error) {
    if (!(error instanceof Refused)) { // offline or server trouble: the whole run backs off
      await update(item.clientId, {state: outbox.STATE.WAITING, progress: null});
      throw error;
    }
    await update(item.clientId, {state: outbox.STATE.ATTENTION, progress: null,
      reason: {code: error.code, message: error.message}});
    return false;
  }
  if (uploading) await update(item.clientId, {state: outbox.STATE.WAITING, progress: null});
  return true;
}

async function applyResults(results, update, acknowledge, summary) {
  for (const result of results) {
    if (ACKNOWLEDGED.has(result.status)) {
      await acknowledge(result.client_id, {status: result.status, visitId: result.visit_id, tickets: result.tickets});
      summary.acknowledged += 1;
    } else if (result.status === 'missing_photos') {
      // The server lost or never kept them: upload again at the next run.
      for (const sha256 of result.missing) await outbox.markPhotoUploaded(sha256, false);
      await update(result.client_id, {state: outbox.STATE.WAITING, progress: null});
      summary.retry += 1;
    } else {
      // conflict or rejected: keep it, with the reason, until the inspector fixes or drops it.
      await update(result.client_id, {state: outbox.STATE.ATTENTION, progress: null,
        reason: {code: result.status, ticketId: result.ticket_id, visitId: result.visit_id}, errors: result.errors});
      summary.attention += 1;
    }
  }
}

/** The wire fields the server's models list (wire-fields.js, generated), each from its camelCase twin. */
function onWire(fields, item) {
  const wire = {};
  for (const name of fields) {
    const value = item[name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())];
    if (value !== undefined) wire[name] = value;
  }
  return wire;
}

function reportOnWire(report) {
  const wire = onWire(REPORT_FIELDS, report);
  if (!Number.isInteger(report.captureSeq)) delete wire.capture_seq;
  return wire;
}

function actionOnWire(action) {
  return onWire(ACTION_FIELDS, action);
}
