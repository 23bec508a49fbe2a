// "Something changed" notices between the sync engine, the screens, other tabs and the service worker.
// No DOM here: the service worker imports this file too.

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('xuncha') : null;
const local = new EventTarget();

/** Tell this context and every other one (tabs, the service worker) that `type` happened. */
export function announce(type, detail = {}) {
  local.dispatchEvent(new CustomEvent(type, {detail}));
  channel?.postMessage({type, detail});
}

/** Call `handler(detail)` whenever `type` is announced here or elsewhere. */
export function onAnnounce(type, handler) {
  local.addEventListener(type, (event) => handler(event.detail));
  channel?.addEventListener('message', (event) => {
    if (event.data?.type === type) handler(event.data.detail);
  });
}
