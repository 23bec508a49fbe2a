// How a visit's items and the server's refusals read on the phone, in the inspector's language.
import {currentLang, has, t} from '../i18n.js';
import {itemIndexOf} from '../visits.js';

/** The item's text in the current language (Chinese when there is no English). */
export function itemText(item) {
  return (currentLang() === 'en' && item?.text_en) || item?.text_zh || item?.code || '';
}

/** One refusal from the server in plain words: the item it names, and our words for its code. */
export function describeError(error, visit) {
  const why = has(`error.${error.code}`) ? t(`error.${error.code}`) : (error.message || error.code || '');
  const index = itemIndexOf(error, visit);
  if (index === null) return error.field && !has(`error.${error.code}`) ? `${error.field}: ${why}` : why;
  const item = visit.items?.[index] || {code: visit.results[index].itemCode};
  return t('visit.item_error', {item: `${index + 1}. ${itemText(item)}`, why});
}
