// One of "my reports", opened from its card: what the last sync said about it, readable offline —
// status and history in the server's words, department, deadline, return reason, photos, and the
// capture time as the inspector took it (docs/sync-protocol.md §3).
import {onAnnounce} from '../events.js';
import {getTicket} from '../feed.js';
import {currentLang, has, t} from '../i18n.js';
import {photoPair, refreshPhotos} from './photo-pair.js';
import {fill, fromTemplate} from './template.js';

// The county's clock, whatever the phone's zone (a borrowed phone set to another zone included).
const LOCAL = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
});

/** "2026-12-01 16:20" in Asia/Shanghai, as the server's pages write times; '' for none. */
export function localTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : LOCAL.format(date);
}

/** When the inspector took it: their own report's capture time (a repeat's too), else the ticket's. */
export function capturedAt(ticket) {
  return ticket.own_captured_at || ticket.captured_at;
}

export function departmentName(ticket) {
  return (currentLang() === 'en' && ticket.department_name_en) || ticket.department_name || '';
}

export function statusWord(status) {
  return has(`status.${status}`) ? t(`status.${status}`) : status;
}

function eventWord(action) {
  return has(`event.${action}`) ? t(`event.${action}`) : action;
}

export function mountReportDetail({categoryName}) {
  const dialog = document.querySelector('[data-field="report-detail"]');
  let shownId = null;

  async function open(ticketId) {
    const ticket = await getTicket(ticketId);
    if (!ticket) return;
    shownId = ticketId;
    show(ticket);
    if (!dialog.open) dialog.showModal();
  }

  function show(ticket) {
    dialog.dataset.ticketId = ticket.id;
    dialog.dataset.status = ticket.status;
    fill(dialog, {
      case: ticket.case_number,
      status: statusWord(ticket.status),
      category: categoryName(ticket.category_code),
      department: departmentName(ticket) || t('detail.no_department'),
      deadline: localTime(ticket.due_at) || '—',
      captured: localTime(capturedAt(ticket)),
      address: ticket.address || '—',
      description: ticket.description || '—',
      return: ticket.return_note || '',
      resolution: ticket.last_note && ticket.status === 'resolved' ? t('tasks.resolution', {note: ticket.last_note}) : '',
    });
    dialog.querySelector('[data-slot="return-box"]').hidden = !ticket.return_note;
    dialog.querySelector('[data-slot="resolution"]').hidden = !(ticket.last_note && ticket.status === 'resolved');
    const kinds = (ticket.photos || []).some((photo) => photo.kind === 'recheck')
      ? ['before', 'after', 'recheck'] : ['before', 'after'];
    dialog.querySelector('[data-slot="photos"]').replaceChildren(photoPair(ticket, kinds));
    dialog.querySelector('[data-slot="history"]').replaceChildren(...(ticket.events || []).map(historyItem));
  }

  function historyItem(event) {
    const item = fromTemplate('history-item');
    const moved = event.from && event.to && event.from !== event.to;
    fill(item, {
      time: localTime(event.at),
      action: eventWord(event.action),
      move: moved ? `${statusWord(event.from)} → ${statusWord(event.to)}` : '',
      note: event.note || '',
    });
    item.querySelector('time').dateTime = event.at || '';
    item.querySelector('[data-slot="note"]').hidden = !event.note;
    item.dataset.action = event.action;
    return item;
  }

  async function refresh() {
    if (!dialog.open || shownId === null) return;
    const ticket = await getTicket(shownId);
    if (ticket) show(ticket);
    else dialog.close(); // the phone forgot it (no longer ours)
  }

  dialog.addEventListener('close', () => {
    shownId = null;
  });
  onAnnounce('feed-changed', refresh);
  onAnnounce('photos-cached', () => refreshPhotos(dialog));
  return {open, refresh};
}
