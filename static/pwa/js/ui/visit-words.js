// How a visit's items and the server's refusals read on the phone, in the inspector's language.
// A refusal reads as a sentence: our words for its code, never the wire's field names or codes;
// a code this app version does not know gets a plain general sentence (as outbox-view.js does).
import {currentLang, has, t} from '../i18n.js';
import {itemIndexOf} from '../visits.js';

/** The item's text in the current language (Chinese when there is no English). */
export function itemText(item) {
  return (currentLang() === 'en' && item?.text_en) || item?.text_zh || item?.code || '';
}

/** One refusal from the server in plain words: the item it names, and our words for its code. */
export function describeError(error, visit) {
  const known = has(`error.${error.code}`);
  const index = itemIndexOf(error, visit);
  if (index === null) {
    if (!known) return t('visit.refused');
    const why = t(`error.${error.code}`);
    return has(`field.${error.field}`) ? t('outbox.field_error', {field: t(`field.${error.field}`), why}) : why;
  }
  const why = known ? t(`error.${error.code}`) : t('visit.refused_item');
  const item = visit.items?.[index] || {code: visit.results[index].itemCode};
  return t('visit.item_error', {item: `${index + 1}. ${itemText(item)}`, why});
}
