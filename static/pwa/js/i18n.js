// The PWA's words, t('capture.save') or t('outbox.photos', {n: 2}), in the chosen language (zh-CN or en).
//
// HOW TO ADD A STRING (docs/decisions/0016-one-catalogue-of-words.md):
//   1. add "your.key": "English text, {name} for a placeholder" to static/pwa/i18n/strings.json;
//   2. append to app/translations/zh_Hans_CN/LC_MESSAGES/messages.po (its END; check the msgid is new):
//        msgid "English text, {name} for a placeholder"
//        msgstr "中文，占位符 {name} 原样保留"
//      (if that English is already there, it is shared: the server's Chinese is the phone's too);
//   3. run `.venv/bin/python scripts/i18n.py --pwa` to regenerate js/i18n-messages.js, and commit all three.
// Do not add a MESSAGES table here: tests/pwa/test_catalogue.py fails on one. If one was added anyway,
// `.venv/bin/python scripts/i18n.py --import-pwa-table` moves it into strings.json and the catalogue.
//
// Elements carry data-i18n="key" (text) or data-i18n-placeholder="key"; apply() fills them in.
import MESSAGES from './i18n-messages.js';

const STORAGE_KEY = 'xuncha-lang';
let lang = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
const listeners = new Set();
// The switch names the other language in that language (an autonym, not a translation).
const SWITCH = {'zh-CN': {label: 'English', lang: 'en'}, en: {label: '中文', lang: 'zh-CN'}};

export function currentLang() {
  return lang;
}

/** The message for `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  if (key === 'lang.switch') return SWITCH[lang].label;
  const text = MESSAGES[lang][key] ?? MESSAGES['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Whether `key` has a message (the server's words are the fallback for codes we do not know). */
export function has(key) {
  return key === 'lang.switch' || key in MESSAGES['zh-CN'];
}

/** Fill every [data-i18n] element under `root`. */
export function apply(root = document) {
  document.documentElement.lang = lang;
  document.title = t('app.title');
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n="lang.switch"]')) element.lang = SWITCH[lang].lang;
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

/** Call `listener` after every language switch: texts written by code (status lines) say it again. */
export function onLangChange(listener) {
  listeners.add(listener);
}

export function toggleLang() {
  lang = lang === 'en' ? 'zh-CN' : 'en';
  localStorage.setItem(STORAGE_KEY, lang);
  apply();
  for (const listener of listeners) listener(lang);
}
