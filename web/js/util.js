// Small DOM and formatting helpers shared by the family web app views (faces, times in the app's language).

import { t, fmtTime, locale } from './i18n.js';

import { loadWhenReady } from './media-cookie.js';

/** Build an element: el('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, 'text'). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Inline SVG icon from a path list (no external resources). */
export function icon(name) {
  const paths = {
    send: 'M3 20.5v-7l9-1.5-9-1.5v-7L22 12z',
    back: 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z',
    lock: 'M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 8V7a3 3 0 0 1 6 0v3z',
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
    phone: 'M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z',
    video: 'M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z',
    pause: 'M6 4h4v16H6zm8 0h4v16h-4z',
    play: 'M7 4v16l13-8z',
  };
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', paths[name] || '');
  svg.append(path);
  return svg;
}

// Colours chosen so white initials stay readable (contrast >= 4.5:1).
const PALETTE = ['#b9381f', '#1f6fb2', '#2e7d32', '#7b3fa0', '#a8560b', '#00796b', '#c2185b', '#455a64'];

/** A stable colour for an account id, for avatars without a photo. */
export function colourFor(id) {
  const n = Math.abs(Number(id) || 0);
  return PALETTE[(n * 7 + 3) % PALETTE.length];
}

/** Initials: use the server's if given, else derive from the display name. */
export function initialsOf(person) {
  if (person && person.initials) return person.initials;
  const words = String((person && person.display_name) || '?').trim().split(/\s+/);
  return words.slice(0, 2).map((w) => w[0] || '').join('').toUpperCase() || '?';
}

/** The profile photo URL of a person, if one is set (contacts.list / account JSON: `photo`). */
export function photoOf(person) {
  return (person && (person.photo || person.photo_url)) || '';
}

/** A round picture: the profile photo if one is set, else initials on a colour. Decorative: the name is beside it. */
export function avatar(person, size = 'big') {
  const photo = photoOf(person);
  if (photo) {
    const img = el('img', { class: `avatar avatar-${size}`, alt: '', 'data-testid': 'avatar-photo' });
    loadWhenReady(img, 'src', photo);
    return img;
  }
  return el('span', {
    class: `avatar avatar-${size}`, 'aria-hidden': 'true',
    style: `background:${colourFor(person && person.id)}`,
  }, initialsOf(person));
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

/** "14:05" for today, "Tue 14:05" this week, else "3 Dec 14:05", in the app's language and this device's zone. */
export function formatTime(ms) {
  const d = new Date(ms);
  const now = new Date();
  const time = fmtTime(d, undefined, { zoneName: false });
  if (sameDay(d, now)) return time;
  const days = Math.abs(now - d) / 86400000;
  const day = d.toLocaleDateString(locale(), days < 6 ? { weekday: 'short' } : { day: 'numeric', month: 'short' });
  return t('time.day_time', { day, time });
}

/** Plain words for when something becomes possible again ("Again tomorrow at 09:00."). */
export function formatNextAt(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  const time = fmtTime(d, undefined, { zoneName: false });
  const now = new Date();
  if (sameDay(d, now)) return t('time.again_today', { time });
  if (sameDay(d, new Date(now.getTime() + 86400000))) return t('time.again_tomorrow', { time });
  const day = d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long' });
  return t('time.again_on', { day, time });
}

/** "Calling opens again …" for a refused call. */
export function formatCallNextAt(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  const time = fmtTime(d, undefined, { zoneName: false });
  const now = new Date();
  if (sameDay(d, now)) return t('time.call_again_today', { time });
  if (sameDay(d, new Date(now.getTime() + 86400000))) return t('time.call_again_tomorrow', { time });
  const day = d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long' });
  return t('time.call_again_on', { day, time });
}

/** A date and time for a notice ("7 Dec 2026, 10:24"). */
export function formatWhen(ms) {
  return new Date(ms).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A random client_key; crypto.randomUUID needs a secure context, so fall back. */
export function newClientKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
