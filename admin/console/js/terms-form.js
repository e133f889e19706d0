// Agreement terms editor: a form built from a terms object (docs/ADMIN-API.md "Terms"), read back to JSON,
// and the server's validation message shown next to the input its `field` names.

import { el, field, newId, DAYS, dayName } from './dom.js';

export const CHANNELS = [
  ['text', 'Text messages'], ['photo', 'Photos'], ['video_clip', 'Video clips'],
  ['voice_note', 'Voice notes'], ['voice_call', 'Voice calls'], ['video_call', 'Video calls'],
];
const MODES = ['off', 'allowed', 'moderated'];

/** The server's defaults: text allowed, everything else off, no windows, no limits, no supervision. */
export function defaultTerms() {
  return {
    channels: { text: 'allowed', photo: 'off', video_clip: 'off', voice_note: 'off', voice_call: 'off', video_call: 'off' },
    windows: { weekly: [], dated: [], blackouts: [] },
    limits: { max_call_minutes: 0, calls_per_day: 0, calls_per_week: 0, min_gap_minutes: 0 },
    supervision: { calls: 'none', messages: 'none', recording_allowed: false, listen_in_needs_consent: true },
    privacy: { screen_contact_details: false, hide_carer: false },
    validity: { from: null, until: null, review: null },
    goal: { calls_per_week: 0, messages_per_week: 0 },
  };
}

/** Fill the gaps of a (possibly partial) terms object from the defaults. */
export function withDefaults(terms) {
  const d = defaultTerms();
  const t = terms || {};
  const w = t.windows || {};
  return {
    channels: { ...d.channels, ...(t.channels || {}) },
    windows: { weekly: w.weekly || [], dated: w.dated || [], blackouts: w.blackouts || [] },
    limits: { ...d.limits, ...(t.limits || {}) },
    supervision: { ...d.supervision, ...(t.supervision || {}) },
    privacy: { ...d.privacy, ...(t.privacy || {}) },
    validity: { ...d.validity, ...(t.validity || {}) },
    goal: { ...d.goal, ...(t.goal || {}) },
  };
}

function select(path, options, value, label) {
  return el('select', { 'data-field': path, 'aria-label': label },
    options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
}

function textInput(path, value, attrs = {}) {
  return el('input', { type: 'text', 'data-field': path, value: value ?? '', autocomplete: 'off', ...attrs });
}

const timeInput = (path, value, label) => textInput(path, value, {
  inputmode: 'numeric', placeholder: 'HH:MM', maxlength: '5', size: '6', class: 'time', 'aria-label': label,
});
const numberInput = (path, value) => textInput(path, value, { inputmode: 'numeric', size: '5', class: 'num' });
const dateInput = (path, value, label) => el('input', {
  type: 'date', 'data-field': path, value: value || '', 'aria-label': label,
});
const checkbox = (path, value) => el('input', { type: 'checkbox', 'data-field': path, checked: !!value });

function fieldset(title, testid, ...children) {
  return el('fieldset', { class: 'terms-group', 'data-testid': testid, 'data-field': testid.replace(/^terms-/, '') },
    el('legend', {}, title), ...children);
}

/** A list of rows (weekly/dated windows, blackouts) with add and remove; rows are renumbered on change. */
function rowList({ path, testid, items, makeCells, blank, addLabel, header }) {
  const body = el('tbody', {});
  const renumber = () => {
    [...body.children].forEach((tr, i) => {
      tr.dataset.field = `${path}[${i}]`;
      tr.querySelectorAll('[data-sub]').forEach((inp) => {
        inp.dataset.field = inp.dataset.sub ? `${path}[${i}].${inp.dataset.sub}` : `${path}[${i}]`;
      });
      tr.querySelector('.row-remove').setAttribute('aria-label', `Remove row ${i + 1}`);
    });
    table.hidden = body.children.length === 0;
    empty.hidden = body.children.length > 0;
  };
  const addRow = (item) => {
    const cells = makeCells(item);
    const remove = el('button', { type: 'button', class: 'small-button row-remove', 'data-testid': `${testid}-remove` }, 'Remove');
    const tr = el('tr', { 'data-testid': `${testid}-row` }, cells.map((c) => el('td', {}, c)), el('td', {}, remove));
    remove.addEventListener('click', () => { tr.remove(); renumber(); });
    body.append(tr);
    renumber();
    return tr;
  };
  const table = el('table', { class: 'rows' }, el('thead', {}, el('tr', {}, header.map((h) => el('th', { scope: 'col' }, h)), el('th', {}, el('span', { class: 'visually-hidden' }, 'Remove')))), body);
  const empty = el('p', { class: 'muted' }, 'None.');
  const add = el('button', { type: 'button', class: 'small-button', 'data-testid': `${testid}-add` }, addLabel);
  add.addEventListener('click', () => {
    const tr = addRow(blank());
    const first = tr.querySelector('input, select');
    if (first) first.focus();
  });
  const wrap = el('div', { 'data-field': path, 'data-testid': testid }, table, empty, add);
  for (const item of items) addRow(item);
  renumber();
  return wrap;
}

function sub(node, name) { node.dataset.sub = name; return node; }

function weeklyList(items) {
  return rowList({
    path: 'windows.weekly', testid: 'weekly', items, addLabel: 'Add a weekly window',
    header: ['Day', 'From', 'Until'],
    blank: () => ({ day: 'mon', start: '', end: '' }),
    makeCells: (w) => [
      sub(select('', DAYS.map((d) => [d, dayName(d)]), w.day, 'Day'), 'day'),
      sub(timeInput('', w.start, 'From (HH:MM)'), 'start'),
      sub(timeInput('', w.end, 'Until (HH:MM)'), 'end'),
    ],
  });
}

function datedList(items) {
  return rowList({
    path: 'windows.dated', testid: 'dated', items, addLabel: 'Add a special day',
    header: ['Date', 'From', 'Until'],
    blank: () => ({ date: '', start: '', end: '' }),
    makeCells: (w) => [
      sub(dateInput('', w.date, 'Date'), 'date'),
      sub(timeInput('', w.start, 'From (HH:MM)'), 'start'),
      sub(timeInput('', w.end, 'Until (HH:MM)'), 'end'),
    ],
  });
}

function blackoutList(items) {
  return rowList({
    path: 'windows.blackouts', testid: 'blackouts', items: items.map((d) => ({ date: d })), addLabel: 'Add a date without contact',
    header: ['Date'],
    blank: () => ({ date: '' }),
    makeCells: (b) => [sub(dateInput('', b.date, 'Date without contact'), '')],
  });
}

function labelled(text, control) { return field(text, control); }

function checkField(text, control) {
  control.id = control.id || newId();
  return el('div', { class: 'field check' }, control, el('label', { for: control.id }, text));
}

/** Build the editor. Returns {node, read(), showError(field, message), clearErrors()}. */
export function termsForm(initial, zone) {
  const t = withDefaults(initial);
  const node = el('div', { class: 'terms-form', 'data-testid': 'terms-form' },
    fieldset('Channels', 'terms-channels', el('div', { class: 'grid' },
      CHANNELS.map(([k, label]) => labelled(label, select(`channels.${k}`, MODES.map((m) => [m, m]), t.channels[k]))))),
    fieldset('Contact times', 'terms-windows',
      el('p', { class: 'hint' }, `Times are in the child's time zone (${zone || 'UTC'}). An end at or before the start runs past midnight. No windows at all means contact at any time.`),
      el('h4', {}, 'Every week'), weeklyList(t.windows.weekly),
      el('h4', {}, 'Special days'), datedList(t.windows.dated),
      el('h4', {}, 'No contact on'), blackoutList(t.windows.blackouts)),
    fieldset('Call limits', 'terms-limits', el('p', { class: 'hint' }, '0 means no limit.'), el('div', { class: 'grid' },
      labelled('Longest call (minutes)', numberInput('limits.max_call_minutes', t.limits.max_call_minutes)),
      labelled('Calls per day', numberInput('limits.calls_per_day', t.limits.calls_per_day)),
      labelled('Calls per week', numberInput('limits.calls_per_week', t.limits.calls_per_week)),
      labelled('Minutes between calls', numberInput('limits.min_gap_minutes', t.limits.min_gap_minutes)))),
    fieldset('Supervision', 'terms-supervision', el('div', { class: 'grid' },
      labelled('Calls', select('supervision.calls', [['none', 'not supervised'], ['supervised', 'supervised']], t.supervision.calls)),
      labelled('Messages', select('supervision.messages', [['none', 'no review'], ['after', 'reviewed after delivery'], ['before', 'reviewed before delivery']], t.supervision.messages))),
      checkField('Recording allowed', checkbox('supervision.recording_allowed', t.supervision.recording_allowed)),
      checkField('Listening in needs the child\'s consent', checkbox('supervision.listen_in_needs_consent', t.supervision.listen_in_needs_consent))),
    fieldset('Privacy', 'terms-privacy',
      checkField('Hold messages with phone numbers, e-mail or addresses for review', checkbox('privacy.screen_contact_details', t.privacy.screen_contact_details)),
      checkField('Do not show the carer to the contact', checkbox('privacy.hide_carer', t.privacy.hide_carer))),
    fieldset('Validity', 'terms-validity', el('div', { class: 'grid' },
      labelled('Starts on', dateInput('validity.from', t.validity.from)),
      labelled('Ends on', dateInput('validity.until', t.validity.until)),
      labelled('Review by', dateInput('validity.review', t.validity.review)))),
    fieldset('Goal', 'terms-goal', el('p', { class: 'hint' }, 'How much contact the plan aims for; 0 means no goal.'), el('div', { class: 'grid' },
      labelled('Calls per week', numberInput('goal.calls_per_week', t.goal.calls_per_week)),
      labelled('Messages per week', numberInput('goal.messages_per_week', t.goal.messages_per_week)))));
  return {
    node,
    read: () => readTerms(node),
    showError: (f, message) => showFieldError(node, f, message),
    clearErrors: () => clearFieldErrors(node),
  };
}

const val = (root, path) => {
  const n = root.querySelector(`[data-field="${CSS.escape(path)}"]`);
  if (!n) return undefined;
  return n.type === 'checkbox' ? n.checked : n.value.trim();
};
// Whole numbers as numbers; anything else goes to the server as typed so its message names the field.
const num = (s) => (s === '' || s === undefined ? 0 : (/^\d+$/.test(s) ? Number(s) : s));
const dateOrNull = (s) => (s ? s : null);

function rows(root, path, names) {
  return [...root.querySelectorAll(`tr[data-field^="${path}["]`)].map((tr) => {
    const row = {};
    for (const n of names) row[n] = val(tr, `${tr.dataset.field}.${n}`);
    return row;
  });
}

function readTerms(root) {
  const channels = {};
  for (const [k] of CHANNELS) channels[k] = val(root, `channels.${k}`);
  return {
    channels,
    windows: {
      weekly: rows(root, 'windows.weekly', ['day', 'start', 'end']),
      dated: rows(root, 'windows.dated', ['date', 'start', 'end']),
      blackouts: [...root.querySelectorAll('tr[data-field^="windows.blackouts["]')].map((tr) => val(tr, tr.dataset.field)),
    },
    limits: Object.fromEntries(['max_call_minutes', 'calls_per_day', 'calls_per_week', 'min_gap_minutes']
      .map((k) => [k, num(val(root, `limits.${k}`))])),
    supervision: {
      calls: val(root, 'supervision.calls'),
      messages: val(root, 'supervision.messages'),
      recording_allowed: val(root, 'supervision.recording_allowed'),
      listen_in_needs_consent: val(root, 'supervision.listen_in_needs_consent'),
    },
    privacy: {
      screen_contact_details: val(root, 'privacy.screen_contact_details'),
      hide_carer: val(root, 'privacy.hide_carer'),
    },
    validity: {
      from: dateOrNull(val(root, 'validity.from')),
      until: dateOrNull(val(root, 'validity.until')),
      review: dateOrNull(val(root, 'validity.review')),
    },
    goal: { calls_per_week: num(val(root, 'goal.calls_per_week')), messages_per_week: num(val(root, 'goal.messages_per_week')) },
  };
}

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

/** Put `message` right after the control named by `path` (or its nearest named ancestor); returns it or null. */
export function showFieldError(root, path, message) {
  const hit = findFieldNode(root, path);
  if (!hit) return null;
  const id = newId('err');
  const text = String(message || '').replace(/^(terms\.)?[\w.[\]]+: /, (pre) => (pre.includes(hit.path) ? '' : pre));
  const msg = el('span', { id, class: 'field-error', role: 'alert', 'data-testid': 'field-error', 'data-for': String(path) }, text || message);
  const target = hit.node;
  if (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', id);
    target.after(msg);
    target.focus();
  } else if (target.tagName === 'TR') {
    target.classList.add('invalid');
    target.lastElementChild.append(msg);
  } else {
    target.classList.add('invalid');
    target.append(msg);
  }
  return msg;
}

export function clearFieldErrors(root) {
  root.querySelectorAll('.field-error').forEach((n) => n.remove());
  root.querySelectorAll('[aria-invalid]').forEach((n) => { n.removeAttribute('aria-invalid'); n.removeAttribute('aria-describedby'); });
  root.querySelectorAll('.invalid').forEach((n) => n.classList.remove('invalid'));
}

/** [label, text, testid] rows describing terms in words (summary, diff and print). */
export function summaryRows(terms, zone) {
  const t = withDefaults(terms);
  const on = CHANNELS.filter(([k]) => t.channels[k] !== 'off').map(([k, label]) => `${label}${t.channels[k] === 'moderated' ? ' (moderated)' : ''}`);
  const weekly = t.windows.weekly.map((w) => `${dayName(w.day)} ${w.start}–${w.end}`);
  const dated = t.windows.dated.map((w) => `${w.date} ${w.start}–${w.end}`);
  const lim = t.limits;
  const limits = [
    lim.max_call_minutes ? `calls up to ${lim.max_call_minutes} min` : null,
    lim.calls_per_day ? `${lim.calls_per_day} per day` : null,
    lim.calls_per_week ? `${lim.calls_per_week} per week` : null,
    lim.min_gap_minutes ? `${lim.min_gap_minutes} min between calls` : null,
  ].filter(Boolean);
  const s = t.supervision;
  return [
    ['Channels', on.length ? on.join(', ') : 'none', 'sum-channels'],
    [`Weekly (${zone || 'UTC'})`, weekly.length ? weekly.join('; ') : (dated.length ? 'none' : 'any time'), 'sum-weekly'],
    ['Special days', dated.length ? dated.join('; ') : 'none', 'sum-dated'],
    ['No contact on', t.windows.blackouts.length ? t.windows.blackouts.join(', ') : 'none', 'sum-blackouts'],
    ['Call limits', limits.length ? limits.join(', ') : 'none', 'sum-limits'],
    ['Supervision', `calls ${s.calls}; messages ${s.messages === 'none' ? 'not reviewed' : `reviewed ${s.messages}`}; recording ${s.recording_allowed ? 'allowed' : 'not allowed'}; listening in ${s.listen_in_needs_consent ? 'needs consent' : 'without consent'}`, 'sum-supervision'],
    ['Privacy', [t.privacy.screen_contact_details ? 'contact details screened' : 'no screening', t.privacy.hide_carer ? 'carer hidden' : 'carer shown'].join('; '), 'sum-privacy'],
    ['Valid', `from ${t.validity.from || 'now'} until ${t.validity.until || 'further notice'}; review ${t.validity.review || 'not set'}`, 'sum-validity'],
    ['Goal', `${t.goal.calls_per_week || 0} calls and ${t.goal.messages_per_week || 0} messages a week`, 'sum-goal'],
  ];
}

/** A short readable summary of terms, for the agreement page, inbox and print. */
export function termsSummary(terms, zone) {
  const rows = summaryRows(terms, zone).filter(([label, text], i) => i < 2 || i > 3 || text !== 'none');
  return el('dl', { class: 'terms-summary', 'data-testid': 'terms-summary' },
    rows.map(([k, v, testid]) => [el('dt', {}, k), el('dd', { 'data-testid': testid }, v)]));
}

/** What a proposal changes against the terms in force: one row per differing part, old → new. */
export function termsDiff(current, proposed, zone) {
  const before = summaryRows(current, zone);
  const after = summaryRows(proposed, zone);
  const rows = after.filter((r, i) => r[1] !== before[i][1]).map((r) => {
    const old = before.find((b) => b[2] === r[2])[1];
    return el('li', { 'data-testid': `diff-${r[2].slice(4)}` }, el('strong', {}, `${r[0]}: `),
      el('del', {}, old), ' → ', el('ins', {}, r[1]));
  });
  return el('ul', { class: 'terms-diff', 'data-testid': 'terms-diff' },
    rows.length ? rows : el('li', {}, 'No difference from the terms in force.'));
}
