// i18n.js: translations for the family app and the console (which imports it from /js/i18n.js): picks the language,
// loads the catalog, formats messages (messageformat.js), fills data-i18n elements, and formats times in a named
// zone with the zone on the label. Catalogs: <base><lang>.json, flat {"area.key": "ICU MessageFormat"}.
//
//   await initI18n('/i18n/');            // family app ('/admin/i18n/' in the console); before the first render
//   t('chat.unread', { count: 3 });      // one sentence = one message with arguments, never concatenation
//   applyI18n(root);                     // <b data-i18n="contacts.title">, data-i18n-attr="aria-label:chat.send"
//   await setLocale('ro');               // the account's language ('' = follow the device); fires 'i18n:change'
//   fmtDateTime(ms, 'Europe/Bucharest'); // "7 dec. 2026, 10:24 EET": always in that zone, labelled with it
// Nothing here touches the DOM or the network at import, so Node can import it (tests/i18n).

import { formatMessage, parseMessage } from './messageformat.js';

export const LOCALES = ['en', 'ro', 'da', 'it', 'es'];
export const FALLBACK = 'en';
const STORE_KEY = 'samvaer.locale';

let base = '/i18n/';
let current = FALLBACK;
let chosen = '';            // '' = follow the device; else the tag given to setLocale
let messages = {};          // the current catalog
let fallbackMessages = {};  // en, for a key a translation lacks
let fallbackLoaded = false;
let switches = 0;           // language switches started, so a slow one never overrides a later one
const parsed = new Map();   // "locale|key" -> parts
const warned = new Set();

/** The first supported language among preferred tags ("ro-RO" -> "ro"); en when none is. */
export function pickLocale(tags) {
  for (const tag of tags || []) {
    const primary = String(tag).toLowerCase().split(/[-_]/)[0];
    if (LOCALES.includes(primary)) return primary;
  }
  return FALLBACK;
}

function deviceLocale() {
  const nav = typeof navigator !== 'undefined' ? navigator : null;
  return pickLocale(nav ? (nav.languages && nav.languages.length ? nav.languages : [nav.language]) : []);
}

function storage() {
  try { return typeof localStorage !== 'undefined' ? localStorage : null; } catch { return null; }
}

async function loadCatalog(tag) {
  if (typeof fetch === 'undefined') return {};
  try {
    const response = await fetch(`${base}${tag}.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (err) {
    console.warn(`i18n: the ${tag} catalog did not load (${err.message})`);
    return {};
  }
}

function announce() {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = current;
  document.dispatchEvent(new CustomEvent('i18n:change', { detail: { locale: current } }));
}

/** Load and use a language; false when a later switch started meanwhile (the later one wins, whatever loads first). */
async function switchTo(tag) {
  const mine = ++switches;
  const next = LOCALES.includes(tag) ? tag : FALLBACK;
  const needFallback = !fallbackLoaded;
  const [fb, cat] = await Promise.all([needFallback ? loadCatalog(FALLBACK) : fallbackMessages,
    next === FALLBACK ? null : loadCatalog(next)]);
  if (mine !== switches) return false;
  fallbackMessages = fb;
  fallbackLoaded = true;
  messages = cat || fallbackMessages;
  current = next;
  parsed.clear();
  return true;
}

/**
 * Load the catalogs under catalogBase ('/i18n/' or '/admin/i18n/'). The language: opts.locale if given, else the one
 * last chosen on this device for this app (setLocale), else navigator.languages. Applies to document when it exists.
 */
export async function initI18n(catalogBase = '/i18n/', opts = {}) {
  fallbackLoaded = false;
  base = catalogBase.endsWith('/') ? catalogBase : `${catalogBase}/`;
  const store = storage();
  chosen = opts.locale !== undefined ? opts.locale : (store && store.getItem(`${STORE_KEY}:${base}`)) || '';
  if (!(await switchTo(chosen ? pickLocale([chosen]) : deviceLocale()))) return current;
  if (typeof document !== 'undefined') applyI18n(document);
  announce();
  return current;
}

/**
 * Switch language: a tag from LOCALES, or '' to follow the device. Remembered on this device for this app, so the
 * next start shows it before login. Re-applies data-i18n in the document and fires 'i18n:change' on document
 * (views with text made in code re-render on it). Returns the language now in use.
 */
export async function setLocale(tag) {
  chosen = tag ? pickLocale([tag]) : '';
  const store = storage();
  if (store) {
    if (chosen) store.setItem(`${STORE_KEY}:${base}`, chosen);
    else store.removeItem(`${STORE_KEY}:${base}`);
  }
  const next = chosen || deviceLocale();
  if (!(await switchTo(next))) return current; // always: it supersedes a switch still loading
  if (typeof document !== 'undefined') applyI18n(document);
  announce();
  return current;
}

/** The language in use ("ro"). */
export function locale() { return current; }

/** The language chosen by setLocale, '' when following the device. */
export function chosenLocale() { return chosen; }

/** Use a catalog given directly (tests, or a page that inlines its catalog). */
export function useCatalog(tag, catalog, fallbackCatalog = catalog) {
  current = LOCALES.includes(tag) ? tag : FALLBACK;
  messages = catalog;
  fallbackMessages = fallbackCatalog;
  fallbackLoaded = true;
  parsed.clear();
}

function lookup(key) {
  const cacheKey = `${current}|${key}`;
  if (parsed.has(cacheKey)) return parsed.get(cacheKey);
  let src = messages[key];
  let tag = current;
  if (src === undefined) {
    src = fallbackMessages[key];
    tag = FALLBACK;
  }
  let parts = null;
  if (src !== undefined) {
    try {
      parts = { tag, parts: parseMessage(src) };
    } catch (err) {
      console.warn(`i18n: ${key}: ${err.message}`);
    }
  }
  parsed.set(cacheKey, parts);
  return parts;
}

/** The message `key` in the current language with named arguments; the key itself (and a warning) when absent. */
export function t(key, args) {
  const found = lookup(key);
  if (!found) {
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`i18n: no message "${key}"`);
    }
    return key;
  }
  return formatMessage(found.tag, found.parts, args);
}

/** Whether a key exists (in the language or the fallback). */
export function hasMessage(key) { return messages[key] !== undefined || fallbackMessages[key] !== undefined; }

function elementArgs(el) {
  const raw = el.getAttribute('data-i18n-args');
  if (!raw) return undefined;
  try { return JSON.parse(raw); } catch { return undefined; }
}

/**
 * Fill root and its descendants: data-i18n="key" sets the text; data-i18n-attr="attr:key attr:key" sets attributes
 * (aria-label, placeholder, title, alt ...); data-i18n-args='{"name":"Ana"}' gives both their arguments. Call it on
 * a <template>'s clone after cloning (querySelectorAll does not enter templates).
 */
export function applyI18n(root = document) {
  if (!root) return;
  const all = (sel) => {
    const found = root.querySelectorAll ? [...root.querySelectorAll(sel)] : [];
    if (root.matches && root.matches(sel)) found.unshift(root);
    return found;
  };
  for (const el of all('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'), elementArgs(el));
  for (const el of all('[data-i18n-attr]')) {
    for (const pair of el.getAttribute('data-i18n-attr').trim().split(/\s+/)) {
      const at = pair.indexOf(':');
      if (at > 0) el.setAttribute(pair.slice(0, at), t(pair.slice(at + 1), elementArgs(el)));
    }
  }
}

/** Call fn(locale) after every language switch; returns a function that stops it. */
export function onLocaleChange(fn) {
  const h = (e) => fn(e.detail.locale);
  document.addEventListener('i18n:change', h);
  return () => document.removeEventListener('i18n:change', h);
}

// Dates and times. Every time shown is in a named IANA zone (the child's, for agreements and records) and, unless
// opts.zoneName is false, carries the zone's name as the locale writes it ("EET", "CET", "GMT+2").
const DATE_STYLES = {
  short: { year: '2-digit', month: 'numeric', day: 'numeric' },
  medium: { year: 'numeric', month: 'short', day: 'numeric' },
  long: { year: 'numeric', month: 'long', day: 'numeric' },
  full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  weekday: { weekday: 'short', month: 'short', day: 'numeric' },
};
const formats = new Map();

function dateFormat(zone, fields, opts) {
  const o = { ...fields, timeZone: zone || undefined };
  if (opts.zoneName !== false && (opts.zoneName || fields.hour)) o.timeZoneName = opts.zoneName || 'short';
  if (opts.hour12 !== undefined) o.hour12 = opts.hour12;
  if (opts.seconds && fields.hour) o.second = '2-digit';
  const key = `${current}|${JSON.stringify(o)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(current, o));
  return formats.get(key);
}

function toDate(when) { return when instanceof Date ? when : new Date(when); }

/**
 * Date and time of `when` (ms since the epoch, or a Date) in `zone` ("Europe/Bucharest"), with the zone labelled.
 * opts: date ('short'|'medium'|'long'|'full'|'weekday', default 'medium'), seconds, hour12,
 * zoneName ('short' default, 'long', 'shortGeneric', 'longGeneric', 'shortOffset', 'longOffset', or false).
 */
export function fmtDateTime(when, zone, opts = {}) {
  const fields = { ...DATE_STYLES[opts.date || 'medium'], hour: 'numeric', minute: '2-digit' };
  return dateFormat(zone, fields, opts).format(toDate(when));
}

/** Time of day of `when` in `zone`, labelled with the zone ("19:40 EET"); opts as fmtDateTime. */
export function fmtTime(when, zone, opts = {}) {
  return dateFormat(zone, { hour: 'numeric', minute: '2-digit' }, opts).format(toDate(when));
}

/** The date of `when` in `zone` ("7 dec. 2026"); no zone label unless opts.zoneName is given. */
export function fmtDate(when, zone, opts = {}) {
  return dateFormat(zone, DATE_STYLES[opts.date || 'medium'], opts).format(toDate(when));
}

/** The zone's name alone, as a label for a column or a heading ("Eastern European Time" with style 'longGeneric'). */
export function fmtZone(zone, style = 'longGeneric', when = Date.now()) {
  const f = dateFormat(zone, { year: 'numeric' }, { zoneName: style });
  const part = f.formatToParts(toDate(when)).find((p) => p.type === 'timeZoneName');
  return part ? part.value : zone;
}

/** A number as the locale writes it. */
export function fmtNumber(n, opts) { return new Intl.NumberFormat(current, opts).format(n); }

/** A list as a sentence ("Ana, Dan și Ion"); type 'conjunction' (and) or 'disjunction' (or). */
export function fmtList(items, type = 'conjunction') {
  return new Intl.ListFormat(current, { style: 'long', type }).format(items.map(String));
}
