// The page side of the service worker's life (squoosh's sw-bridge): register it, and when a new
// version is waiting, ask the inspector before switching. Never skipWaiting without them; the
// outbox lives in IndexedDB, which an update does not touch.

/** Register /app/sw.js; `onUpdateReady(worker)` is called when a new version waits to take over. */
export async function registerServiceWorker({onUpdateReady}) {
  if (!('serviceWorker' in navigator)) return null;
  const registration = await navigator.serviceWorker.register('/app/sw.js',
    {type: 'module', scope: '/app/', updateViaCache: 'none'});
  const watch = (worker) => worker?.addEventListener('statechange', () => {
    if (worker.state === 'installed' && navigator.serviceWorker.controller) onUpdateReady(worker);
  });
  if (registration.waiting && navigator.serviceWorker.controller) onUpdateReady(registration.waiting);
  watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));

  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first install takes control without a reload; a later change means "update" was chosen
    // (here or in another tab), and this page's code must not run on under the new worker.
    if (controlled) location.reload();
    controlled = true;
  });
  // A phone keeps the app open for hours: look for a new version whenever it comes back.
  const check = () => registration.update().catch(() => {});
  window.addEventListener('online', check);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  return registration;
}

/** The inspector agreed: let the waiting version take over (the page then reloads). */
export function activateUpdate(worker) {
  worker.postMessage('skip-waiting');
}
