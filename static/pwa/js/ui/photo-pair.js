// Before / after photos side by side (report detail, re-inspection task), from the phone's cache.
// A photo not cached yet (offline at the last sync, or its thumbnail still being made on the
// server) shows a placeholder that fills in once photo-cache.js has it ('photos-cached').
import {t} from '../i18n.js';
import {photoUrl} from '../photo-cache.js';
import {fromTemplate} from './template.js';

const LABELS = {before: 'detail.before', after: 'detail.after', recheck: 'detail.recheck'};

/** A row of columns, one per kind in `kinds` (a kind without photos still shows its column). */
export function photoPair(ticket, kinds = ['before', 'after']) {
  const row = document.createElement('div');
  row.className = 'photo-pair';
  row.dataset.kinds = kinds.join(' ');
  for (const kind of kinds) {
    const column = fromTemplate('photo-column');
    column.dataset.kind = kind;
    const label = t(LABELS[kind]);
    column.querySelector('[data-slot="label"]').textContent = label;
    const list = column.querySelector('[data-slot="photos"]');
    const photos = (ticket.photos || []).filter((photo) => photo.kind === kind);
    photos.forEach((photo, index) => list.append(photoItem(photo.sha256, `${label} ${index + 1}`)));
    column.querySelector('[data-slot="none"]').hidden = photos.length > 0;
    row.append(column);
  }
  refreshPhotos(row);
  return row;
}

function photoItem(sha, alt) {
  const item = document.createElement('li');
  item.dataset.photoSha = sha;
  item.dataset.alt = alt;
  const placeholder = document.createElement('span');
  placeholder.className = 'photo-placeholder';
  placeholder.textContent = t('detail.photo_missing');
  item.append(placeholder);
  return item;
}

/** Put the cached thumbnail into every placeholder under `root` whose photo is now on the phone. */
export async function refreshPhotos(root = document) {
  for (const item of root.querySelectorAll('li[data-photo-sha]:not([data-shown])')) {
    const url = await photoUrl(item.dataset.photoSha);
    if (!url || item.dataset.shown) continue;
    const img = Object.assign(document.createElement('img'), {src: url, alt: item.dataset.alt});
    item.dataset.shown = 'true';
    item.replaceChildren(img);
  }
}
