// The capture screen: photos, location, category and note become one report in the outbox.
// Saving touches only IndexedDB, so it works with no network; photos are resized and hashed as
// soon as they are picked, so the save itself is quick.
import {loadConfig} from '../config.js';
import {onAnnounce} from '../events.js';
import {listCategories} from '../feed.js';
import {currentLang, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import {placeName} from '../places.js';
import {storageError, toast} from '../ui/toast.js';
import {LocationWatch} from './location.js';
import {openPinMap} from './map.js';
import {preparePhoto} from './photo.js';

const SAVE_TIMEOUT_MS = 10_000; // storage that never answers (a full disk, pouchdb#7025) must not hang the form

/** Wire up the capture form; `onSaved()` runs after each report is queued. Answers {ready, edit, relabel}. */
export function mountCaptureForm(form, {onSaved}) {
  const field = (name) => form.querySelector(`[data-field="${name}"]`);
  const button = (action) => form.querySelector(`[data-action="${action}"]`);
  const watch = new LocationWatch();
  const state = {photos: [], capturedAt: null, choice: null, editing: null, map: null};

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

  function renderLocation() {
    field('location-status').textContent = locationText(currentLocation());
    renderPlaceHint(currentLocation());
    button('use-exif').hidden = !exifPosition() || state.choice?.source === 'exif';
    button('use-device').hidden = !state.choice || !watch.best;
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

  function renderPhotos() {
    const list = field('previews');
    for (const img of list.querySelectorAll('img')) URL.revokeObjectURL(img.src);
    list.replaceChildren(...state.photos.map((photo) => {
      const item = document.createElement('li');
      const img = Object.assign(document.createElement('img'), {src: URL.createObjectURL(photo.blob), alt: ''});
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

  async function addFiles(files) {
    const {max_photos: maxPhotos} = await loadConfig();
    const room = maxPhotos - state.photos.length;
    if (files.length > room) toast('capture.too_many_photos', {n: maxPhotos}, {error: true});
    field('photo-status').textContent = t('capture.processing');
    for (const file of [...files].slice(0, Math.max(room, 0))) {
      const photo = await preparePhoto(file);
      if (!state.photos.some((p) => p.sha256 === photo.sha256)) state.photos.push(photo);
    }
    state.capturedAt ??= new Date().toISOString();
    field('photo-status').textContent = '';
    form.elements.photos.value = '';
    renderPhotos();
    renderLocation();
  }

  async function openMap() {
    const container = field('map');
    const where = currentLocation() || exifPosition() || (await loadConfig()).map_center;
    if (!where) {
      toast('capture.need_location', {}, {error: true});
      return;
    }
    container.hidden = false;
    state.map?.close();
    const marks = [watch.best, exifPosition()].filter(Boolean);
    try {
      state.map = await openPinMap(container, {pin: where, marks, config: await loadConfig(), onPick(lat, lon) {
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

  function problem() {
    if (!state.photos.length) return 'capture.need_photo';
    if (!form.elements.category.value) return 'capture.need_category';
    if (!currentLocation()) return 'capture.need_location';
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

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const missing = problem();
    field('form-error').hidden = !missing;
    if (missing) {
      field('form-error').textContent = t(missing);
      return;
    }
    const report = await buildReport();
    const photos = state.photos.map(({exif, ...photo}) => photo);
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
  });

  form.elements.photos.addEventListener('change', () => addFiles(form.elements.photos.files));
  button('use-exif').addEventListener('click', () => choose(exifPosition()));
  button('use-device').addEventListener('click', () => choose(null));
  button('open-map').addEventListener('click', openMap);
  button('cancel-edit').addEventListener('click', reset);
  watch.addEventListener('change', renderLocation);
  watch.start();
  onAnnounce('feed-changed', renderCategories);
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
          state.photos.push({...stored, exif: {lat: exif?.lat ?? null, lon: exif?.lon ?? null,
            takenAt: exif?.taken_at ?? null}});
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

/** `promise`, or a rejection after `ms` (storage that never answers). */
export function withTimeout(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`storage did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
