// The capture screen: photos, location, category and note become one report in the outbox.
// Saving touches only IndexedDB, so it works with no network; photos are resized and hashed as
// soon as they are picked, so the save itself is quick (and a save tapped meanwhile waits for them).
// A position outside the county is said at once, from the outline cached at the last sync: the
// server would refuse it, and the inspector can still pick the phone's fix or a pin instead.
import {loadConfig} from '../config.js';
import {onAnnounce} from '../events.js';
import {listCategories} from '../feed.js';
import {currentLang, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import {placeName} from '../places.js';
import {storageError, toast} from '../ui/toast.js';
import {forgetCountyOutline, inCounty} from './county.js';
import {LocationWatch} from './location.js';
import {openPinMap} from './map.js';
import {formatName, preparePhoto} from './photo.js';

const SAVE_TIMEOUT_MS = 10_000; // storage that never answers (a full disk, pouchdb#7025) must not hang the form

/** Wire up the capture form; `onSaved()` runs after each report is queued. Answers {ready, edit, relabel}. */
export function mountCaptureForm(form, {onSaved}) {
  const field = (name) => form.querySelector(`[data-field="${name}"]`);
  const button = (action) => form.querySelector(`[data-action="${action}"]`);
  const watch = new LocationWatch();
  const state = {photos: [], capturedAt: null, choice: null, editing: null, map: null,
    preparing: 0, work: Promise.resolve(), generation: 0};

  function currentLocation() {
    if (state.choice) return state.choice;
    const fix = watch.best;
    return fix && {source: 'device', lat: fix.lat, lon: fix.lon, accuracy: fix.accuracy};
  }

  function exifPosition() {
    const photo = state.photos.find((p) => p.exif?.lat !== null && p.exif?.lat !== undefined);
    return photo && {source: 'exif', lat: photo.exif.lat, lon: photo.exif.lon, accuracy: null};
  }

  function locationText(where) {
    const coords = where ? ` (${where.lat.toFixed(5)}, ${where.lon.toFixed(5)})` : '';
    if (where?.source === 'exif') return t('location.exif') + coords;
    if (where?.source === 'manual') return t('location.manual') + coords;
    if (where) return t(watch.improving ? 'location.improving' : 'location.device', {m: Math.round(where.accuracy)});
    if (watch.error) return t('location.unavailable', {reason: watch.error});
    return t('location.waiting');
  }

  let naming = 0; // the latest place-name lookup wins, however the lookups finish

  /** The name the server will give a report left without an address, as the address field's hint
   * (a placeholder: never sent as the inspector's own words). */
  async function renderPlaceHint(where) {
    const lookup = ++naming;
    const name = where ? await placeName(where.lat, where.lon).catch(() => '') : '';
    if (lookup === naming) form.elements.address.placeholder = name ? t('capture.address_hint', {name}) : '';
  }

  const outside = async (where) => Boolean(where) && (await inCounty(where.lat, where.lon)) === false;
  let checking = 0; // the latest boundary check wins

  /** What the inspector is told about positions outside the county, '' when there is nothing to say. */
  function outsideWarning(where, whereOut, exifOut) {
    const lines = [];
    if (whereOut) lines.push(t(`location.outside_${where.source}`));
    if (exifOut && where?.source !== 'exif') lines.push(t('location.exif_outside'));
    return lines.join(' ');
  }

  async function renderLocation() {
    const where = currentLocation();
    const exif = exifPosition();
    field('location-status').textContent = locationText(where);
    renderPlaceHint(where);
    const check = ++checking;
    const [whereOut, exifOut, deviceOut] = await Promise.all([where, exif, watch.best].map(outside));
    if (check !== checking) return;
    // A photo's position outside the county is not offered; the phone's fix only when it is inside.
    button('use-exif').hidden = !exif || exifOut || state.choice?.source === 'exif';
    button('use-device').hidden = !state.choice || !watch.best || deviceOut;
    const warning = field('location-warning');
    warning.textContent = outsideWarning(where, whereOut, exifOut);
    warning.hidden = !warning.textContent;
  }

  async function renderCategories() {
    const select = form.elements.category;
    const chosen = select.value || state.editing?.categoryCode || '';
    const en = currentLang() === 'en';
    const groups = new Map();
    for (const category of (await listCategories()).sort((a, b) => a.code.localeCompare(b.code))) {
      const label = (en && category.group_en) || category.group_zh || category.group;
      if (!groups.has(label)) groups.set(label, []);
      groups.get(label).push(new Option((en && category.name_en) || category.name_zh, category.code));
    }
    select.replaceChildren(new Option(t('capture.choose'), ''));
    for (const [label, options] of groups) {
      const group = document.createElement('optgroup');
      group.label = label;
      group.append(...options);
      select.append(group);
    }
    select.value = chosen;
  }

  /** Instead of a broken image: what the photo is, when it was taken and how big it is. */
  function placeholder(photo) {
    const taken = photo.exif?.takenAt ? t('capture.photo_taken', {time: shortTime(photo.exif.takenAt)})
      : t('capture.photo_no_time');
    const lines = [formatName(photo.type), taken, t('capture.photo_size', {mb: megabytes(photo.bytes)}),
      t('capture.no_preview')].filter(Boolean);
    const box = Object.assign(document.createElement('div'), {className: 'photo-placeholder'});
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', lines.join(' · '));
    box.append(...lines.map((text) => Object.assign(document.createElement('span'), {textContent: text})));
    return box;
  }

  function preview(photo) {
    if (!photo.previewable) return placeholder(photo);
    const img = Object.assign(document.createElement('img'), {src: URL.createObjectURL(photo.blob), alt: ''});
    img.addEventListener('error', () => img.replaceWith(placeholder(photo)), {once: true});
    return img;
  }

  function renderPhotos() {
    const list = field('previews');
    for (const img of list.querySelectorAll('img')) URL.revokeObjectURL(img.src);
    list.replaceChildren(...state.photos.map((photo) => {
      const item = document.createElement('li');
      const img = preview(photo);
      const remove = Object.assign(document.createElement('button'),
        {type: 'button', textContent: t('capture.remove_photo')});
      remove.addEventListener('click', () => {
        state.photos = state.photos.filter((p) => p.sha256 !== photo.sha256);
        renderPhotos();
        renderLocation();
      });
      item.append(img, remove);
      return item;
    }));
  }

  function renderPreparing() {
    field('photo-status').textContent = state.preparing ? t('capture.processing') : '';
    form.querySelector('button[type=submit]').setAttribute('aria-busy', String(state.preparing > 0));
  }

  /** Prepare the picked files one after another, after any picked before; a save waits for `state.work`. */
  function addFiles(files) {
    const picked = [...files];
    if (!picked.length) return;
    form.elements.photos.value = '';
    state.capturedAt ??= new Date().toISOString();
    const generation = state.generation;
    state.preparing += 1;
    renderPreparing();
    state.work = state.work.then(() => prepareAll(picked, generation)).catch(() => {}).finally(() => {
      state.preparing -= 1;
      renderPreparing();
    });
  }

  async function prepareAll(files, generation) {
    const {max_photos: maxPhotos} = await loadConfig();
    const room = maxPhotos - state.photos.length;
    if (files.length > room) toast('capture.too_many_photos', {n: maxPhotos}, {error: true});
    for (const file of files.slice(0, Math.max(room, 0))) {
      let photo;
      try {
        photo = await preparePhoto(file);
      } catch {
        toast('capture.photo_failed', {}, {error: true});
        continue;
      }
      if (generation !== state.generation) return; // the form was reset or cancelled meanwhile
      if (!state.photos.some((p) => p.sha256 === photo.sha256)) state.photos.push(photo);
      renderPhotos(); // each photo shows as soon as it is ready
      renderLocation();
    }
  }

  async function openMap() {
    const container = field('map');
    const config = await loadConfig();
    // Open where the pin is needed: not at a position the county would refuse (a photo taken abroad).
    let where = null;
    for (const candidate of [currentLocation(), exifPosition()]) {
      if (candidate && !(await outside(candidate))) {
        where = candidate;
        break;
      }
    }
    where ||= config.map_center || currentLocation() || exifPosition();
    if (!where) {
      toast('capture.need_location', {}, {error: true});
      return;
    }
    container.hidden = false;
    state.map?.close();
    const marks = [watch.best, exifPosition()].filter(Boolean);
    try {
      state.map = await openPinMap(container, {pin: where, marks, config, onPick(lat, lon) {
        state.choice = {source: 'manual', lat, lon, accuracy: null};
        renderLocation();
      }});
    } catch {
      container.hidden = true;
      toast('location.map_unavailable', {}, {error: true});
    }
  }

  function choose(where) {
    state.choice = where;
    if (where) state.map?.moveTo(where);
    renderLocation();
  }

  async function problem() {
    if (!state.photos.length) return 'capture.need_photo';
    if (!form.elements.category.value) return 'capture.need_category';
    if (!currentLocation()) return 'capture.need_location';
    // The server refuses it unless SYNC_OUTSIDE_COUNTY=accept (the phone's config says which).
    if ((await loadConfig()).outside_county !== 'accept' && (await outside(currentLocation()))) {
      return 'capture.outside_county';
    }
    return null;
  }

  async function buildReport() {
    const where = currentLocation();
    const photoExif = {};
    for (const photo of state.photos) {
      if (photo.exif.lat !== null || photo.exif.takenAt) {
        photoExif[photo.sha256] = {lat: photo.exif.lat, lon: photo.exif.lon, taken_at: photo.exif.takenAt};
      }
    }
    return {
      clientId: state.editing?.clientId || crypto.randomUUID(),
      owner: state.editing?.owner ?? await getMeta('username'),
      categoryCode: form.elements.category.value,
      description: form.elements.description.value.trim(),
      address: form.elements.address.value.trim(),
      lat: where.lat,
      lon: where.lon,
      accuracyM: where.accuracy === null ? null : Math.round(where.accuracy * 10) / 10,
      locationSource: where.source,
      capturedAt: state.capturedAt || new Date().toISOString(),
      photos: state.photos.map((p) => p.sha256),
      photoExif,
      createdAt: state.editing?.createdAt || new Date().toISOString(),
    };
  }

  function reset() {
    form.reset();
    state.generation += 1; // photos still being prepared belong to the form that was
    state.photos = [];
    state.capturedAt = null;
    state.choice = null;
    state.editing = null;
    state.map?.close();
    state.map = null;
    field('map').hidden = true;
    field('editing').hidden = true;
    field('form-error').hidden = true;
    renderPhotos();
    renderLocation();
  }

  /** Wait for the photos still being prepared, saying so next to the save button. */
  async function photosReady() {
    const status = field('save-status');
    status.textContent = t('capture.processing');
    status.hidden = false;
    try {
      while (state.preparing) await state.work; // photos picked while waiting are waited for too
    } finally {
      status.hidden = true;
      status.textContent = '';
    }
  }

  let saving = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (saving) return; // a second tap while the first save waits
    saving = true;
    try {
      await save();
    } finally {
      saving = false;
    }
  });

  async function save() {
    field('form-error').hidden = true;
    if (state.preparing) await photosReady();
    const missing = await problem();
    field('form-error').hidden = !missing;
    if (missing) {
      field('form-error').textContent = t(missing);
      return;
    }
    const report = await buildReport();
    const photos = state.photos.map(({exif, previewable, ...photo}) => photo);
    const editing = Boolean(state.editing);
    try {
      const saving = editing ? outbox.replaceReport(report, photos) : outbox.addReport(report, photos);
      await withTimeout(saving, SAVE_TIMEOUT_MS);
    } catch (error) {
      storageError(error);
      return;
    }
    reset();
    toast(editing ? 'capture.updated' : 'capture.saved');
    onSaved();
  }

  form.elements.photos.addEventListener('change', () => addFiles(form.elements.photos.files));
  button('use-exif').addEventListener('click', () => choose(exifPosition()));
  button('use-device').addEventListener('click', () => choose(null));
  button('open-map').addEventListener('click', openMap);
  button('cancel-edit').addEventListener('click', reset);
  watch.addEventListener('change', renderLocation);
  watch.start();
  onAnnounce('feed-changed', renderCategories);
  onAnnounce('sync-finished', () => {
    forgetCountyOutline(); // the sync may have brought the county's outline, or a new one
    renderLocation();
  });
  const ready = renderCategories();
  renderLocation();

  return {
    /** Settles when the form can be used: the cached categories are in the select. */
    ready,

    /** Load a report the server refused back into the form, to fix and queue again. */
    async edit(report) {
      reset();
      state.editing = report;
      state.capturedAt = report.capturedAt;
      state.choice = report.locationSource === 'device' ? null
        : {source: report.locationSource, lat: report.lat, lon: report.lon, accuracy: report.accuracyM};
      for (const sha256 of report.photos) {
        const stored = await outbox.getPhoto(sha256);
        const exif = report.photoExif?.[sha256];
        if (stored) {
          state.photos.push({...stored, previewable: stored.type === 'image/jpeg',
            exif: {lat: exif?.lat ?? null, lon: exif?.lon ?? null, takenAt: exif?.taken_at ?? null}});
        }
      }
      form.elements.description.value = report.description;
      form.elements.address.value = report.address;
      await renderCategories();
      form.elements.category.value = report.categoryCode;
      field('editing').hidden = false;
      renderPhotos();
      renderLocation();
    },
    relabel() {
      renderCategories();
      renderPhotos();
      renderLocation();
    },
  };
}

/** A capture time on this phone's clock, as the rest of the app shows times: "2021/04/12 04:47". */
function shortTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(currentLang(), {year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).format(date);
}

/** Bytes as megabytes with one decimal, never "0.0". */
function megabytes(bytes) {
  return Math.max(0.1, bytes / 1_000_000).toFixed(1);
}

/** `promise`, or a rejection after `ms` (storage that never answers). */
export function withTimeout(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`storage did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
