// "My reports" and re-inspection tasks, as the change feed last described them (readable offline).
// A report's card opens its detail (report-detail.js); a task shows its before and after photos
// side by side. Closing or reopening a task is queued like a report and sent with the next sync.
import {preparePhoto} from '../capture/photo.js';
import {onAnnounce} from '../events.js';
import {listCategories, listTickets} from '../feed.js';
import {currentLang, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import {cachePhotos} from '../photo-cache.js';
import {photoPair, refreshPhotos} from './photo-pair.js';
import {capturedAt, departmentName, localTime, mountReportDetail, statusWord} from './report-detail.js';
import {fill, fromTemplate} from './template.js';
import {storageError, toast} from './toast.js';

export function mountReportsView({onQueued}) {
  const taskList = document.querySelector('[data-field="task-list"]');
  const reportList = document.querySelector('[data-field="report-list"]');
  const syncedAt = document.querySelector('[data-field="synced-at"]');
  let categoryName = (code) => code;
  const detail = mountReportDetail({categoryName: (code) => categoryName(code)});

  async function render() {
    const tickets = await listTickets();
    const categories = new Map((await listCategories()).map((c) => [c.code, c]));
    const pending = new Set((await outbox.listActions()).map((a) => a.ticketId));
    categoryName = (code) => {
      const category = categories.get(code);
      return (currentLang() === 'en' && category?.name_en) || category?.name_zh || code;
    };
    const tasks = tickets.filter((ticket) => ticket.task).sort((a, b) => byTime(a.resolved_at, b.resolved_at));
    const mine = tickets.filter((ticket) => ticket.mine).sort((a, b) => byTime(b.received_at, a.received_at));
    taskList.replaceChildren(...tasks.map((ticket) => taskCard(ticket, categoryName, pending.has(ticket.id))));
    reportList.replaceChildren(...mine.map((ticket) => reportCard(ticket, categoryName)));
    document.querySelector('[data-field="tasks-empty"]').hidden = tasks.length > 0;
    document.querySelector('[data-field="reports-empty"]').hidden = mine.length > 0;
    const last = await getMeta('lastSyncAt');
    syncedAt.textContent = last ? t('reports.synced_at', {time: localTime(last)}) : t('reports.never');
    detail.refresh();
    // Thumbnails for offline use; a run while offline just leaves the placeholders for the next one.
    if (navigator.onLine) cachePhotos(tickets).catch(() => {});
  }

  function reportCard(ticket, categoryName) {
    const item = fromTemplate('report-item');
    item.dataset.ticketId = ticket.id;
    item.dataset.status = ticket.status;
    fill(item, {
      case: ticket.case_number,
      status: statusWord(ticket.status),
      category: categoryName(ticket.category_code),
      meta: [localTime(capturedAt(ticket)), departmentName(ticket), ticket.address].filter(Boolean).join(' · '),
    });
    item.querySelector('[data-slot="open"]').addEventListener('click', () => detail.open(ticket.id));
    return item;
  }

  function taskCard(ticket, categoryName, isPending) {
    const item = fromTemplate('task-item');
    item.dataset.ticketId = ticket.id;
    fill(item, {
      title: `${ticket.case_number} · ${categoryName(ticket.category_code)}`,
      meta: [departmentName(ticket), ticket.address].filter(Boolean).join(' · '),
      resolution: ticket.last_note ? t('tasks.resolution', {note: ticket.last_note}) : '',
    });
    item.querySelector('[data-slot="photos"]').replaceChildren(photoPair(ticket, ['before', 'after']));
    const form = item.querySelector('form');
    form.hidden = isPending;
    item.querySelector('[data-slot="pending"]').hidden = !isPending;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      queueAction(ticket, event.submitter?.value, form);
    });
    return item;
  }

  async function queueAction(ticket, action, form) {
    const note = form.elements.note.value.trim();
    const file = form.elements.photo.files[0];
    const error = form.querySelector('[data-slot="error"]');
    let missing = null;
    if (action === 'close' && !file) missing = 'tasks.need_photo';
    if (action === 'reopen' && !note) missing = 'tasks.need_note';
    error.hidden = !missing;
    if (missing) {
      error.textContent = t(missing);
      return;
    }
    const photos = file ? [await preparePhoto(file)] : [];
    try {
      await outbox.addAction({
        clientId: crypto.randomUUID(),
        owner: await getMeta('username'),
        ticketId: ticket.id,
        caseNumber: ticket.case_number,
        action,
        version: ticket.version,
        note,
        photos: photos.map((p) => p.sha256),
        createdAt: new Date().toISOString(),
      }, photos.map(({exif, ...photo}) => photo));
    } catch (failure) {
      storageError(failure);
      return;
    }
    toast('tasks.queued');
    onQueued();
  }

  onAnnounce('feed-changed', render);
  onAnnounce('outbox-changed', render);
  onAnnounce('sync-finished', render);
  onAnnounce('photos-cached', () => refreshPhotos(taskList)); // in place: a note being typed stays
  render();
  return {render};
}

function byTime(a, b) {
  return (a || '').localeCompare(b || '');
}
