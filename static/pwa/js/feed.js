// What the server's change feed told us: own reports' tickets (with their history and photo list,
// docs/sync-protocol.md §3), re-inspection tasks, categories.
// Readable offline from the last sync. No DOM: the service worker imports this file too.
import {apiFetch} from './api.js';
import {openAppDb, STORES} from './db.js';
import {announce} from './events.js';

/** Upsert what changed; drop tickets that are neither ours nor a task any more, and retired categories. */
export async function applyChanges(changes) {
  if (!changes.length) return;
  const db = await openAppDb();
  const tx = db.transaction([STORES.tickets, STORES.categories], 'readwrite');
  for (const change of changes) {
    if (change.kind === 'ticket') {
      const ticket = change.ticket;
      if (ticket.mine || ticket.task) tx.objectStore(STORES.tickets).put(ticket);
      else tx.objectStore(STORES.tickets).delete(ticket.id);
    } else if (change.kind === 'category') {
      const category = change.category;
      if (category.active) tx.objectStore(STORES.categories).put(category);
      else tx.objectStore(STORES.categories).delete(category.code);
    }
  }
  await tx.done;
  announce('feed-changed');
}

/** Replace the cached categories with the server's list (first run, or when asked). */
export async function refreshCategories() {
  const {categories} = await apiFetch('/api/v1/categories');
  const db = await openAppDb();
  const tx = db.transaction(STORES.categories, 'readwrite');
  await tx.store.clear();
  for (const category of categories) tx.store.put(category);
  await tx.done;
  announce('feed-changed');
}

/** Forget the tickets and their cached photos (log-out: the next user of this phone must not see them). */
export async function clearTickets() {
  const db = await openAppDb();
  await db.clear(STORES.tickets);
  await db.clear(STORES.photoCache);
  announce('feed-changed');
}

export async function listCategories() {
  return (await openAppDb()).getAll(STORES.categories);
}

export async function listTickets() {
  return (await openAppDb()).getAll(STORES.tickets);
}

export async function getTicket(id) {
  return (await openAppDb()).get(STORES.tickets, id);
}
