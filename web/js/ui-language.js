// ui-language.js: the family app's language setting: a labelled list of the five languages (each written in its own
// language) and "as on this device"; a choice is saved on the account (account.set_locale), so every device of the
// person and the server's messages follow it, and the app switches at once. After login, the account's choice wins.

import { LOCALES, locale, chosenLocale, setLocale, t, applyI18n } from './i18n.js';
import { el } from './util.js';

let conn = null;
let select = null;
let note = null;

/** A language's name in that language ("română" -> "Română"). */
function autonym(tag) {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag) || tag;
    return name.charAt(0).toLocaleUpperCase(tag) + name.slice(1);
  } catch {
    return tag;
  }
}

function deviceTag() {
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  return (tags[0] || 'en').split('-')[0];
}

function fill() {
  const device = el('option', { value: '' }, t('settings.language_device', { name: autonym(deviceTag()) }));
  select.replaceChildren(device, ...LOCALES.map((tag) => el('option', { value: tag, lang: tag }, autonym(tag))));
  select.value = chosenLocale();
}

async function choose() {
  const tag = select.value;
  note.hidden = true;
  select.disabled = true;
  try {
    await conn.request('account.set_locale', { locale: tag });
    await setLocale(tag);
  } catch (err) {
    note.textContent = t('settings.language_failed');
    note.hidden = false;
    select.value = chosenLocale();
  } finally {
    select.disabled = false;
  }
}

/** Build the setting inside `parent` (once) and wire it to the connection. */
export function mountLanguage(parent, c) {
  conn = c;
  const id = 'language-select';
  select = el('select', { id, 'data-testid': 'language-select', onchange: choose });
  note = el('p', { class: 'error', role: 'alert', 'data-testid': 'language-error', hidden: true });
  const card = el('section', { class: 'card language-card', 'data-testid': 'language-card' },
    el('label', { for: id, 'data-i18n': 'settings.language' }, t('settings.language')), select, note);
  parent.append(card);
  applyI18n(card);
  fill();
  document.addEventListener('i18n:change', fill);
}

/** After login the account decides: its language, or '' for the device's (this device keeps a copy of the choice
 * only to show it before the next login). */
export async function accountLanguage(account) {
  const wanted = (account && account.locale) || '';
  if (wanted !== chosenLocale() || (wanted && wanted !== locale())) await setLocale(wanted);
  else if (select) fill();
}
