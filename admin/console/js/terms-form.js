// Agreement terms editor: a form built from a terms object (docs/ADMIN-API.md "Terms") with real time and date
// pickers, read back to JSON. Times and dates are wall-clock values of the child's time zone, which the form names.
// The words for terms (summary, diff) are in terms-text.js, refusals next to the field in field-errors.js.

import { t, fmtZone } from '/js/i18n.js';
import { el, field, newId, DAYS, dayName, dayText } from './dom.js';

export { termsSummary, termsDiff, summaryRows } from './terms-text.js';
export { showFieldError, clearFieldErrors, findFieldNode } from './field-errors.js';

// i18n-prefix: console.channel.
export const CHANNELS = ['text', 'photo', 'video_clip', 'voice_note', 'voice_call', 'video_call'];
// i18n-prefix: console.mode.
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
  const tt = terms || {};
  const w = tt.windows || {};
  return {
    channels: { ...d.channels, ...(tt.channels || {}) },
    windows: { weekly: w.weekly || [], dated: w.dated || [], blackouts: w.blackouts || [] },
    limits: { ...d.limits, ...(tt.limits || {}) },
    supervision: { ...d.supervision, ...(tt.supervision || {}) },
    privacy: { ...d.privacy, ...(tt.privacy || {}) },
    validity: { ...d.validity, ...(tt.validity || {}) },
    goal: { ...d.goal, ...(tt.goal || {}) },
  };
}

function select(path, options, value, label) {
  return el('select', { 'data-field': path, 'aria-label': label || null },
    options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
}

/** A time of day picker (HH:MM, 24 h on the wire); "24:00" (midnight at the end) shows as 00:00, the same instant. */
const timeInput = (path, value, label) => el('input', {
  type: 'time', step: '60', 'data-field': path, value: value === '24:00' ? '00:00' : (value || ''), class: 'time',
  'aria-label': label, 'data-label': label, required: true,
});
const numberInput = (path, value) => el('input', {
  type: 'number', min: '0', step: '1', inputmode: 'numeric', 'data-field': path, value: value ?? '', class: 'num',
});

/** A date picker with the chosen date in words beside it (the picker's own format follows the browser). */
function dateInput(path, value, label) {
  const words = el('span', { class: 'date-words', 'aria-hidden': 'true', 'data-testid': 'date-words' }, value ? dayText(value, 'full') : '');
  const input = el('input', { type: 'date', 'data-field': path, value: value || '', 'aria-label': label || null, 'data-label': label || null });
  input.addEventListener('input', () => { words.textContent = input.value ? dayText(input.value, 'full') : ''; });
  input.words = words;
  return input;
}
const checkbox = (path, value) => el('input', { type: 'checkbox', 'data-field': path, checked: !!value });

function fieldset(title, testid, ...children) {
  return el('fieldset', { class: 'terms-group', 'data-testid': testid, 'data-field': testid.replace(/^terms-/, '') },
    el('legend', {}, title), ...children);
}

/** A list of rows (weekly/dated windows, blackouts) with add and remove; rows are renumbered on change. */
function rowList({ path, testid, items, makeCells, blank, addLabel, header, title }) {
  const body = el('tbody', {});
  const renumber = () => {
    [...body.children].forEach((tr, i) => {
      tr.dataset.field = `${path}[${i}]`;
      tr.dataset.rowName = t('console.editor.row', { list: title, row: i + 1 });
      tr.querySelectorAll('[data-sub]').forEach((inp) => {
        inp.dataset.field = inp.dataset.sub ? `${path}[${i}].${inp.dataset.sub}` : `${path}[${i}]`;
        inp.setAttribute('aria-label', t('console.editor.row_control', { field: inp.dataset.label, list: title, row: i + 1 }));
      });
      tr.querySelector('.row-remove').setAttribute('aria-label', t('console.editor.remove_row', { list: title, row: i + 1 }));
    });
    table.hidden = body.children.length === 0;
    empty.hidden = body.children.length > 0;
  };
  const addRow = (item) => {
    const cells = makeCells(item);
    const remove = el('button', { type: 'button', class: 'small-button row-remove', 'data-testid': `${testid}-remove` }, t('console.editor.remove'));
    const tr = el('tr', { 'data-testid': `${testid}-row` }, cells.map((c) => el('td', {}, c, c.words || null)), el('td', {}, remove));
    remove.addEventListener('click', () => { tr.remove(); renumber(); });
    body.append(tr);
    renumber();
    return tr;
  };
  const table = el('table', { class: 'rows' }, el('thead', {}, el('tr', {}, header.map((h) => el('th', { scope: 'col' }, h)),
    el('th', {}, el('span', { class: 'visually-hidden' }, t('console.editor.remove'))))), body);
  const empty = el('p', { class: 'muted' }, t('console.editor.none'));
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
  const day = t('console.editor.day');
  const from = t('console.editor.from');
  const until = t('console.editor.until');
  return rowList({
    path: 'windows.weekly', testid: 'weekly', items, addLabel: t('console.editor.add_weekly'), title: t('console.editor.weekly'),
    header: [day, from, until],
    blank: () => ({ day: 'mon', start: '', end: '' }),
    makeCells: (w) => {
      const d = sub(select('', DAYS.map((x) => [x, dayName(x)]), w.day, day), 'day');
      d.dataset.label = day;
      return [d, sub(timeInput('', w.start, from), 'start'), sub(timeInput('', w.end, until), 'end')];
    },
  });
}

function datedList(items) {
  const date = t('console.editor.date');
  const from = t('console.editor.from');
  const until = t('console.editor.until');
  return rowList({
    path: 'windows.dated', testid: 'dated', items, addLabel: t('console.editor.add_dated'), title: t('console.editor.dated'),
    header: [date, from, until],
    blank: () => ({ date: '', start: '', end: '' }),
    makeCells: (w) => [sub(dateInput('', w.date, date), 'date'), sub(timeInput('', w.start, from), 'start'), sub(timeInput('', w.end, until), 'end')],
  });
}

function blackoutList(items) {
  const date = t('console.editor.date');
  return rowList({
    path: 'windows.blackouts', testid: 'blackouts', items: items.map((d) => ({ date: d })), addLabel: t('console.editor.add_blackout'),
    title: t('console.editor.blackouts'), header: [date],
    blank: () => ({ date: '' }),
    makeCells: (b) => [sub(dateInput('', b.date, date), '')],
  });
}

function labelled(text, control) {
  const wrap = field(text, control);
  if (control.words) wrap.append(control.words);
  control.dataset.label = text;
  return wrap;
}

function checkField(text, control) {
  control.id = control.id || newId();
  control.dataset.label = text;
  return el('div', { class: 'field check' }, control, el('label', { for: control.id }, text));
}

const modeOptions = () => MODES.map((m) => [m, t(`console.mode.${m}`)]);

/** Build the editor. Returns {node, read()}. */
export function termsForm(initial, zone) {
  const tt = withDefaults(initial);
  const z = zone || 'UTC';
  const node = el('div', { class: 'terms-form', 'data-testid': 'terms-form', 'data-zone': z },
    fieldset(t('console.terms.channels'), 'terms-channels', el('div', { class: 'grid' },
      CHANNELS.map((k) => labelled(t(`console.channel.${k}`), select(`channels.${k}`, modeOptions(), tt.channels[k]))))),
    fieldset(t('console.editor.times', { zone: z }), 'terms-windows',
      el('p', { class: 'hint', 'data-testid': 'editor-zone' }, t('console.editor.times_hint', { zone: z, name: fmtZone(z, 'longGeneric') })),
      el('h3', {}, t('console.editor.weekly')), weeklyList(tt.windows.weekly),
      el('h3', {}, t('console.editor.dated')), datedList(tt.windows.dated),
      el('h3', {}, t('console.editor.blackouts')), blackoutList(tt.windows.blackouts)),
    fieldset(t('console.terms.limits'), 'terms-limits', el('p', { class: 'hint' }, t('console.editor.zero_no_limit')), el('div', { class: 'grid' },
      labelled(t('console.editor.max_call_minutes'), numberInput('limits.max_call_minutes', tt.limits.max_call_minutes)),
      labelled(t('console.editor.calls_per_day'), numberInput('limits.calls_per_day', tt.limits.calls_per_day)),
      labelled(t('console.editor.calls_per_week'), numberInput('limits.calls_per_week', tt.limits.calls_per_week)),
      labelled(t('console.editor.min_gap_minutes'), numberInput('limits.min_gap_minutes', tt.limits.min_gap_minutes)))),
    fieldset(t('console.terms.supervision'), 'terms-supervision', el('div', { class: 'grid' },
      labelled(t('console.editor.sup_calls'), select('supervision.calls', [['none', t('console.editor.calls_none')], ['supervised', t('console.editor.calls_supervised')]], tt.supervision.calls)),
      labelled(t('console.editor.sup_messages'), select('supervision.messages', [['none', t('console.editor.review_none')], ['after', t('console.editor.review_after')],
        ['before', t('console.editor.review_before')]], tt.supervision.messages))),
      checkField(t('console.editor.recording'), checkbox('supervision.recording_allowed', tt.supervision.recording_allowed)),
      checkField(t('console.editor.consent'), checkbox('supervision.listen_in_needs_consent', tt.supervision.listen_in_needs_consent))),
    fieldset(t('console.terms.privacy'), 'terms-privacy',
      checkField(t('console.editor.screen'), checkbox('privacy.screen_contact_details', tt.privacy.screen_contact_details)),
      checkField(t('console.editor.hide_carer'), checkbox('privacy.hide_carer', tt.privacy.hide_carer))),
    fieldset(t('console.terms.validity'), 'terms-validity', el('div', { class: 'grid' },
      labelled(t('console.editor.valid_from'), dateInput('validity.from', tt.validity.from)),
      labelled(t('console.editor.valid_until'), dateInput('validity.until', tt.validity.until)),
      labelled(t('console.editor.review'), dateInput('validity.review', tt.validity.review)))),
    fieldset(t('console.terms.goal'), 'terms-goal', el('p', { class: 'hint' }, t('console.editor.goal_hint')), el('div', { class: 'grid' },
      labelled(t('console.editor.goal_calls'), numberInput('goal.calls_per_week', tt.goal.calls_per_week)),
      labelled(t('console.editor.goal_messages'), numberInput('goal.messages_per_week', tt.goal.messages_per_week)))));
  return { node, read: () => readTerms(node) };
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
  for (const k of CHANNELS) channels[k] = val(root, `channels.${k}`);
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

