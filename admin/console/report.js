// Continuity report page (report.html?child=ID): GET /api/reports/ID, then per agreement an SVG bar chart of
// messages per week against the goal line, and the weekly table; print and CSV download. Self-contained: it shares
// only the session token (sessionStorage 'samvaer.console.token', set by the console's login) and the URL.

const TOKEN_KEY = 'samvaer.console.token';
const SVG_NS = 'http://www.w3.org/2000/svg';
const WEEK_CHOICES = [4, 6, 8, 12, 26, 52];
const COLORS = { fromChild: '#1d63c9', toChild: '#8fb3e8', goal: '#c2410c', paused: '#fdecc8', cancelled: '#fbdcd8', axis: '#9aa0aa' };

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

/** Build an SVG element. */
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
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
    let msg = `The server answered ${res.status}.`;
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
  return new Date(`${ymd}T00:00:00Z`).toLocaleDateString('en-GB', opts);
}

/** "4 Nov, 19:40" from a local RFC 3339 stamp, keeping the child's wall-clock time. */
function shortStamp(s) {
  if (!s) return 'still on';
  const [d, t] = s.split('T');
  return `${shortDate(d)}, ${t.slice(0, 5)}`;
}

function goalText(goal) {
  if (!goal) return 'No goal set.';
  const parts = [];
  if (goal.messages_per_week) parts.push(`${goal.messages_per_week} messages a week`);
  if (goal.calls_per_week) parts.push(`${goal.calls_per_week} calls a week`);
  return `Goal: ${parts.join(' and ')}.`;
}

/** Round a maximum up to a readable axis top and step. */
function axisScale(max) {
  const top = Math.max(4, max);
  const step = top <= 10 ? 2 : top <= 25 ? 5 : top <= 60 ? 10 : Math.ceil(top / 50) * 10;
  return { top: Math.ceil(top / step) * step, step };
}

function chartBackground(g, weeks, x0, colW, y0, h) {
  weeks.forEach((w, i) => {
    const fill = w.cancellations.length ? COLORS.cancelled : w.pauses.length ? COLORS.paused : null;
    if (fill) g.append(svg('rect', { x: x0 + i * colW + 2, y: y0, width: colW - 4, height: h, fill, rx: 4 }));
  });
}

function chartAxis(g, scale, x0, x1, yOf) {
  for (let v = 0; v <= scale.top; v += scale.step) {
    const y = yOf(v);
    g.append(svg('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: v ? '#e4e1da' : COLORS.axis, 'stroke-width': 1 }));
    g.append(svg('text', { x: x0 - 8, y: y + 4, 'text-anchor': 'end', 'font-size': 12 }, v));
  }
}

function chartBars(g, weeks, x0, colW, yOf) {
  const barW = Math.min(56, colW * 0.56);
  weeks.forEach((w, i) => {
    const cx = x0 + i * colW + colW / 2;
    const from = w.messages_from_child, to = w.messages_to_child;
    g.append(svg('rect', { x: cx - barW / 2, y: yOf(from), width: barW, height: yOf(0) - yOf(from), fill: COLORS.fromChild }));
    g.append(svg('rect', { x: cx - barW / 2, y: yOf(from + to), width: barW, height: yOf(from) - yOf(from + to), fill: COLORS.toChild }));
    g.append(svg('text', { x: cx, y: yOf(from + to) - 6, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700,
      stroke: '#fff', 'stroke-width': 4, 'paint-order': 'stroke' }, from + to));
    g.append(svg('text', { x: cx, y: yOf(0) + 18, 'text-anchor': 'middle', 'font-size': 12 }, shortDate(w.week_start)));
    if (w.planned_windows !== null) {
      g.append(svg('text', { x: cx, y: yOf(0) + 34, 'text-anchor': 'middle', 'font-size': 11, fill: '#585e6b' },
        `${w.windows_with_contact}/${w.planned_windows} windows`));
    }
  });
}

function chartGoal(g, goal, x0, x1, yOf) {
  if (!goal || !goal.messages_per_week) return;
  const y = yOf(goal.messages_per_week);
  g.append(svg('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: COLORS.goal, 'stroke-width': 2.5, 'stroke-dasharray': '8 5' }));
  g.append(svg('text', { x: x1, y: y - 6, 'text-anchor': 'end', 'font-size': 12, fill: COLORS.goal, 'font-weight': 700 },
    `goal ${goal.messages_per_week}`));
}

/** The SVG chart: stacked bars (from / to the child) per week, the goal line, pause and cancellation weeks shaded. */
function chart(ag, childName) {
  const weeks = ag.weeks;
  const W = 960, H = 280, x0 = 44, x1 = W - 12, top = 18, bottom = H - 46;
  const max = Math.max(...weeks.map((w) => w.messages_from_child + w.messages_to_child), (ag.goal && ag.goal.messages_per_week) || 0);
  const scale = axisScale(Math.ceil(max * 1.15));
  const yOf = (v) => bottom - (v / scale.top) * (bottom - top);
  const colW = (x1 - x0) / weeks.length;
  const label = `Messages per week between ${childName} and ${ag.contact.display_name}` +
    (ag.goal && ag.goal.messages_per_week ? `, goal ${ag.goal.messages_per_week} a week` : '');
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, 'data-testid': 'report-chart' });
  s.append(svg('title', {}, label));
  const g = svg('g');
  chartBackground(g, weeks, x0, colW, top, bottom - top);
  chartAxis(g, scale, x0, x1, yOf);
  chartBars(g, weeks, x0, colW, yOf);
  chartGoal(g, ag.goal, x0, x1, yOf);
  s.append(g);
  return s;
}

function legend(ag) {
  return el('ul', { class: 'legend' },
    el('li', {}, el('span', { class: 'swatch from-child' }), 'from the child'),
    el('li', {}, el('span', { class: 'swatch to-child' }), 'to the child'),
    ag.goal && ag.goal.messages_per_week ? el('li', {}, el('span', { class: 'swatch goal' }), 'goal') : null,
    el('li', {}, el('span', { class: 'swatch paused' }), 'week with a pause'),
    el('li', {}, el('span', { class: 'swatch cancelled' }), 'suspended or ended that week'));
}

const dash = (v) => (v === null || v === undefined ? '—' : v);

function pauseText(p) {
  const who = { child: 'Child', carer: 'Carer', caseworker: 'Caseworker' }[p.by_role] || p.by_role;
  return `${who} paused ${shortStamp(p.from)} – ${shortStamp(p.to)}${p.reason ? `: ${p.reason}` : ''}`;
}

function metCell(v) {
  if (v === true) return el('td', { class: 'met-yes' }, 'yes');
  if (v === false) return el('td', { class: 'met-no' }, 'no');
  return el('td', {}, '—');
}

function weekRow(w) {
  const windows = w.planned_windows === null ? 'any time' : `${w.planned_windows} (${Math.round(w.planned_minutes / 60 * 10) / 10} h)`;
  return el('tr', {},
    el('td', {}, shortDate(w.week_start, true)),
    el('td', {}, w.messages_from_child), el('td', {}, w.messages_to_child),
    el('td', {}, windows), el('td', {}, dash(w.windows_with_contact)), el('td', {}, dash(w.missed_windows)),
    el('td', {}, w.calls),
    el('td', { class: 'text' }, w.pauses.map((p) => el('div', {}, pauseText(p)))),
    el('td', { class: 'text' }, w.cancellations.map((c) => el('div', {}, `${c.kind === 'end' ? 'Ended' : 'Suspended'} ${shortStamp(c.at)}${c.reason ? `: ${c.reason}` : ''}`))),
    metCell(w.goal_met));
}

function table(ag) {
  const head = ['Week of', 'From child', 'To child', 'Windows planned', 'With contact', 'Missed', 'Calls', 'Pauses', 'Suspended / ended', 'Goal met'];
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'report-table', 'data-testid': 'report-table' },
      el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', class: i >= 7 && i <= 8 ? 'text' : null }, h)))),
      el('tbody', {}, ag.weeks.map(weekRow))));
}

function agreementSection(ag, childName) {
  return el('section', { class: 'card agreement-report', 'data-testid': 'agreement-report', 'data-agreement': ag.agreement_id },
    el('h2', {}, ag.relationship, el('span', { class: 'who' }, ag.contact.display_name),
      el('span', { class: `status-chip ${ag.status}` }, ag.status)),
    el('p', { class: 'goal-line-text' }, goalText(ag.goal),
      ag.weeks.some((w) => w.planned_windows !== null) ? ' Contact inside agreed windows.' : ' Contact at any time (no windows).'),
    chart(ag, childName), legend(ag), table(ag));
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
    WEEK_CHOICES.map((n) => el('option', { value: n, selected: String(n) === (params.get('weeks') || '6') }, `${n} weeks`)));
  const to = el('input', { id: 'to', type: 'date', value: params.get('to') || '', 'data-testid': 'report-to' });
  const apply = () => {
    params.set('weeks', weeks.value);
    if (to.value) params.set('to', to.value); else params.delete('to');
    history.replaceState(null, '', `?${params}`);
    load();
  };
  weeks.addEventListener('change', apply);
  to.addEventListener('change', apply);
  return el('div', { class: 'report-controls no-print' },
    el('label', { for: 'weeks' }, 'Period', weeks), el('label', { for: 'to' }, 'Up to the week of', to),
    el('span', { class: 'spacer' }),
    el('button', { type: 'button', class: 'button quiet', onclick: () => downloadCsv().catch(showError), 'data-testid': 'report-csv' }, 'Download CSV'),
    el('button', { type: 'button', class: 'button', onclick: () => window.print(), 'data-testid': 'report-print' }, 'Print'));
}

function render(rep) {
  const name = rep.child.display_name;
  document.title = `Continuity report: ${name} · Samvaer console`;
  root.replaceChildren(
    el('h1', {}, `Continuity report: ${name}`),
    el('p', { class: 'report-meta' }, `${shortDate(rep.from, true)} to ${shortDate(rep.to, true)} · weeks from Monday, ${rep.child.time_zone} time · made ${shortStamp(rep.generated_at)}`),
    controls(),
    el('p', { class: 'report-note' }, 'Counts are text messages each way. Calls are not counted yet. A window counts as missed when it closed without a message and was not paused or suspended.'),
    ...(rep.agreements.length ? rep.agreements.map((ag) => agreementSection(ag, name)) : [el('p', { class: 'card' }, 'No agreements with contact yet.')]));
}

function showError(e) {
  const box = el('div', { class: 'report-error', role: 'alert', 'data-testid': 'report-error' }, e.message);
  if (e.status === 401) box.append(' ', el('a', { href: 'index.html' }, 'Sign in to the console'), ' and open the report again.');
  root.replaceChildren(el('h1', {}, 'Continuity report'), box);
}

async function load() {
  if (!params.get('child') || !/^\d+$/.test(params.get('child'))) {
    showError(new Error('No child chosen. Open the report from a case in the console.'));
    return;
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    showError(Object.assign(new Error('Please sign in first.'), { status: 401 }));
    return;
  }
  try {
    render(await fetchReport());
  } catch (e) {
    showError(e);
  }
}

load();
