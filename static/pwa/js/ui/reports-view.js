// "My reports" and re-inspection tasks, as the change feed last described them (readable offline).
// Closing or reopening a task is queued like a report and sent with the next sync.
import {preparePhoto} from '../capture/photo.js';
import {onAnnounce} from '../events.js';
import {listCategories, listTickets} from '../feed.js';
import {currentLang, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import {fill, fromTemplate} from './template.js';
import {storageError, toast} from './toast.js';

export function mountReportsView({onQueued}) {
  const taskList = document.querySelector('[data-field="task-list"]');
  const reportList = document.querySelector('[data-field="report-list"]');
  const syncedAt = document.querySelector('[data-field="synced-at"]');

  async function render() {
    const tickets = await listTickets();
    const categories = new Map((await listCategories()).map((c) => [c.code, c]));
    const pending = new Set((await outbox.listActions()).map((a) => a.ticketId));
    const categoryName = (code) => {
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
    syncedAt.textContent = last ? t('reports.synced_at', {time: new Date(last).toLocaleString()}) : t('reports.never');
  }

  function reportCard(ticket, categoryName) {
    const item = fromTemplate('report-item');
    item.dataset.ticketId = ticket.id;
    item.dataset.status = ticket.status;
    fill(item, {
      case: ticket.case_number,
      status: t(`status.${ticket.status}`),
      category: categoryName(ticket.category_code),
      meta: [new Date(ticket.received_at).toLocaleString(), departmentName(ticket), ticket.address]
        .filter(Boolean).join(' · '),
    });
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
  render();
  return {render};
}

function departmentName(ticket) {
  return (currentLang() === 'en' && ticket.department_name_en) || ticket.department_name || '';
}

function byTime(a, b) {
  return (a || '').localeCompare(b || '');
}
