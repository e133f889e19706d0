// The continuity report's SVG bar chart: one stacked bar per week (two series), the goal as a dashed line, weeks
// with a pause or a suspension shaded. Used twice per agreement: messages (from / to the child) and calls.

import { t } from '/js/i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
export const COLORS = { a: '#1d63c9', b: '#8fb3e8', goal: '#c2410c', paused: '#fdecc8', cancelled: '#fbdcd8', axis: '#767676' };

/** Build an SVG element. */
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Round a maximum up to a readable axis top and step. */
function axisScale(max) {
  const top = Math.max(4, max);
  const step = top <= 10 ? 2 : top <= 25 ? 5 : top <= 60 ? 10 : Math.ceil(top / 50) * 10;
  return { top: Math.ceil(top / step) * step, step };
}

function background(g, weeks, x0, colW, y0, h) {
  weeks.forEach((w, i) => {
    const fill = w.cancellations.length ? COLORS.cancelled : w.pauses.length ? COLORS.paused : null;
    if (fill) g.append(svg('rect', { x: x0 + i * colW + 2, y: y0, width: colW - 4, height: h, fill, rx: 4 }));
  });
}

function axis(g, scale, x0, x1, yOf) {
  for (let v = 0; v <= scale.top; v += scale.step) {
    const y = yOf(v);
    g.append(svg('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: v ? '#e4e1da' : COLORS.axis, 'stroke-width': 1 }));
    g.append(svg('text', { x: x0 - 8, y: y + 4, 'text-anchor': 'end', 'font-size': 12 }, v));
  }
}

function bars(g, spec, x0, colW, yOf) {
  const barW = Math.min(56, colW * 0.56);
  spec.weeks.forEach((w, i) => {
    const cx = x0 + i * colW + colW / 2;
    const a = spec.a(w);
    const b = spec.b(w);
    g.append(svg('rect', { x: cx - barW / 2, y: yOf(a), width: barW, height: yOf(0) - yOf(a), fill: COLORS.a }));
    g.append(svg('rect', { x: cx - barW / 2, y: yOf(a + b), width: barW, height: yOf(a) - yOf(a + b), fill: COLORS.b }));
    g.append(svg('text', { x: cx, y: yOf(a + b) - 6, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700,
      stroke: '#fff', 'stroke-width': 4, 'paint-order': 'stroke' }, a + b));
    g.append(svg('text', { x: cx, y: yOf(0) + 18, 'text-anchor': 'middle', 'font-size': 12 }, spec.weekLabel(w.week_start)));
    const under = spec.under ? spec.under(w) : null;
    if (under) g.append(svg('text', { x: cx, y: yOf(0) + 34, 'text-anchor': 'middle', 'font-size': 11, fill: '#585e6b' }, under));
  });
}

function goalLine(g, goal, x0, x1, yOf) {
  if (!goal) return;
  const y = yOf(goal);
  g.append(svg('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: COLORS.goal, 'stroke-width': 2.5, 'stroke-dasharray': '8 5' }));
  g.append(svg('text', { x: x1, y: y - 6, 'text-anchor': 'end', 'font-size': 12, fill: COLORS.goal, 'font-weight': 700 },
    t('report.chart_goal', { goal })));
}

/**
 * spec: {weeks, a(w), b(w) (the two stacked counts), goal (0 = none), label (the chart's accessible name),
 * weekLabel(ymd), under(w) (optional second line under a week), testid}.
 */
export function barChart(spec) {
  const W = 960, H = 280, x0 = 44, x1 = W - 12, top = 18, bottom = H - 46;
  const max = Math.max(...spec.weeks.map((w) => spec.a(w) + spec.b(w)), spec.goal || 0);
  const scale = axisScale(Math.ceil(max * 1.15));
  const yOf = (v) => bottom - (v / scale.top) * (bottom - top);
  const colW = (x1 - x0) / spec.weeks.length;
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.label, 'data-testid': spec.testid });
  s.append(svg('title', {}, spec.label));
  const g = svg('g');
  background(g, spec.weeks, x0, colW, top, bottom - top);
  axis(g, scale, x0, x1, yOf);
  bars(g, spec, x0, colW, yOf);
  goalLine(g, spec.goal, x0, x1, yOf);
  s.append(g);
  return s;
}
