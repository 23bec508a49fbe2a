// Forms that carry photos (resolve, close, reopen): upload each photo to PUT /api/v1/photos/{sha256},
// retrying on a flaky connection, then post the action with the hashes to the API. On any failure
// the form stays as it is (files, note), so nothing is lost and the user can press the button again.
// Without crypto.subtle (plain http on a LAN address) the form is sent the ordinary way, files and all.

const RETRIES = 5;
const uploaded = new Map(); // file identity -> sha256, so a second try does not upload again

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** fetch with retries on network errors, 5xx and 429; other answers are returned as they are. */
async function fetchWithRetry(url, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, {credentials: 'same-origin', ...options});
      if ((response.status < 500 && response.status !== 429) || attempt >= RETRIES) return response;
    } catch (error) {
      if (attempt >= RETRIES) throw error;
    }
    await wait(Math.min(8000, 500 * 2 ** attempt) * (0.5 + Math.random())); // backoff with jitter
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.error ? body.error.message : response.statusText;
  } catch {
    return response.statusText;
  }
}

async function uploadPhoto(file, csrf) {
  const key = `${file.name}/${file.size}/${file.lastModified}`;
  if (uploaded.has(key)) return uploaded.get(key);
  const sha = await sha256Hex(file);
  const response = await fetchWithRetry(`/api/v1/photos/${sha}`, {
    method: 'PUT', body: file, headers: {'Content-Type': file.type || 'application/octet-stream', 'X-CSRFToken': csrf},
  });
  if (!response.ok) throw new Error(`${file.name}: ${await errorMessage(response)}`);
  uploaded.set(key, sha);
  return sha;
}

async function submitWithPhotos(form) {
  const status = form.querySelector('.upload-status');
  const button = form.querySelector('button[type=submit]');
  const csrf = form.elements.csrf_token.value;
  const show = (text) => { status.hidden = false; status.textContent = text; };
  button.disabled = true;
  try {
    const hashes = Array.from(form.querySelectorAll('input[name=photos]'), (input) => input.value);
    const files = Array.from(form.elements.photo_files.files);
    for (const [i, file] of files.entries()) {
      show(`${form.dataset.uploadingText || 'Uploading'} ${i + 1}/${files.length}…`);
      hashes.push(await uploadPhoto(file, csrf));
    }
    const response = await fetchWithRetry(form.dataset.photoAction, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
      body: JSON.stringify({
        version: Number(form.elements.version.value),
        note: form.elements.note ? form.elements.note.value : '',
        photos: hashes,
      }),
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    // The page we go to says what happened (?done=<action>), as the form's own post does with a flash.
    const next = new URL(form.elements.next ? form.elements.next.value : window.location.pathname,
      window.location.href);
    next.searchParams.set('done', form.elements.action.value);
    window.location.assign(next.href);
  } catch (error) {
    show(error.message || String(error));
    button.disabled = false;
  }
}

// The confirmation is shown once: a reload or a bookmark of this address does not repeat it.
const shown = new URL(window.location.href);
if (shown.searchParams.has('done')) {
  shown.searchParams.delete('done');
  window.history.replaceState(null, '', shown.pathname + shown.search + shown.hash);
}

if (window.crypto && crypto.subtle) {
  for (const form of document.querySelectorAll('form[data-photo-action]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitWithPhotos(form);
    });
  }
}
