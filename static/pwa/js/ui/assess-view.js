// The 测评 tab: the points assigned to this inspector and those nearest the phone (from the lists
// cached for offline use, distances worked out here from the phone's position), the visit in
// progress, and the visits the server acknowledged with the tickets their fails opened.
import {getChecklist, listAssignments, listPoints, nearest} from '../assessment.js';
import {LocationWatch} from '../capture/location.js';
import {onAnnounce} from '../events.js';
import {getTicket} from '../feed.js';
import {t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as visits from '../visits.js';
import {fill, fromTemplate} from './template.js';
import {toast} from './toast.js';
import {mountVisitForm} from './visit-form.js';
import {itemText} from './visit-words.js';

const NEARBY = 10;        // points listed by distance
const MOVED_M = 25;       // re-sort the list when the phone moved this far

export function mountAssessView({onQueued}) {
  const screen = document.querySelector('[data-screen="assess"]');
  const field = (name) => screen.querySelector(`[data-field="${name}"]`);
  const watch = new LocationWatch();
  const form = mountVisitForm(screen.querySelector('#visit-form'), {
    watch,
    onFinished: () => {
      showHome();
      onQueued();
    },
    onLeave: showHome,
  });
  let sortedAt = null;

  function showHome() {
    field('assess-home').hidden = false;
    render();
  }

  async function openVisit(draft) {
    field('assess-home').hidden = true;
    await form.open(draft);
  }

  async function start(point) {
    if (await visits.currentDraft()) {
      toast('assess.busy', {}, {error: true});
      return;
    }
    const checklist = await getChecklist(point.location_type);
    if (!checklist?.items?.length) {
      toast('assess.no_checklist', {}, {error: true});
      return;
    }
    const draft = await visits.startVisit({point, checklist, owner: await getMeta('username'), position: watch.best});
    await openVisit(draft);
  }

  function localDate(text) {
    // A bare date ("2026-12-07") is the local day as the server meant it: shown as it is.
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? text : date.toLocaleDateString();
  }

  function distanceText(metres) {
    if (!Number.isFinite(metres)) return '';
    return metres < 1000 ? t('assess.distance_m', {m: Math.round(metres)})
      : t('assess.distance_km', {km: (metres / 1000).toFixed(1)});
  }

  function pointCard(point, extra = [], busy = false) {
    const item = fromTemplate('point-item');
    item.dataset.code = point.code;
    fill(item, {
      name: `${point.name} (${point.code})`,
      meta: [distanceText(point.distance_m), ...extra,
        point.last_visited_at ? t('assess.last_visited', {date: new Date(point.last_visited_at).toLocaleDateString()}) : '']
        .filter(Boolean).join(' · '),
    });
    const button = item.querySelector('[data-slot="start"]');
    button.disabled = busy;
    button.addEventListener('click', () => start(point));
    return item;
  }

  function renderResume(draft) {
    const card = field('resume');
    card.hidden = !draft;
    if (!draft) return;
    const done = draft.results.filter((result) => result.outcome).length;
    fill(card, {
      title: t('assess.in_progress', {point: `${draft.pointName} (${draft.pointCode})`}),
      meta: t('assess.progress', {done, total: draft.results.length, time: new Date(draft.startedAt).toLocaleString()}),
    });
  }

  async function renderLog(owner) {
    const entries = (await visits.listVisitLog()).filter((entry) => !entry.owner || entry.owner === owner);
    const cards = [];
    for (const entry of entries) {
      const item = fromTemplate('visit-log-item');
      item.dataset.clientId = entry.clientId;
      item.dataset.visitId = String(entry.visitId ?? '');
      fill(item, {
        title: `${entry.pointName} (${entry.pointCode})`,
        meta: t('assess.log_meta', {time: new Date(entry.finishedAt).toLocaleString(), fails: entry.fails}),
      });
      const tickets = Object.entries(entry.tickets || {});
      const lines = [];
      for (const [code, ticketId] of tickets) {
        const known = await getTicket(ticketId);
        const line = document.createElement('li');
        line.dataset.ticketId = String(ticketId);
        line.textContent = t('assess.ticket', {item: itemText(entry.items?.find((i) => i.code === code) || {code}),
          ticket: known?.case_number || `#${ticketId}`});
        lines.push(line);
      }
      if (!lines.length) lines.push(Object.assign(document.createElement('li'), {textContent: t('assess.no_tickets')}));
      item.querySelector('[data-slot="tickets"]').replaceChildren(...lines);
      cards.push(item);
    }
    field('visit-log').replaceChildren(...cards);
    field('visit-log-empty').hidden = cards.length > 0;
  }

  let renderCount = 0;

  async function render() {
    const seq = ++renderCount;
    const owner = await getMeta('username');
    const draft = await visits.currentDraft();
    const points = await listPoints();
    const assignments = await listAssignments();
    // A later render (the phone's first fix, a sync) started while this one read the stores: it
    // writes the newer list; this one must not overwrite it with a list sorted without a position.
    if (seq !== renderCount) return;
    renderResume(draft);
    const fix = watch.best;
    const placed = fix ? nearest(points, fix.lat, fix.lon, points.length) : points;
    const byCode = new Map(placed.map((point) => [point.code, point]));
    const busy = Boolean(draft);

    const assigned = assignments.map((row) => {
      const point = byCode.get(row.code) ?? (row.point && (fix ? nearest([row.point], fix.lat, fix.lon)[0] : row.point));
      if (!point) return null;
      const extra = [row.draw || '', row.due ? t('assess.due', {date: localDate(row.due)}) : '',
        row.visited ? t('assess.visited') : ''];
      return pointCard(point, extra.filter(Boolean), busy);
    }).filter(Boolean);
    field('assigned-list').replaceChildren(...assigned);
    field('assigned-empty').hidden = assigned.length > 0;

    const shown = fix ? placed.slice(0, NEARBY) : [...points].sort((a, b) => a.code.localeCompare(b.code));
    field('nearby-list').replaceChildren(...shown.map((point) => pointCard(point, [], busy)));
    field('nearby-list').dataset.sorted = fix ? 'distance' : 'code';  // by code until the phone has a position
    let status;
    if (!points.length) status = t('assess.no_points');
    else if (fix) status = t('assess.nearby_from', {m: Math.round(fix.accuracy)});
    else if (watch.error) status = t('assess.nearby_unavailable', {reason: watch.error});
    else status = t('assess.nearby_waiting');
    field('nearby-status').textContent = status;
    sortedAt = fix;
    await renderLog(owner);
  }

  screen.querySelector('[data-action="resume-visit"]').addEventListener('click', async () => {
    const draft = await visits.currentDraft();
    if (draft) await openVisit(draft);
  });
  screen.querySelector('[data-action="abandon-visit"]').addEventListener('click', async () => {
    const draft = await visits.currentDraft();
    if (draft && confirm(t('assess.abandon_confirm'))) await visits.abandonDraft(draft.clientId);
  });
  watch.addEventListener('change', () => {
    const fix = watch.best;
    const moved = fix && (!sortedAt || Math.hypot(fix.lat - sortedAt.lat, fix.lon - sortedAt.lon) * 111_000 > MOVED_M);
    if ((moved || (!fix && watch.error)) && !form.isOpen()) render();
  });
  let started = false;
  const refresh = () => {
    if (started && !form.isOpen()) render();
  };
  onAnnounce('assessment-changed', refresh);
  onAnnounce('outbox-changed', refresh);
  onAnnounce('feed-changed', refresh);

  return {
    /** Fill the tab; called once the capture form is usable, which must not wait for this. */
    async start() {
      started = true;
      watch.start();
      // A visit in progress when the app was closed or reloaded opens where it was left.
      const draft = await visits.currentDraft();
      await (draft ? openVisit(draft) : render());
    },
    render: () => (form.isOpen() ? form.relabel() : refresh()),
    /** Open the visit in progress (after a refused visit was taken back to be fixed). */
    async openCurrent() {
      const draft = await visits.currentDraft();
      if (draft) await openVisit(draft);
    },
  };
}
