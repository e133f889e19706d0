// Small DOM and formatting helpers shared by the console views: every time is shown in the child's zone, labelled.

import { t, fmtDateTime, fmtDate, locale } from '/js/i18n.js';

/** Build an element: el('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, 'text'). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'value') node.value = value;
    else if (key === 'checked') node.checked = !!value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
/** A fresh id for label/input pairs. */
export function newId(prefix = 'f') { uid += 1; return `${prefix}-${uid}`; }

/**
 * A moment in the child's zone, labelled with it ("7 Dec 2026, 10:24 EET"), as a <time> element whose title names
 * the zone in full. `zone` is required: the console never shows a time in the browser's own zone.
 */
export function when(ms, zone) {
  if (!ms) return '—';
  const z = zone || 'UTC';
  return el('time', { datetime: new Date(ms).toISOString(), title: secondZone(ms, z), 'data-zone': z, class: 'when' }, fmtDateTime(ms, z));
}

/** The tooltip of a time: the child's zone named, and the reader's own time when their device is elsewhere. */
function secondZone(ms, zone) {
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!mine || mine === zone || fmtDateTime(ms, mine) === fmtDateTime(ms, zone)) return zone;
  return t('console.time.second_zone', { zone, here: fmtDateTime(ms, mine) });
}

/** The same as text, for sentences (a message argument). */
export function whenText(ms, zone) {
  return ms ? fmtDateTime(ms, zone || 'UTC') : '—';
}

/** A YYYY-MM-DD calendar date (already the child's local date) in words of the console's language. */
export function dayText(ymd, style = 'medium') {
  if (!ymd || !/^\d{4}-\d{2}-\d{2}$/.test(String(ymd))) return ymd ? String(ymd) : '—';
  return fmtDate(Date.parse(`${ymd}T12:00:00Z`), 'UTC', { date: style, zoneName: false });
}

/** "09:30" (a wall-clock HH:MM of the child's zone) as the locale writes a time of day. */
export function clockText(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(String(hhmm || ''));
  if (!m) return hhmm ? String(hhmm) : '—';
  if (m[1] === '24') return t('console.time.midnight');
  const d = new Date(Date.UTC(2024, 0, 1, Number(m[1]), Number(m[2])));
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(d);
}

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** The weekday's name in the console's language (Monday is 2024-01-01). */
export function dayName(d) {
  const i = DAYS.indexOf(d);
  if (i < 0) return d;
  return new Intl.DateTimeFormat(locale(), { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
}

// i18n-prefix: console.status.
/** A status word as a coloured chip (draft, pending, active, suspended, ended, ...). */
export function chip(status, testid) {
  return el('span', { class: `chip chip-${status}`, 'data-testid': testid || 'status', 'data-status': status }, statusWord(status));
}

/** An agreement, invitation or proposal state in words. */
export function statusWord(status) {
  const key = `console.status.${status}`;
  const text = t(key);
  return text === key ? String(status).replace(/_/g, ' ') : text;
}

// i18n-prefix: console.role.
/** A role in words ("caseworker" -> "sagsbehandler"). */
export function roleWord(role) {
  if (!role) return '';
  const key = `console.role.${role}`;
  const text = t(key);
  return text === key ? String(role) : text;
}

/** A person's name from {display_name, username}; a bare id only as a last resort. */
export function who(p) {
  if (!p) return '—';
  if (typeof p === 'object') return p.display_name || p.name || p.username || t('console.person.unknown');
  return t('console.person.unknown');
}

/** An error / info line; kind is 'error' or 'ok'. */
export function note(kind, text, testid) {
  return el('p', { class: `note note-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testid }, text);
}

/** A labelled form control: returns the wrapper; the control keeps its own attributes. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = newId();
  const hintId = hint ? newId('hint') : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return el('div', { class: 'field' },
    el('label', { for: control.id }, labelText),
    control,
    hint ? el('span', { class: 'hint', id: hintId }, hint) : null);
}

/** Breadcrumbs: [[text, href], ..., text]; the last one is the current page. */
export function crumbs(...items) {
  const parts = [];
  items.forEach((it, i) => {
    if (i) parts.push(el('span', { 'aria-hidden': 'true' }, ' › '));
    parts.push(Array.isArray(it) ? el('a', { href: it[1] }, it[0]) : el('span', { 'aria-current': 'page' }, it));
  });
  return el('nav', { class: 'crumbs', 'aria-label': t('console.crumbs.label'), 'data-testid': 'crumbs' }, parts);
}

/** Run an async action from a button: disable it meanwhile, show a refusal in `out` (an element). */
export async function busy(button, out, fn) {
  button.disabled = true;
  if (out) out.replaceChildren();
  try {
    await fn();
  } catch (err) {
    if (out) out.replaceChildren(note('error', err.message || String(err), 'action-error'));
    else throw err;
  } finally {
    button.disabled = false;
  }
}
