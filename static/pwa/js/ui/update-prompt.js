// "A new version is available": shown when a new service worker waits; it takes over only
// when the inspector says so (the outbox in IndexedDB is untouched by an update).
import {activateUpdate} from '../sw-bridge.js';

export function showUpdatePrompt(worker) {
  const banner = document.querySelector('[data-field="update-banner"]');
  banner.hidden = false;
  banner.querySelector('[data-action="update"]').onclick = () => activateUpdate(worker);
}
