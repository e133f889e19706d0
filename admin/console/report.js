// Continuity report page (report.html?child=ID): GET /api/reports/ID, then per agreement SVG bar charts of messages
// and of answered calls per week against the goal lines, and the weekly table (the same counts as the CSV); print and
// CSV download. Every time is the child's, labelled with the zone. It shares only the session token
// (sessionStorage 'samvaer.console.token', set by the console's login) and the URL with the console.

import { initI18n, t, locale, fmtDateTime, fmtZone, fmtNumber } from '/js/i18n.js';
import { barChart } from './js/report-chart.js';

const TOKEN_KEY = 'samvaer.console.token';
const WEEK_CHOICES = [4, 6, 8, 12, 26, 52];

const root = document.getElementById('report');
const params = new URLSearchParams(location.search);

/** Build an HTML element; text children become text nodes (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function apiUrl(format) {
  const q = new URLSearchParams({ weeks: params.get('weeks') || '6' });
  if (params.get('to')) q.set('to', params.get('to'));
  if (format) q.set('format', format);
  return `/api/reports/${encodeURIComponent(params.get('child'))}?${q}`;
}

async function fetchReport(format) {
  const res = await fetch(apiUrl(format), { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
  if (!res.ok) {
    let msg = t('report.error_status', { status: res.status });
    try { msg = (await res.json()).error.message || msg; } catch (e) { /* keep the status */ }
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return format === 'csv' ? res.text() : res.json();
}

/** "16 Nov" for a week's Monday (dates are the child's local dates, so format them as UTC). */
function shortDate(ymd, withYear) {
  const opts = { day: 'numeric', month: 'short', timeZone: 'UTC' };
  if (withYear) opts.year = 'numeric';
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(`${ymd}T12:00:00Z`));
}

/** "4 Nov 2026, 19:40 EET": a local RFC 3339 stamp of the report, in the child's zone and labelled with it. */
function stamp(s, zone) {
  if (!s) return t('report.still_on');
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : fmtDateTime(ms, zone);
}

function goalText(goal) {
  if (!goal) return t('report.no_goal');
  return t('report.goal', { messages: goal.messages_per_week || 0, calls: goal.calls_per_week || 0 });
}

function charts(ag, childName) {
  const contact = ag.contact.display_name;
  const goal = ag.goal || {};
  const weekLabel = (ymd) => shortDate(ymd);
  const messages = barChart({
    weeks: ag.weeks, a: (w) => w.messages_from_child, b: (w) => w.messages_to_child, goal: goal.messages_per_week || 0,
    weekLabel, testid: 'report-chart',
    label: t('report.chart_messages', { child: childName, contact, goal: goal.messages_per_week || 0, has_goal: goal.messages_per_week ? 'yes' : 'no' }),
    under: (w) => (w.planned_windows === null ? null : t('report.chart_windows', { with: w.windows_with_contact, planned: w.planned_windows })),
  });
  const calls = barChart({
    weeks: ag.weeks, a: (w) => w.calls, b: () => 0, goal: goal.calls_per_week || 0, weekLabel, testid: 'report-calls-chart',
    label: t('report.chart_calls', { child: childName, contact, goal: goal.calls_per_week || 0, has_goal: goal.calls_per_week ? 'yes' : 'no' }),
    under: (w) => (w.calls ? t('report.chart_minutes', { minutes: w.call_minutes }) : null),
  });
  return [el('h3', {}, t('report.messages_title')), messages, legend(ag, 'messages'), el('h3', {}, t('report.calls_title')), calls, legend(ag, 'calls')];
}

function legend(ag, which) {
  const goal = ag.goal && (which === 'messages' ? ag.goal.messages_per_week : ag.goal.calls_per_week);
  return el('ul', { class: 'legend' },
    which === 'messages' ? [el('li', {}, el('span', { class: 'swatch from-child' }), t('report.legend_from')),
      el('li', {}, el('span', { class: 'swatch to-child' }), t('report.legend_to'))]
      : el('li', {}, el('span', { class: 'swatch from-child' }), t('report.legend_calls')),
    goal ? el('li', {}, el('span', { class: 'swatch goal' }), t('report.legend_goal')) : null,
    el('li', {}, el('span', { class: 'swatch paused' }), t('report.legend_paused')),
    el('li', {}, el('span', { class: 'swatch cancelled' }), t('report.legend_cancelled')));
}

const dash = (v) => (v === null || v === undefined ? '—' : v);

// i18n-prefix: report.by.
function pauseText(p, zone) {
  const by = t(`report.by.${['child', 'carer', 'caseworker'].includes(p.by_role) ? p.by_role : 'other'}`);
  return t('report.pause', { by, from: stamp(p.from, zone), until: stamp(p.to, zone), reason: p.reason || '', has_reason: p.reason ? 'yes' : 'no' });
}

function cancelText(c, zone) {
  return t('report.cancel', { kind: c.kind === 'end' ? 'end' : 'suspend', at: stamp(c.at, zone), reason: c.reason || '', has_reason: c.reason ? 'yes' : 'no' });
}

function metCell(v) {
  if (v === true) return el('td', { class: 'met-yes' }, t('report.met_yes'));
  if (v === false) return el('td', { class: 'met-no' }, t('report.met_no'));
  return el('td', {}, '—');
}

function weekRow(w, zone) {
  const windows = w.planned_windows === null ? t('report.any_time')
    : t('report.planned', { count: w.planned_windows, hours: fmtNumber(Math.round(w.planned_minutes / 6) / 10) });
  return el('tr', { 'data-testid': 'report-week', 'data-week': w.week_start },
    el('th', { scope: 'row' }, shortDate(w.week_start, true)),
    el('td', {}, w.messages_from_child), el('td', {}, w.messages_to_child),
    el('td', {}, windows), el('td', {}, dash(w.windows_with_contact)), el('td', {}, dash(w.missed_windows)),
    el('td', { 'data-testid': 'week-calls' }, w.calls), el('td', { 'data-testid': 'week-call-minutes' }, w.call_minutes),
    el('td', { class: 'text' }, w.pauses.map((p) => el('div', {}, pauseText(p, zone)))),
    el('td', { class: 'text' }, w.cancellations.map((c) => el('div', {}, cancelText(c, zone)))),
    metCell(w.goal_met));
}

function table(ag, zone) {
  const head = ['week', 'from_child', 'to_child', 'windows', 'with_contact', 'missed', 'calls', 'call_minutes', 'pauses', 'cancellations', 'goal_met'];
  // i18n-prefix: report.col.
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('report.table_label', { contact: ag.contact.display_name }) },
    el('table', { class: 'report-table', 'data-testid': 'report-table' },
      el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', class: i >= 8 && i <= 9 ? 'text' : null }, t(`report.col.${h}`))))),
      el('tbody', {}, ag.weeks.map((w) => weekRow(w, zone)))));
}

// i18n-prefix: report.status.
function agreementSection(ag, childName, zone) {
  return el('section', { class: 'card agreement-report', 'data-testid': 'agreement-report', 'data-agreement': ag.agreement_id },
    el('h2', {}, ag.relationship, el('span', { class: 'who' }, ag.contact.display_name),
      el('span', { class: `status-chip ${ag.status}` }, t(`report.status.${['active', 'suspended', 'ended'].includes(ag.status) ? ag.status : 'other'}`))),
    el('p', { class: 'goal-line-text' }, goalText(ag.goal), ' ',
      ag.weeks.some((w) => w.planned_windows !== null) ? t('report.inside_windows') : t('report.any_time_note')),
    charts(ag, childName), table(ag, zone));
}

async function downloadCsv() {
  const text = await fetchReport('csv');
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: `continuity-report-${params.get('child')}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

function controls() {
  const weeks = el('select', { id: 'weeks', 'data-testid': 'report-weeks' },
    WEEK_CHOICES.map((n) => el('option', { value: n, selected: String(n) === (params.get('weeks') || '6') }, t('report.weeks', { count: n }))));
  const to = el('input', { id: 'to', type: 'date', value: params.get('to') || '', 'data-testid': 'report-to' });
  const toWords = el('span', { class: 'date-words', 'aria-hidden': 'true' }, to.value ? shortDate(to.value, true) : '');
  const apply = () => {
    params.set('weeks', weeks.value);
    if (to.value) params.set('to', to.value); else params.delete('to');
    history.replaceState(null, '', `?${params}`);
    load();
  };
  weeks.addEventListener('change', apply);
  to.addEventListener('change', apply);
  return el('div', { class: 'report-controls no-print' },
    el('label', { for: 'weeks' }, t('report.period'), weeks), el('label', { for: 'to' }, t('report.up_to'), to, toWords),
    el('span', { class: 'spacer' }),
    el('button', { type: 'button', class: 'button quiet', onclick: () => downloadCsv().catch(showError), 'data-testid': 'report-csv' }, t('report.csv')),
    el('button', { type: 'button', class: 'button', onclick: () => window.print(), 'data-testid': 'report-print' }, t('report.print')));
}

function render(rep) {
  const name = rep.child.display_name;
  const zone = rep.child.time_zone;
  document.title = t('report.page_title', { child: name });
  root.replaceChildren(
    el('h1', {}, t('report.title', { child: name })),
    el('p', { class: 'report-meta', 'data-testid': 'report-meta', 'data-zone': zone },
      t('report.meta', { from: shortDate(rep.from, true), to: shortDate(rep.to, true), zone, zone_name: fmtZone(zone, 'longGeneric') }), ' · ',
      t('report.made'), ' ', el('time', { 'data-testid': 'report-made' }, stamp(rep.generated_at, zone))),
    controls(),
    el('p', { class: 'report-note', 'data-testid': 'report-note' }, t('report.note')),
    ...(rep.agreements.length ? rep.agreements.map((ag) => agreementSection(ag, name, zone)) : [el('p', { class: 'card' }, t('report.no_agreements'))]));
}

function showError(e) {
  const box = el('div', { class: 'report-error', role: 'alert', 'data-testid': 'report-error' }, e.message);
  if (e.status === 401) box.append(' ', el('a', { href: 'index.html' }, t('report.sign_in')));
  root.replaceChildren(el('h1', {}, t('report.title_plain')), box);
}

/** The signed-in account's language, when it has one (else the browser's). */
async function accountLocale() {
  try {
    const res = await fetch('/api/me', { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
    const me = res.ok ? await res.json() : null;
    return (me && (me.locale || me.language)) || '';
  } catch (e) {
    return '';
  }
}

async function load() {
  if (!params.get('child') || !/^\d+$/.test(params.get('child'))) {
    showError(new Error(t('report.no_child')));
    return;
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    showError(Object.assign(new Error(t('report.sign_in_first')), { status: 401 }));
    return;
  }
  try {
    render(await fetchReport());
  } catch (e) {
    showError(e);
  }
}

const catalogs = new URL('i18n/', location.href).pathname;
const want = sessionStorage.getItem(TOKEN_KEY) ? await accountLocale() : '';
await initI18n(catalogs, want ? { locale: want } : {});
load();
