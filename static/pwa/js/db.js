// The only module that knows the IndexedDB schema: store names, keys, indexes and versions.
// No DOM here: the service worker imports this file too.
import {openDB} from '../vendor/idb/index.js';

const DB_NAME = 'xuncha';
const DB_VERSION = 3;

export const STORES = {
  reports: 'reports',       // queued reports, keyed by clientId; stay until the server acknowledges them
  photos: 'photos',         // resized JPEG blobs, keyed by sha256; apart from the report records
  actions: 'actions',       // queued re-inspection actions (close, reopen), keyed by clientId
  tickets: 'tickets',       // own reports and tasks as the change feed last described them, keyed by id
  categories: 'categories', // keyed by code, from /api/v1/categories and the change feed
  meta: 'meta',             // small values by name: device token, username, cursor, device id, language
  points: 'points',         // inspection points from /api/v1/points, keyed by code (the 测评 tab offline)
  checklists: 'checklists', // the current checklist per location type, keyed by location_type
  drafts: 'drafts',         // visits in progress, keyed by clientId (they survive a reload)
  visits: 'visits',         // finished visits waiting for the server, keyed by clientId (the outbox)
  visitLog: 'visitLog',     // visits the server acknowledged, with their tickets, keyed by clientId
  photoCache: 'photoCache', // thumbnails of followed tickets' photos (report detail, tasks offline), keyed by sha256
};

/** Fires 'blocking' when this (older) tab holds up a newer schema (the page asks to reload), and
 * 'blocked' when this (newer) page waits for an older one to let go. */
export const dbEvents = new EventTarget();

let opening = null;

/** The app's database, opened once per page or worker. */
export function openAppDb() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion, newVersion, transaction) {
      // A ladder: each step only adds, so a phone that skipped versions still gets every step
      // and never loses what it has queued (a new app version must not drop the outbox).
      if (oldVersion < 1) {
        db.createObjectStore(STORES.reports, {keyPath: 'clientId'}).createIndex('state', 'state');
        db.createObjectStore(STORES.photos, {keyPath: 'sha256'});
        db.createObjectStore(STORES.actions, {keyPath: 'clientId'});
        db.createObjectStore(STORES.tickets, {keyPath: 'id'});
        db.createObjectStore(STORES.categories, {keyPath: 'code'});
        db.createObjectStore(STORES.meta);
      }
      if (oldVersion < 2) {
        db.createObjectStore(STORES.points, {keyPath: 'code'});
        db.createObjectStore(STORES.checklists, {keyPath: 'location_type'});
        db.createObjectStore(STORES.drafts, {keyPath: 'clientId'});
        db.createObjectStore(STORES.visits, {keyPath: 'clientId'});
        db.createObjectStore(STORES.visitLog, {keyPath: 'clientId'});
      }
      if (oldVersion < 3) {
        db.createObjectStore(STORES.photoCache, {keyPath: 'sha256'});
        // Tickets synced before carry no history or photo list: read the change feed again from the start.
        if (oldVersion >= 1) transaction.objectStore(STORES.meta).delete('cursor');
      }
    },
    blocking() {
      // A newer version waits for this connection: let it go (running transactions still finish),
      // so the new version's upgrade is not held up; this older page asks to be reloaded.
      opening?.then((db) => db.close());
      opening = null;
      dbEvents.dispatchEvent(new Event('blocking'));
    },
    blocked() {
      dbEvents.dispatchEvent(new Event('blocked'));
    },
  });
  return opening;
}

// Never await fetch() or a timer inside a transaction: it auto-closes (idb README).
