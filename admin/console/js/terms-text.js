// Agreement terms in words (the agreement page, the approval inbox, print): a summary, and what a proposal changes.
// Wall-clock times and dates are the child's, labelled with the child's zone.

import { t, fmtList } from '/js/i18n.js';
import { el, dayName, dayText, clockText } from './dom.js';
import { withDefaults, CHANNELS } from './terms-form.js';

const span = (w) => t('console.terms.span', { from: clockText(w.start), until: clockText(w.end) });

function channelsText(tt) {
  const on = CHANNELS.filter((k) => tt.channels[k] !== 'off').map((k) => (tt.channels[k] === 'moderated'
    ? t('console.terms.moderated', { channel: t(`console.channel.${k}`) }) : t(`console.channel.${k}`)));
  return on.length ? fmtList(on) : t('console.terms.none');
}

function limitsText(lim) {
  const parts = [
    lim.max_call_minutes ? t('console.terms.limit_minutes', { count: lim.max_call_minutes }) : null,
    lim.calls_per_day ? t('console.terms.limit_day', { count: lim.calls_per_day }) : null,
    lim.calls_per_week ? t('console.terms.limit_week', { count: lim.calls_per_week }) : null,
    lim.min_gap_minutes ? t('console.terms.limit_gap', { count: lim.min_gap_minutes }) : null,
  ].filter(Boolean);
  return parts.length ? fmtList(parts) : t('console.terms.none');
}

function supervisionText(s) {
  return t('console.terms.supervision_text', {
    calls: s.calls === 'supervised' ? 'yes' : 'no',
    messages: ['after', 'before'].includes(s.messages) ? s.messages : 'none',
    recording: s.recording_allowed ? 'yes' : 'no',
    consent: s.listen_in_needs_consent ? 'yes' : 'no',
  });
}

/** [label, text, testid] rows describing terms in words (summary, diff and print). */
export function summaryRows(terms, zone) {
  const tt = withDefaults(terms);
  const z = zone || 'UTC';
  const weekly = tt.windows.weekly.map((w) => t('console.terms.weekly_item', { day: dayName(w.day), span: span(w) }));
  const dated = tt.windows.dated.map((w) => t('console.terms.weekly_item', { day: dayText(w.date, 'full'), span: span(w) }));
  const v = tt.validity;
  return [
    [t('console.terms.channels'), channelsText(tt), 'sum-channels'],
    [t('console.terms.weekly', { zone: z }), weekly.length ? weekly.join('; ') : (dated.length ? t('console.terms.none') : t('console.terms.any_time')), 'sum-weekly'],
    [t('console.terms.dated', { zone: z }), dated.length ? dated.join('; ') : t('console.terms.none'), 'sum-dated'],
    [t('console.terms.blackouts'), tt.windows.blackouts.length ? fmtList(tt.windows.blackouts.map((d) => dayText(d))) : t('console.terms.none'), 'sum-blackouts'],
    [t('console.terms.limits'), limitsText(tt.limits), 'sum-limits'],
    [t('console.terms.supervision'), supervisionText(tt.supervision), 'sum-supervision'],
    [t('console.terms.privacy'), t('console.terms.privacy_text', { screen: tt.privacy.screen_contact_details ? 'yes' : 'no', hide: tt.privacy.hide_carer ? 'yes' : 'no' }), 'sum-privacy'],
    [t('console.terms.validity'), t('console.terms.validity_text', {
      from: v.from ? dayText(v.from) : '', until: v.until ? dayText(v.until) : '', review: v.review ? dayText(v.review) : '',
      has_from: v.from ? 'yes' : 'no', has_until: v.until ? 'yes' : 'no', has_review: v.review ? 'yes' : 'no',
    }), 'sum-validity'],
    [t('console.terms.goal'), t('console.terms.goal_text', { calls: tt.goal.calls_per_week || 0, messages: tt.goal.messages_per_week || 0 }), 'sum-goal'],
  ];
}

/** A short readable summary of terms, for the agreement page, inbox and print. */
export function termsSummary(terms, zone) {
  const none = t('console.terms.none');
  const rows = summaryRows(terms, zone).filter(([, text], i) => i < 2 || i > 3 || text !== none);
  return el('dl', { class: 'terms-summary', 'data-testid': 'terms-summary', 'data-zone': zone || 'UTC' },
    rows.map(([k, v, testid]) => [el('dt', {}, k), el('dd', { 'data-testid': testid }, v)]));
}

/** What a proposal changes against the terms in force: one row per differing part, old → new. */
export function termsDiff(current, proposed, zone) {
  const before = summaryRows(current, zone);
  const after = summaryRows(proposed, zone);
  const rows = after.filter((r, i) => r[1] !== before[i][1]).map((r) => {
    const old = before.find((b) => b[2] === r[2])[1];
    return el('li', { 'data-testid': `diff-${r[2].slice(4)}` }, el('strong', {}, t('console.terms.diff_label', { label: r[0] })), ' ',
      el('del', {}, old), ' → ', el('ins', {}, r[1]));
  });
  return el('ul', { class: 'terms-diff', 'data-testid': 'terms-diff' },
    rows.length ? rows : el('li', {}, t('console.terms.no_difference')));
}
