// A refusal of the admin API shown next to the control its `field` names, in plain words: the field by its label
// (and row), the problem from the server's message ("expected HH:MM" becomes "Choose a time.").

import { t } from '/js/i18n.js';
import { el, newId } from './dom.js';

/** Shorten "windows.weekly[0].start" step by step until an element in `root` carries that data-field. */
export function findFieldNode(root, path) {
  let p = String(path || '').replace(/^terms\./, '');
  while (p) {
    const sel = `[data-field="${CSS.escape(p)}"]`;
    const n = root.querySelector(`input${sel}, select${sel}, textarea${sel}`) || root.querySelector(sel);
    if (n) return { node: n, path: p };
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

// The server's terms checks (server/policy/terms.c) say what they expected; each kind has a plain sentence.
const PROBLEMS = [
  [/HH:MM/, () => t('console.problem.time')],
  [/YYYY-MM-DD/, () => t('console.problem.date')],
  [/whole number from (\d+) to (\d+)/, (m) => t('console.problem.number', { min: Number(m[1]), max: Number(m[2]) })],
  [/must be after/, () => t('console.problem.after')],
  [/too many/, () => t('console.problem.too_many')],
  [/expected mon/, () => t('console.problem.day')],
  [/expected "off"|"none"|true or false/, () => t('console.problem.choice')],
];

/** The problem in plain words, or null when the message is not one of the terms checks (then show it as it is). */
export function plainProblem(message) {
  for (const [re, say] of PROBLEMS) {
    const m = re.exec(String(message || ''));
    if (m) return say(m);
  }
  return null;
}

/** The name a person sees for the control: its label, with the row it is in. */
export function fieldName(node) {
  if (!node) return '';
  const tr = node.closest ? node.closest('tr[data-row-name]') : null;
  if (tr && node.tagName !== 'TR') return t('console.editor.in_row', { field: node.dataset.label || '', row: tr.dataset.rowName });
  if (tr) return tr.dataset.rowName;
  if (node.dataset && node.dataset.label) return node.dataset.label;
  if (node.labels && node.labels.length) return node.labels[0].textContent.trim();
  const legend = node.querySelector && node.querySelector(':scope > legend');
  return legend ? legend.textContent.trim() : (node.getAttribute('aria-label') || '');
}

/**
 * Put the refusal right after the control named by `path` (or its nearest named ancestor). Returns {msg, text}: the
 * element and the sentence "Until (every week, row 1): choose a time.", or null when no control matches.
 */
export function showFieldError(root, path, message) {
  const hit = findFieldNode(root, path);
  if (!hit) return null;
  const id = newId('err');
  const problem = plainProblem(message);
  const text = problem || String(message || '').replace(/^(terms\.)?[\w.[\]]+: /, '');
  const msg = el('span', { id, class: 'field-error', role: 'alert', 'data-testid': 'field-error', 'data-for': String(path) }, text);
  const target = hit.node;
  if (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', id);
    (target.words && target.words.isConnected ? target.words : target).after(msg);
    target.focus();
  } else if (target.tagName === 'TR') {
    target.classList.add('invalid');
    target.lastElementChild.append(msg);
  } else {
    target.classList.add('invalid');
    target.append(msg);
  }
  return { msg, text: t('console.editor.field_problem', { field: fieldName(target), problem: text }) };
}

export function clearFieldErrors(root) {
  root.querySelectorAll('.field-error').forEach((n) => n.remove());
  root.querySelectorAll('[aria-invalid]').forEach((n) => { n.removeAttribute('aria-invalid'); n.removeAttribute('aria-describedby'); });
  root.querySelectorAll('.invalid').forEach((n) => n.classList.remove('invalid'));
}
