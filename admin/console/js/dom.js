// Small DOM and formatting helpers shared by the console views.

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

/** "23 Nov 2026, 14:05" in the browser's zone (or `zone` if given). */
export function fmtDateTime(ms, zone) {
  if (!ms) return '—';
  const opts = { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' };
  if (zone) opts.timeZone = zone;
  try { return new Date(ms).toLocaleString([], opts); } catch (e) { return new Date(ms).toLocaleString(); }
}

/** Dates in terms are YYYY-MM-DD strings; null shows as a dash. */
export function fmtDate(s) { return s ? String(s) : '—'; }

const DAY_NAMES = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
export const DAYS = Object.keys(DAY_NAMES);
export function dayName(d) { return DAY_NAMES[d] || d; }

/** A status word as a coloured chip (draft, pending, active, suspended, ended, ...). */
export function chip(status, testid) {
  return el('span', { class: `chip chip-${status}`, 'data-testid': testid || 'status', 'data-status': status }, status);
}

/** A person's name from {display_name, username} or an id. */
export function who(p) {
  if (!p) return '—';
  if (typeof p === 'object') return p.display_name || p.username || `#${p.id}`;
  return `#${p}`;
}

/** An error / info line; kind is 'error' or 'ok'. */
export function note(kind, text, testid) {
  return el('p', { class: `note note-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testid }, text);
}

/** A labelled form control: returns the wrapper; the control keeps its own attributes. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = newId();
  return el('div', { class: 'field' },
    el('label', { for: control.id }, labelText),
    control,
    hint ? el('span', { class: 'hint' }, hint) : null);
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
