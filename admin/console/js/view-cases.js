// Caseload list and one case with its agreements.

import * as api from './api.js';
import { el, chip, who } from './dom.js';
import { termsSummary } from './terms-form.js';

const contactName = (a) => who(a.contact) + (a.relationship ? ` (${a.relationship})` : '');
const childId = (c) => (c.child && typeof c.child === 'object' ? c.child.id : c.child);

/** Links shared by the caseload and the case page. */
function caseLinks(ctx, c) {
  const role = ctx.me.role;
  return el('p', { class: 'actions' },
    role === 'caseworker' ? el('a', { class: 'button', href: `#/case/${c.id}/new`, 'data-testid': 'new-agreement' }, 'New agreement') : null,
    ['caseworker', 'carer'].includes(role) ? el('a', { class: 'button', href: `#/case/${c.id}/invite`, 'data-testid': 'invite-link-page' }, 'Invite someone') : null,
    ['caseworker', 'supervisor'].includes(role) ? el('a', { class: 'button quiet', href: `#/audit/${c.id}`, 'data-testid': 'audit-link' }, 'Audit trail') : null,
    ['caseworker', 'carer'].includes(role) ? el('a', { class: 'button quiet', href: `#/case/${c.id}/devices`, 'data-testid': 'devices-link' }, 'Devices and passwords') : null,
    role === 'caseworker' ? el('a', { class: 'button quiet', href: `#/case/${c.id}/privacy`, 'data-testid': 'privacy-link' }, 'Data protection') : null,
    el('a', { class: 'button quiet', href: `report.html?child=${encodeURIComponent(childId(c))}`, 'data-testid': 'report-link' }, 'Continuity report'));
}

function members(c) {
  const list = (c.members || []).map((m) => `${who(m)} (${m.role})`);
  return list.length ? list.join(', ') : '—';
}

function agreementRow(a) {
  const pending = a.pending_proposals || (a.proposals || []).filter((p) => p.status === 'pending').length;
  const paused = (a.pauses || []).some((p) => !p.ended_at && (!p.expires_at || p.expires_at > Date.now())) || a.paused_until > Date.now() || a.paused_by_child;
  return el('tr', { 'data-testid': `agreement-${a.id}`, 'data-contact': (a.contact && a.contact.username) || '', 'data-status': a.status },
    el('td', {}, el('a', { href: `#/agreement/${a.id}`, 'data-testid': 'agreement-link' }, contactName(a))),
    el('td', {}, chip(a.status), ' ', paused ? el('span', { class: 'chip chip-paused', 'data-testid': 'agreement-paused' }, a.paused_by_child ? 'paused by the child' : 'paused') : null,
      pending ? el('span', { class: 'muted', 'data-testid': 'agreement-pending' }, ` ${pending} change${pending > 1 ? 's' : ''} waiting`) : null),
    el('td', { class: 'muted' }, a.status_reason || ''));
}

function agreementsTable(list) {
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-agreements' }, 'No agreements yet.');
  return el('table', { class: 'list' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Contact'), el('th', { scope: 'col' }, 'Status'), el('th', { scope: 'col' }, 'Reason'))),
    el('tbody', {}, list.map(agreementRow)));
}

export async function caseloadView(ctx) {
  const cases = api.listOf(await api.get('/api/cases'), 'cases');
  const cards = cases.map((c) => el('article', { class: 'card case-card', 'data-testid': `case-${c.id}`, 'data-child': (c.child && c.child.username) || who(c.child) },
    el('header', { class: 'case-head' },
      el('h2', {}, el('a', { href: `#/case/${c.id}`, 'data-testid': 'case-link' }, who(c.child))),
      el('span', { class: 'counts' },
        el('span', { class: `count-pill${c.pending_proposals ? ' attention' : ''}`, 'data-testid': 'case-pending', 'data-n': c.pending_proposals || 0 },
          `${c.pending_proposals || 0} waiting for approval`),
        el('span', { class: `count-pill${c.open_notices ? ' attention' : ''}`, 'data-testid': 'case-notices', 'data-n': c.open_notices || 0 },
          `${c.open_notices || 0} open notices`))),
    el('p', { class: 'muted' }, `Time zone ${c.time_zone || 'UTC'} · ${members(c)}`),
    agreementsTable(c.agreements || []),
    caseLinks(ctx, c)));
  return el('section', { class: 'page', 'data-testid': 'caseload' },
    el('h1', {}, 'Caseload'),
    cards.length ? cards : el('p', { class: 'muted', 'data-testid': 'caseload-empty' }, 'No children in your caseload.'));
}

export async function caseView(ctx, id) {
  const c = await api.get(`/api/cases/${id}`);
  const agreements = c.agreements || [];
  return el('section', { class: 'page', 'data-testid': 'case-page', 'data-case-id': c.id },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ', who(c.child)),
    el('h1', {}, who(c.child)),
    el('p', { class: 'muted' }, `Time zone ${c.time_zone || 'UTC'} · ${members(c)}`),
    caseLinks(ctx, c),
    agreements.length ? agreements.map((a) => el('article', { class: 'card agreement-card', 'data-testid': `agreement-${a.id}`, 'data-contact': (a.contact && a.contact.username) || '' },
      el('header', { class: 'case-head' },
        el('h2', {}, el('a', { href: `#/agreement/${a.id}`, 'data-testid': 'agreement-link' }, contactName(a))),
        chip(a.status)),
      a.status_reason ? el('p', { class: 'muted' }, a.status_reason) : null,
      a.terms ? termsSummary(a.terms, c.time_zone) : null))
      : el('p', { class: 'muted', 'data-testid': 'no-agreements' }, 'No agreements yet.'));
}
