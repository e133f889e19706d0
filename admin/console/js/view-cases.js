// Caseload list and one case with its agreements.

import { recordingsSection } from './view-recordings.js';
import { t, fmtZone, fmtList } from '/js/i18n.js';
import * as api from './api.js';
import { el, chip, who, roleWord, crumbs } from './dom.js';
import { termsSummary } from './terms-form.js';

export const contactName = (a) => (a.relationship
  ? t('console.person.with_relationship', { name: who(a.contact), relationship: a.relationship }) : who(a.contact));
const childId = (c) => (c.child && typeof c.child === 'object' ? c.child.id : c.child);

/** "Europe/Bucharest (Eastern European Time)": the zone every time of this case is shown in. */
export function zoneLine(zone) {
  const z = zone || 'UTC';
  return t('console.case.zone', { zone: z, name: fmtZone(z, 'longGeneric') });
}

/** Links shared by the caseload and the case page. */
function caseLinks(ctx, c) {
  const role = ctx.me.role;
  return el('p', { class: 'actions' },
    role === 'caseworker' ? el('a', { class: 'button', href: `#/case/${c.id}/new`, 'data-testid': 'new-agreement' }, t('console.case.new_agreement')) : null,
    ['caseworker', 'carer'].includes(role) ? el('a', { class: 'button', href: `#/case/${c.id}/invite`, 'data-testid': 'invite-link-page' }, t('console.case.invite')) : null,
    ['caseworker', 'supervisor'].includes(role) ? el('a', { class: 'button quiet', href: `#/audit/${c.id}`, 'data-testid': 'audit-link' }, t('console.case.audit')) : null,
    ['caseworker', 'carer'].includes(role) ? el('a', { class: 'button quiet', href: `#/case/${c.id}/devices`, 'data-testid': 'devices-link' }, t('console.case.devices')) : null,
    role === 'caseworker' ? el('a', { class: 'button quiet', href: `#/case/${c.id}/privacy`, 'data-testid': 'privacy-link' }, t('console.case.privacy')) : null,
    el('a', { class: 'button quiet', href: `report.html?child=${encodeURIComponent(childId(c))}`, 'data-testid': 'report-link' }, t('console.case.report')));
}

function members(c) {
  const list = (c.members || []).map((m) => t('console.person.with_role', { name: who(m), role: roleWord(m.role) }));
  return list.length ? fmtList(list) : '—';
}

function caseLine(c) {
  return el('p', { class: 'muted', 'data-testid': 'case-zone', 'data-zone': c.time_zone || 'UTC' },
    zoneLine(c.time_zone), ' · ', t('console.case.members', { members: members(c) }));
}

function agreementRow(a) {
  const pending = a.pending_proposals || (a.proposals || []).filter((p) => p.status === 'pending').length;
  const paused = (a.pauses || []).some((p) => !p.ended_at && (!p.expires_at || p.expires_at > Date.now())) || a.paused_until > Date.now() || a.paused_by_child;
  return el('tr', { 'data-testid': `agreement-${a.id}`, 'data-contact': (a.contact && a.contact.username) || '', 'data-status': a.status },
    el('td', {}, el('a', { href: `#/agreement/${a.id}`, 'data-testid': 'agreement-link' }, contactName(a))),
    el('td', {}, chip(a.status), ' ', paused ? el('span', { class: 'chip chip-paused', 'data-testid': 'agreement-paused' },
      a.paused_by_child ? t('console.case.paused_by_child') : t('console.case.paused')) : null,
    pending ? el('span', { class: 'muted', 'data-testid': 'agreement-pending' }, ' ', t('console.case.changes_waiting', { count: pending })) : null),
    el('td', { class: 'muted' }, a.status_reason || ''));
}

function agreementsTable(list) {
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-agreements' }, t('console.case.no_agreements'));
  return el('table', { class: 'list' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('console.case.col_contact')), el('th', { scope: 'col' }, t('console.case.col_status')),
      el('th', { scope: 'col' }, t('console.case.col_reason')))),
    el('tbody', {}, list.map(agreementRow)));
}

export async function caseloadView(ctx) {
  const cases = api.listOf(await api.get('/api/cases'), 'cases');
  const cards = cases.map((c) => el('article', { class: 'card case-card', 'data-testid': `case-${c.id}`, 'data-child': (c.child && c.child.username) || who(c.child) },
    el('header', { class: 'case-head' },
      el('h2', {}, el('a', { href: `#/case/${c.id}`, 'data-testid': 'case-link' }, who(c.child))),
      el('span', { class: 'counts' },
        el('span', { class: `count-pill${c.pending_proposals ? ' attention' : ''}`, 'data-testid': 'case-pending', 'data-n': c.pending_proposals || 0 },
          t('console.case.waiting_count', { count: c.pending_proposals || 0 })),
        el('span', { class: `count-pill${c.open_notices ? ' attention' : ''}`, 'data-testid': 'case-notices', 'data-n': c.open_notices || 0 },
          t('console.case.notices_count', { count: c.open_notices || 0 })))),
    caseLine(c),
    agreementsTable(c.agreements || []),
    caseLinks(ctx, c)));
  return el('section', { class: 'page', 'data-testid': 'caseload' },
    el('h1', {}, t('console.caseload.title')),
    cards.length ? cards : el('p', { class: 'muted', 'data-testid': 'caseload-empty' }, t('console.caseload.empty')));
}

export async function caseView(ctx, id) {
  const c = await api.get(`/api/cases/${id}`);
  const agreements = c.agreements || [];
  return el('section', { class: 'page', 'data-testid': 'case-page', 'data-case-id': c.id },
    crumbs([t('console.caseload.title'), '#/cases'], who(c.child)),
    el('h1', {}, who(c.child)),
    caseLine(c),
    caseLinks(ctx, c),
    agreements.length ? agreements.map((a) => el('article', { class: 'card agreement-card', 'data-testid': `agreement-${a.id}`, 'data-contact': (a.contact && a.contact.username) || '' },
      el('header', { class: 'case-head' },
        el('h2', {}, el('a', { href: `#/agreement/${a.id}`, 'data-testid': 'agreement-link' }, contactName(a))),
        chip(a.status)),
      a.status_reason ? el('p', { class: 'muted' }, a.status_reason) : null,
      a.terms ? termsSummary(a.terms, c.time_zone) : null))
      : el('p', { class: 'muted', 'data-testid': 'no-agreements' }, t('console.case.no_agreements')),
    await recordingsSection(ctx, c));
}
