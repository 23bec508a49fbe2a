// A visit in progress, item by item: pass, fail (at least one photo, a note if wanted) or not
// applicable. Every change is written to IndexedDB at once, so a reload or a closed app loses
// nothing; finishing moves the visit into the outbox before the screen says it is saved.
import {distanceM} from '../assessment.js';
import {withTimeout} from '../capture/form.js';
import {preparePhoto} from '../capture/photo.js';
import {t} from '../i18n.js';
import {getPhoto} from '../outbox.js';
import * as visits from '../visits.js';
import {storageError, toast} from './toast.js';
import {itemText} from './visit-words.js';

const FAR_M = 200; // the server flags a visit made farther than this from its point (issue 14)
const SAVE_TIMEOUT_MS = 10_000; // as the capture form: storage that never answers must not hang the screen

/** Wire up the visit form; `watch` is the phone's LocationWatch. Answers {open, close, isOpen, relabel}. */
export function mountVisitForm(form, {watch, onFinished, onLeave}) {
  const field = (name) => form.querySelector(`[data-field="${name}"]`);
  let draft = null;
  let previews = []; // object URLs of the current item's photos

  let writing = 0; // draft writes not yet committed: data-saved says when all of them are on disk

  const result = () => draft.results[draft.current];
  const persist = (newPhotos = []) => {
    writing += 1;
    form.dataset.saved = 'false';
    return visits.saveDraft(draft, newPhotos).then((saved) => {
      if (draft?.clientId === saved.clientId) draft.photos = saved.photos;
    }).catch(storageError).finally(() => {
      writing -= 1;
      if (!writing) form.dataset.saved = 'true';
    });
  };

  function renderHeader() {
    field('visit-point').textContent = `${draft.pointName} (${draft.pointCode})`;
    const started = t('visit.started', {time: new Date(draft.startedAt).toLocaleString()});
    const distance = draft.lat === null ? null
      : Math.round(distanceM(draft.lat, draft.lon, draft.pointLat, draft.pointLon));
    const where = distance === null ? t('visit.no_position')
      : t('visit.position', {m: Math.round(draft.accuracyM ?? 0), d: distance});
    field('visit-meta').textContent = `${started} · ${where}`;
    field('visit-far').hidden = distance !== null && distance <= FAR_M;
    field('visit-far').textContent = t('visit.far');
  }

  function renderStrip() {
    field('item-strip').replaceChildren(...draft.results.map((each, index) => {
      const entry = document.createElement('li');
      const jump = Object.assign(document.createElement('button'), {type: 'button', textContent: String(index + 1)});
      jump.dataset.index = String(index);
      if (each.outcome) jump.dataset.result = each.outcome;
      jump.setAttribute('aria-current', String(index === draft.current));
      jump.title = itemText(draft.items[index]);
      jump.addEventListener('click', () => go(index));
      entry.append(jump);
      return entry;
    }));
  }

  async function renderItem() {
    const item = draft.items[draft.current];
    const current = result();
    field('item').dataset.itemCode = item.code;
    field('item-count').textContent = t('visit.item_count', {n: draft.current + 1, total: draft.items.length});
    field('item-text').textContent = itemText(item);
    field('item-meta').textContent = item.deduction ? t('visit.deduction', {points: item.deduction}) : '';
    for (const button of form.querySelectorAll('.outcomes [data-outcome]')) {
      button.setAttribute('aria-pressed', String(button.dataset.outcome === current.outcome));
    }
    field('fail-part').hidden = current.outcome !== 'fail';
    form.elements['item-note'].value = current.note;
    form.querySelector('[data-action="prev-item"]').disabled = draft.current === 0;
    form.querySelector('[data-action="next-item"]').disabled = draft.current === draft.items.length - 1;
    await renderPreviews();
  }

  async function renderPreviews() {
    for (const url of previews) URL.revokeObjectURL(url);
    previews = [];
    const shown = [];
    for (const sha256 of result().photos) {
      const photo = await getPhoto(sha256);
      if (!photo) continue;
      const url = URL.createObjectURL(photo.blob);
      previews.push(url);
      const entry = document.createElement('li');
      const remove = Object.assign(document.createElement('button'), {type: 'button', textContent: t('capture.remove_photo')});
      remove.addEventListener('click', () => {
        result().photos = result().photos.filter((sha) => sha !== sha256);
        persist().then(render);
      });
      entry.append(Object.assign(document.createElement('img'), {src: url, alt: ''}), remove);
      shown.push(entry);
    }
    field('item-previews').replaceChildren(...shown);
  }

  function render() {
    if (!draft) return Promise.resolve();
    renderHeader();
    renderStrip();
    return renderItem();
  }

  function say(problem) {
    field('visit-error').hidden = !problem;
    if (!problem) return;
    const item = `${problem.index + 1}. ${itemText(draft.items[problem.index])}`;
    field('visit-error').textContent = problem.problem === 'need_photo'
      ? t('visit.need_photo', {item}) : t('visit.need_outcome', {n: problem.index + 1, item});
  }

  function go(index) {
    draft.current = Math.max(0, Math.min(draft.items.length - 1, index));
    say(null);
    persist();
    render();
  }

  function choose(outcome) {
    result().outcome = outcome;
    say(null);
    // A pass or n/a needs nothing more: go on to the next item; a fail waits for its photo.
    if (outcome !== 'fail' && draft.current < draft.items.length - 1) draft.current += 1;
    persist();
    render();
  }

  function next() {
    if (result().outcome === 'fail' && !result().photos.length) {
      say({index: draft.current, problem: 'need_photo'});
      return;
    }
    go(draft.current + 1);
  }

  async function addPhotos(files) {
    const target = result();
    field('item-photo-status').textContent = t('capture.processing');
    const fresh = [];
    try {
      for (const file of files) {
        const {exif, ...photo} = await preparePhoto(file);
        if (target.photos.includes(photo.sha256)) continue;
        target.photos.push(photo.sha256);
        fresh.push(photo);
      }
    } finally {
      field('item-photo-status').textContent = '';
      form.elements['item-photos'].value = '';
    }
    await persist(fresh);
    say(null);
    await render();
  }

  /** A better (or a first) fix while the visit is open improves the position it is sent with. */
  function takePosition() {
    const fix = watch.best;
    if (!draft || !fix) return;
    if (draft.lat !== null && draft.accuracyM !== null && fix.accuracy >= draft.accuracyM) return;
    Object.assign(draft, visits.positionFields(fix));
    persist();
    renderHeader();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!draft) return;
    result().note = form.elements['item-note'].value;
    const problem = visits.unfinished(draft);
    if (problem) {
      draft.current = problem.index;
      await render();
      say(problem);
      return;
    }
    try {
      await withTimeout(visits.finishVisit(draft), SAVE_TIMEOUT_MS);
    } catch (error) {
      storageError(error);
      return;
    }
    close();
    toast('visit.saved');
    onFinished();
  });
  for (const button of form.querySelectorAll('.outcomes [data-outcome]')) {
    button.addEventListener('click', () => choose(button.dataset.outcome));
  }
  form.querySelector('[data-action="prev-item"]').addEventListener('click', () => go(draft.current - 1));
  form.querySelector('[data-action="next-item"]').addEventListener('click', next);
  form.querySelector('[data-action="leave-visit"]').addEventListener('click', () => {
    close();
    onLeave();
  });
  form.elements['item-photos'].addEventListener('change', () => addPhotos([...form.elements['item-photos'].files]));
  form.elements['item-note'].addEventListener('input', () => {
    result().note = form.elements['item-note'].value;
    persist();
  });
  watch.addEventListener('change', takePosition);

  function close() {
    draft = null;
    form.hidden = true;
    for (const url of previews) URL.revokeObjectURL(url);
    previews = [];
  }

  return {
    /** Show `openDraft` (a visit in progress, as stored). */
    async open(openDraft) {
      draft = {current: 0, ...openDraft};
      form.hidden = false;
      if (!writing) form.dataset.saved = 'true'; // as stored: nothing to write yet
      say(null);
      takePosition();
      await render();
    },
    close,
    isOpen: () => draft !== null,
    relabel: render,
  };
}
