// The outbox screen: every report, action and visit that waits, with its state and, when the server
// refused it, the reason and what the inspector can do (edit, send as new, delete). Reasons read as
// sentences in the page's language ("位置：不在本县范围内。"), never as the wire's field names.
import {onAnnounce} from '../events.js';
import {listCategories} from '../feed.js';
import {currentLang, has, t} from '../i18n.js';
import {getMeta} from '../meta.js';
import * as outbox from '../outbox.js';
import * as visits from '../visits.js';
import {fill, fromTemplate} from './template.js';
import {toast} from './toast.js';
import {describeError} from './visit-words.js';

export function mountOutboxView({onEdit, onFixVisit}) {
  const list = document.querySelector('[data-field="outbox-list"]');
  const empty = document.querySelector('[data-field="outbox-empty"]');

  async function render() {
    const owner = await getMeta('username');
    const categories = new Map((await listCategories()).map((c) => [c.code, c]));
    const reports = (await outbox.listReports()).map((record) => ({kind: 'report', record}));
    const actions = (await outbox.listActions()).map((record) => ({kind: 'action', record}));
    const queued = (await visits.listVisits()).map((record) => ({kind: 'visit', record}));
    const items = [...reports, ...actions, ...queued].sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
    list.replaceChildren(...items.map(({kind, record}) => (kind === 'visit'
      ? visitCard(record, owner) : card(kind, record, owner, categories))));
    empty.hidden = items.length > 0;
  }

  function card(kind, record, owner, categories) {
    const item = fromTemplate('outbox-item');
    item.dataset.clientId = record.clientId;
    item.dataset.state = record.state;
    const category = categories.get(record.categoryCode);
    fill(item, {
      title: kind === 'report'
        ? (currentLang() === 'en' && category?.name_en) || category?.name_zh || record.categoryCode
        : t('outbox.action', {action: t(`action.${record.action}`), ticket: record.caseNumber || record.ticketId}),
      meta: `${new Date(record.createdAt).toLocaleString()} · ${t('outbox.photos', {n: record.photos.length})}`,
      state: stateText(record, owner),
    });
    const errors = item.querySelector('[data-slot="errors"]');
    const reasons = [...new Set((record.errors || []).map(describeRefusal))];
    errors.replaceChildren(...reasons.map((text) => Object.assign(document.createElement('li'), {textContent: text})));
    const attention = record.state === outbox.STATE.ATTENTION;
    const act = (slot, visible, handler) => {
      const button = item.querySelector(`[data-slot="${slot}"]`);
      button.hidden = !visible;
      button.addEventListener('click', handler);
    };
    act('edit', attention && kind === 'report' && record.reason?.code !== 'conflict', () => onEdit(record));
    act('as-new', attention && record.reason?.code === 'conflict', () => outbox.requeueAsNew(record.clientId));
    act('discard', attention, () => {
      if (!confirm(t('outbox.discard_confirm'))) return;
      if (kind === 'report') outbox.discardReport(record.clientId);
      else outbox.discardAction(record.clientId);
    });
    return item;
  }

  function visitCard(record, owner) {
    const item = fromTemplate('outbox-item');
    item.dataset.clientId = record.clientId;
    item.dataset.state = record.state;
    item.dataset.kind = 'visit';
    const fails = record.results.filter((result) => result.outcome === 'fail').length;
    fill(item, {
      title: t('outbox.visit', {point: `${record.pointName} (${record.pointCode})`}),
      meta: `${new Date(record.finishedAt).toLocaleString()} · ${t('outbox.visit_items', {n: record.results.length, fails})}`
        + ` · ${t('outbox.photos', {n: record.photos.length})}`,
      state: stateText(record, owner),
    });
    item.querySelector('[data-slot="errors"]').replaceChildren(...(record.errors || []).map((error) =>
      Object.assign(document.createElement('li'), {textContent: describeError(error, record)})));
    const attention = record.state === outbox.STATE.ATTENTION;
    const conflict = record.reason?.code === 'conflict';
    const act = (slot, visible, label, handler) => {
      const button = item.querySelector(`[data-slot="${slot}"]`);
      button.hidden = !visible;
      if (label) button.textContent = t(label);
      button.addEventListener('click', handler);
    };
    act('edit', attention && !conflict, 'outbox.fix_visit', async () => {
      if (await visits.reopenVisit(record.clientId)) onFixVisit();
      else toast('assess.busy', {}, {error: true});
    });
    act('as-new', attention && conflict, 'outbox.visit_as_new', () => visits.requeueVisitAsNew(record.clientId));
    act('discard', attention, null, () => {
      if (confirm(t('outbox.discard_confirm'))) visits.discardVisit(record.clientId);
    });
    return item;
  }

  onAnnounce('outbox-changed', render);
  onAnnounce('feed-changed', render);
  render();
  return {render};
}

function stateText(record, owner) {
  if (record.owner && owner && record.owner !== owner) return t('outbox.other_user', {user: record.owner});
  if (record.state === outbox.STATE.UPLOADING && record.progress) return t('outbox.uploading', record.progress);
  if (record.state !== outbox.STATE.ATTENTION) return t('outbox.waiting');
  const reason = record.reason || {};
  let why = '';
  if (reason.code === 'conflict') {
    why = record.pointCode ? t('outbox.reason.visit_conflict') : t('outbox.reason.conflict', {ticket: reason.ticketId});
  } else if (reason.code === 'rejected') {
    why = t('outbox.reason.rejected'); // the reasons follow, one a line
  } else if (reason.code === 'photo_lost') {
    why = t('outbox.reason.photo_lost');
  } else if (reason.code) {
    why = describeRefusal({code: reason.code, message: reason.message}); // a photo the server refused
  }
  return why ? t('outbox.attention_why', {why}) : t('outbox.attention');
}

// Codes whose words already say what they are about ("位置不在本县范围内"): no field word before them.
const NAMES_ITS_FIELD = new Set(['outside_county', 'unknown_category', 'invalid_hash', 'in_future',
  'stale_version', 'not_offline_action']);

/** One refusal ({field, code, message}) as a sentence: our words for the code, after a plain word
 * for the field it is about when that helps; the server's own message only for a code we do not know. */
export function describeRefusal(error) {
  const known = has(`error.${error.code}`);
  const why = known ? t(`error.${error.code}`) : (error.message || t('error.invalid'));
  const about = known && !NAMES_ITS_FIELD.has(error.code) && has(`field.${error.field}`) ? t(`field.${error.field}`) : '';
  return sentence(about ? t('outbox.field_error', {field: about, why}) : why);
}

/** Closed with one full stop, the text's own (。 after Chinese, . after English, capitalised). */
function sentence(text) {
  const trimmed = String(text).trim().replace(/[\s:：,，;；]+$/u, '');
  if (!trimmed) return '';
  const chinese = /[\u3400-\u9fff]/u.test(trimmed);
  const opened = chinese ? trimmed : trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[。.!?！？]$/u.test(opened) ? opened : opened + (chinese ? '。' : '.');
}
