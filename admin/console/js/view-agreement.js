// One agreement: its terms in force, waiting changes with approvals, pauses, and the actions the caller's role has.
// Every time is the child's, labelled with the zone.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, chip, who, busy, newId, field, when, roleWord, crumbs, statusWord } from './dom.js';
import { termsSummary, termsDiff } from './terms-form.js';
import { decisionForm, approvalsList } from './view-inbox.js';
import { contactName, zoneLine } from './view-cases.js';

const activePause = (p) => !p.ended_at && (!p.expires_at || p.expires_at > Date.now());

function pausesBlock(a, zone) {
  const list = (a.pauses || []);
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-pauses' }, t('console.agreement.no_pauses'));
  return el('ul', { class: 'plain', 'data-testid': 'pauses' }, list.map((p) => el('li', { 'data-active': activePause(p) ? 'yes' : 'no' },
    activePause(p) ? el('strong', {}, t('console.agreement.paused_now')) : null, activePause(p) ? ' ' : null,
    t('console.agreement.pause_by', { role: roleWord(p.by_role), name: p.by ? who(p.by) : '', has_name: p.by ? 'yes' : 'no' }), ' ',
    t('console.agreement.pause_from'), ' ', when(p.started_at, zone),
    p.expires_at ? [' ', t('console.agreement.pause_until'), ' ', when(p.expires_at, zone)] : null,
    p.ended_at ? [' · ', t('console.agreement.pause_ended'), ' ', when(p.ended_at, zone)] : null,
    p.reason ? [' — ', t('console.agreement.pause_reason', { reason: p.reason })] : null)));
}

function proposalsBlock(ctx, a, zone) {
  const pending = (a.proposals || []).filter((p) => p.status === 'pending');
  const done = (a.proposals || []).filter((p) => p.status !== 'pending');
  return [
    pending.length ? pending.map((p) => el('article', { class: 'card inbox-item', 'data-testid': `proposal-${p.id}`, 'data-status': 'pending' },
      el('h3', {}, t('console.agreement.waiting_by', { name: who(p.proposed_by), role: p.proposed_role ? roleWord(p.proposed_role) : '' }), ' ', when(p.created_at, zone)),
      a.status === 'pending' ? termsSummary(p.terms, zone) : [el('h4', {}, t('console.inbox.what_changes')), termsDiff(a.terms, p.terms, zone)],
      approvalsList(p, zone),
      canDecide(ctx, p) ? decisionForm(p, () => ctx.refresh()) : null))
      : el('p', { class: 'muted', 'data-testid': 'no-pending' }, t('console.agreement.no_pending')),
    done.length ? el('details', { class: 'history' }, el('summary', {}, t('console.agreement.earlier', { count: done.length })),
      el('ul', { class: 'plain' }, done.map((p) => el('li', { 'data-testid': `proposal-${p.id}`, 'data-status': p.status },
        t('console.agreement.earlier_item', { status: statusWord(p.status), name: who(p.proposed_by) }), ' ', when(p.created_at, zone),
        p.decided_at ? [', ', t('console.agreement.decided'), ' ', when(p.decided_at, zone)] : null)))) : null,
  ];
}

/** Whether my role still has to approve (the server decides; this only hides buttons that would be refused). */
function canDecide(ctx, p) {
  const role = ctx.me.role;
  if (Array.isArray(p.needs)) return p.needs.includes(role);
  if (Array.isArray(p.required_roles)) {
    return p.required_roles.includes(role) && !(p.approvals || []).some((x) => x.role === role);
  }
  return role !== 'supervisor' && p.proposed_role !== role && !(p.approvals || []).some((x) => x.role === role);
}

/** A small form: optional fields, one button, POST to path; reloads the page on success. */
function actionForm(ctx, { title, path, button, testid, danger, fields = [], body }) {
  const out = el('div', {});
  const btn = el('button', { type: 'submit', class: danger ? 'danger-button' : 'primary-button', 'data-testid': `${testid}-submit` }, button);
  const form = el('form', { class: 'action-form', 'data-testid': testid, novalidate: true },
    el('h3', {}, title), fields, el('p', { class: 'actions' }, btn), out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, out, async () => {
      await api.post(path, body(form));
      ctx.refresh();
    });
  });
  return form;
}

const reasonField = (testid, required) => field(required ? t('console.agreement.reason_required') : t('console.agreement.reason'),
  el('textarea', { name: 'reason', rows: '2', 'data-testid': testid, required: required || null }));

function carerForms(ctx, a, paused) {
  const forms = [];
  const role = ctx.me.role;
  const reason = (f) => f.querySelector('[name="reason"]').value.trim();
  if (role === 'carer' && !paused && a.status === 'active') {
    const hoursId = newId('hours');
    forms.push(actionForm(ctx, {
      title: t('console.agreement.pause_title'), path: `/api/agreements/${a.id}/pause`, button: t('console.agreement.pause_button'), testid: 'pause-form', danger: true,
      fields: [el('p', { class: 'hint' }, t('console.agreement.pause_hint')),
        reasonField('pause-reason', true),
        el('div', { class: 'field' }, el('label', { for: hoursId }, t('console.agreement.pause_hours')),
          el('input', { id: hoursId, name: 'hours', type: 'number', min: '1', max: '72', value: '48', 'data-testid': 'pause-hours' }))],
      body: (f) => ({ reason: reason(f), hours: Number(f.querySelector('[name="hours"]').value) || 48 }),
    }));
  }
  if (paused && (role === 'carer' || role === 'caseworker')) {
    forms.push(actionForm(ctx, { title: t('console.agreement.unpause'), path: `/api/agreements/${a.id}/unpause`, button: t('console.agreement.unpause'), testid: 'unpause-form', body: () => ({}) }));
  }
  return forms;
}

function actions(ctx, a) {
  const paused = (a.pauses || []).some(activePause);
  const forms = carerForms(ctx, a, paused);
  const reason = (f) => f.querySelector('[name="reason"]').value.trim();
  if (ctx.me.role === 'caseworker') {
    if (a.status === 'active') {
      forms.push(actionForm(ctx, { title: t('console.agreement.suspend_title'), path: `/api/agreements/${a.id}/suspend`, button: t('console.agreement.suspend_button'), testid: 'suspend-form', danger: true,
        fields: [reasonField('suspend-reason', true)], body: (f) => ({ reason: reason(f) }) }));
    }
    if (a.status === 'suspended') {
      forms.push(actionForm(ctx, { title: t('console.agreement.resume_title'), path: `/api/agreements/${a.id}/resume`, button: t('console.agreement.resume_button'), testid: 'resume-form',
        fields: [reasonField('resume-reason', false)], body: (f) => ({ reason: reason(f) }) }));
    }
    if (a.status !== 'ended') {
      forms.push(actionForm(ctx, { title: t('console.agreement.end_title'), path: `/api/agreements/${a.id}/end`, button: t('console.agreement.end_button'), testid: 'end-form', danger: true,
        fields: [reasonField('end-reason', true)], body: (f) => ({ reason: reason(f) }) }));
    }
  }
  return forms;
}

export async function agreementView(ctx, id) {
  const a = await api.get(`/api/agreements/${id}`);
  let kase = null;
  try { kase = await api.get(`/api/cases/${a.case_id}`); } catch (e) { /* the page works without it */ }
  const zone = a.time_zone || (kase && kase.time_zone) || 'UTC';
  const childId = (a.child && a.child.id) || (kase && kase.child && kase.child.id) || a.child;
  const child = who(a.child || (kase && kase.child));
  const role = ctx.me.role;
  const canPropose = (role === 'caseworker' || role === 'carer') && a.status !== 'ended';
  const acts = actions(ctx, a);
  return el('section', { class: 'page', 'data-testid': 'agreement-page', 'data-agreement-id': a.id, 'data-status': a.status },
    crumbs([t('console.caseload.title'), '#/cases'], [child, `#/case/${a.case_id}`], contactName(a)),
    el('h1', {}, a.relationship ? t('console.agreement.title_rel', { child, contact: who(a.contact), relationship: a.relationship })
      : t('console.agreement.title', { child, contact: who(a.contact) }), ' ', chip(a.status, 'agreement-status')),
    el('p', { class: 'muted', 'data-testid': 'agreement-zone' }, zoneLine(zone)),
    a.status_reason ? el('p', { class: 'muted', 'data-testid': 'status-reason' }, a.status_reason) : null,
    el('p', { class: 'actions no-print' },
      canPropose ? el('a', { class: 'button', href: `#/agreement/${a.id}/propose`, 'data-testid': 'propose-change' }, t('console.agreement.propose')) : null,
      ['caseworker', 'supervisor'].includes(role) ? el('a', { class: 'button quiet', href: `#/audit/${a.case_id}` }, t('console.case.audit')) : null,
      childId ? el('a', { class: 'button quiet', href: `report.html?child=${encodeURIComponent(childId)}`, 'data-testid': 'report-link' }, t('console.case.report')) : null,
      el('button', { type: 'button', class: 'button quiet', onclick: () => window.print() }, t('console.print'))),
    el('h2', {}, t('console.agreement.in_force')),
    a.status === 'pending' ? el('p', { class: 'muted', 'data-testid': 'not-in-force' }, t('console.agreement.not_in_force')) : termsSummary(a.terms, zone),
    el('h2', {}, t('console.agreement.changes')), proposalsBlock(ctx, a, zone),
    el('h2', {}, t('console.agreement.pauses')), pausesBlock(a, zone),
    acts.length ? [el('h2', { class: 'no-print' }, t('console.agreement.actions')), el('div', { class: 'action-grid no-print' }, acts)] : null);
}
