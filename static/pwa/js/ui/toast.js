// One line of feedback at the bottom of the screen; errors stay until the next message.
import {t} from '../i18n.js';

let timer = null;

export function toast(key, params = {}, {error = false} = {}) {
  const element = document.querySelector('[data-field="toast"]');
  element.textContent = t(key, params);
  element.classList.toggle('error', error);
  element.hidden = false;
  clearTimeout(timer);
  if (!error) timer = setTimeout(() => { element.hidden = true; }, 4000);
}

/** Show why saving failed; a full disk gets its own message, nothing is swallowed. */
export function storageError(error) {
  if (error?.name === 'QuotaExceededError') toast('storage.quota_error', {}, {error: true});
  else toast('storage.error', {message: error?.message || String(error)}, {error: true});
}
