// One agreement: its terms in force, waiting changes with approvals, pauses, and the actions the caller's role has.

import * as api from './api.js';
import { el, chip, fmtDateTime, who, note, busy, newId, field } from './dom.js';
import { termsSummary, termsDiff } from './terms-form.js';
import { decisionForm, approvalsList } from './view-inbox.js';

const activePause = (p) => !p.ended_at && (!p.expires_at || p.expires_at > Date.now());

function pausesBlock(a) {
  const list = (a.pauses || []);
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-pauses' }, 'No pauses.');
  return el('ul', { class: 'plain', 'data-testid': 'pauses' }, list.map((p) => el('li', { 'data-active': activePause(p) ? 'yes' : 'no' },
    activePause(p) ? el('strong', {}, 'Paused now ') : 'Paused ',
    `by the ${p.by_role}${p.by ? ` (${who(p.by)})` : ''} from ${fmtDateTime(p.started_at)}`,
    p.expires_at ? ` until ${fmtDateTime(p.expires_at)}` : '',
    p.ended_at ? ` · ended ${fmtDateTime(p.ended_at)}` : '',
    p.reason ? ` — reason: ${p.reason}` : '')));
}

function proposalsBlock(ctx, a, zone) {
  const pending = (a.proposals || []).filter((p) => p.status === 'pending');
  const done = (a.proposals || []).filter((p) => p.status !== 'pending');
  return [
    pending.length ? pending.map((p) => el('article', { class: 'card inbox-item', 'data-testid': `proposal-${p.id}`, 'data-status': 'pending' },
      el('h3', {}, `Waiting for approval (proposed by ${who(p.proposed_by)}${p.proposed_role ? `, ${p.proposed_role}` : ''}, ${fmtDateTime(p.created_at)})`),
      a.status === 'pending' ? termsSummary(p.terms, zone) : [el('h4', {}, 'What changes'), termsDiff(a.terms, p.terms, zone)],
      approvalsList(p),
      canDecide(ctx, p) ? decisionForm(p, () => ctx.refresh()) : null))
      : el('p', { class: 'muted', 'data-testid': 'no-pending' }, 'No changes are waiting for approval.'),
    done.length ? el('details', { class: 'history' }, el('summary', {}, `Earlier proposals (${done.length})`),
      el('ul', { class: 'plain' }, done.map((p) => el('li', { 'data-testid': `proposal-${p.id}`, 'data-status': p.status },
        `#${p.id} ${p.status}, proposed by ${who(p.proposed_by)} ${fmtDateTime(p.created_at)}`,
        p.decided_at ? `, decided ${fmtDateTime(p.decided_at)}` : '')))) : null,
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

const reasonField = (testid, required) => field(required ? 'Reason (required)' : 'Reason',
  el('textarea', { name: 'reason', rows: '2', 'data-testid': testid, required: required || null }));

function actions(ctx, a) {
  const role = ctx.me.role;
  const paused = (a.pauses || []).some(activePause);
  const forms = [];
  const reason = (f) => f.querySelector('[name="reason"]').value.trim();
  if (role === 'carer' && !paused && a.status === 'active') {
    const hoursId = newId('hours');
    forms.push(actionForm(ctx, {
      title: 'Emergency pause', path: `/api/agreements/${a.id}/pause`, button: 'Pause contact now', testid: 'pause-form', danger: true,
      fields: [el('p', { class: 'hint' }, 'The contact only sees "not available right now", never the reason. The caseworker is told.'),
        reasonField('pause-reason', true),
        el('div', { class: 'field' }, el('label', { for: hoursId }, 'For how many hours (1–72)'),
          el('input', { id: hoursId, name: 'hours', type: 'number', min: '1', max: '72', value: '48', 'data-testid': 'pause-hours' }))],
      body: (f) => ({ reason: reason(f), hours: Number(f.querySelector('[name="hours"]').value) || 48 }),
    }));
  }
  if (paused && (role === 'carer' || role === 'caseworker')) {
    forms.push(actionForm(ctx, { title: 'End the pause', path: `/api/agreements/${a.id}/unpause`, button: 'End the pause', testid: 'unpause-form', body: () => ({}) }));
  }
  if (role === 'caseworker') {
    if (a.status === 'active') {
      forms.push(actionForm(ctx, { title: 'Suspend contact', path: `/api/agreements/${a.id}/suspend`, button: 'Suspend', testid: 'suspend-form', danger: true,
        fields: [reasonField('suspend-reason', true)], body: (f) => ({ reason: reason(f) }) }));
    }
    if (a.status === 'suspended') {
      forms.push(actionForm(ctx, { title: 'Resume contact', path: `/api/agreements/${a.id}/resume`, button: 'Resume', testid: 'resume-form',
        fields: [reasonField('resume-reason', false)], body: (f) => ({ reason: reason(f) }) }));
    }
    if (a.status !== 'ended') {
      forms.push(actionForm(ctx, { title: 'End the agreement', path: `/api/agreements/${a.id}/end`, button: 'End for good', testid: 'end-form', danger: true,
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
  const role = ctx.me.role;
  const canPropose = (role === 'caseworker' || role === 'carer') && a.status !== 'ended';
  const acts = actions(ctx, a);
  return el('section', { class: 'page', 'data-testid': 'agreement-page', 'data-agreement-id': a.id, 'data-status': a.status },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ',
      el('a', { href: `#/case/${a.case_id}` }, who(a.child || (kase && kase.child))), ' › ', who(a.contact)),
    el('h1', {}, `${who(a.child || (kase && kase.child))} and ${who(a.contact)}${a.relationship ? ` (${a.relationship})` : ''} `, chip(a.status, 'agreement-status')),
    a.status_reason ? el('p', { class: 'muted', 'data-testid': 'status-reason' }, a.status_reason) : null,
    el('p', { class: 'actions no-print' },
      canPropose ? el('a', { class: 'button', href: `#/agreement/${a.id}/propose`, 'data-testid': 'propose-change' }, 'Propose a change') : null,
      ['caseworker', 'supervisor'].includes(role) ? el('a', { class: 'button quiet', href: `#/audit/${a.case_id}` }, 'Audit trail') : null,
      childId ? el('a', { class: 'button quiet', href: `report.html?child=${encodeURIComponent(childId)}`, 'data-testid': 'report-link' }, 'Continuity report') : null,
      el('button', { type: 'button', class: 'button quiet', onclick: () => window.print() }, 'Print')),
    el('h2', {}, 'Terms in force'),
    a.status === 'pending' ? el('p', { class: 'muted', 'data-testid': 'not-in-force' }, 'None yet: the agreement waits for approval.') : termsSummary(a.terms, zone),
    el('h2', {}, 'Changes'), proposalsBlock(ctx, a, zone),
    el('h2', {}, 'Pauses'), pausesBlock(a),
    acts.length ? [el('h2', { class: 'no-print' }, 'Actions'), el('div', { class: 'action-grid no-print' }, acts)] : null);
}
