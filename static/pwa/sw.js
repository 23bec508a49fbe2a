// The service worker (a module worker; docs/decisions/0004-module-service-worker.md).
// app/pwa/views.py prepends: const VERSION = '…'; const PRECACHE = [...];
// It caches the app shell under a versioned name and answers /app/ navigations from it (so the
// capture screen opens with no network), never touches API calls, and runs the same sync engine
// as the page on Background Sync.
import {SYNC_TAG, syncNow} from '/static/pwa/js/sync/engine.js';

const SHELL_CACHE = `shell-${VERSION}`;
const SHELL_URL = '/app/';
const CACHED_PATHS = new Set(PRECACHE.map((url) => new URL(url, location.origin).pathname));

self.addEventListener('install', (event) => {
  // cache: 'reload' so the HTTP cache cannot hand us an older file than the one this VERSION hashed.
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) =>
    cache.addAll(PRECACHE.map((url) => new Request(url, {cache: 'reload'})))));
  // No skipWaiting() here: the page asks the user first (update prompt).
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== location.origin || request.method !== 'GET') return; // never touch writes
  if (request.mode === 'navigate' && url.pathname.startsWith('/app/')) {
    // The shell is static and versioned by this worker: cache first, whatever the network does.
    event.respondWith(fromCache(SHELL_URL).then((hit) => hit || fetch(request)));
  } else if (CACHED_PATHS.has(url.pathname)) {
    event.respondWith(fromCache(request).then((hit) => hit || fetch(request)));
  }
  // Anything else (the API, photos, tiles) goes to the network untouched.
});

async function fromCache(request) {
  const cache = await caches.open(SHELL_CACHE);
  return cache.match(request, {ignoreSearch: true});
}

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting(); // only after the user agreed
});

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(syncInBackground());
});

async function syncInBackground() {
  // An open page syncs itself and shows the progress; the worker does it only when no page is open.
  const pages = await self.clients.matchAll({type: 'window'});
  if (pages.length) {
    for (const page of pages) page.postMessage({type: 'sync-requested'});
    return;
  }
  await syncNow(); // a rejection makes the browser try again later (about 5 and 15 minutes)
}
