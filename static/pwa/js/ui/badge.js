// The count of what waits to be sent, on the sync button and the outbox tab.
import {onAnnounce} from '../events.js';
import {countWaiting} from '../outbox.js';

async function render() {
  const waiting = await countWaiting();
  for (const badge of document.querySelectorAll('[data-field="waiting"]')) {
    badge.textContent = String(waiting);
    badge.hidden = waiting === 0;
  }
}

export function mountBadge() {
  onAnnounce('outbox-changed', render);
  render();
}
