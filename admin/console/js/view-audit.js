// Audit trail of a case (newest first) and the result of verifying the whole hash chain.

import * as api from './api.js';
import { el, fmtDateTime, who, note } from './dom.js';

function detailText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d).filter(([k]) => k !== 'terms')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${show(k, v)}`).join('; ');
}

function show(k, v) {
  if (/_at$/.test(k) && typeof v === 'number') return v ? fmtDateTime(v) : '—';
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

function verifyResult(v) {
  if (v.ok) {
    return el('p', { class: 'note note-ok', 'data-testid': 'verify-result', 'data-ok': 'yes' },
      `The audit chain verifies: ${v.entries} entries, none edited, removed or reordered.`);
  }
  return el('p', { class: 'note note-error', 'data-testid': 'verify-result', 'data-ok': 'no' },
    `The audit chain is broken at entry ${v.first_bad_seq}: ${v.problem || 'does not verify'} (${v.entries} entries checked).`);
}

async function verifyBlock() {
  try {
    return verifyResult(await api.get('/api/audit/verify'));
  } catch (e) {
    return note('error', `Could not verify the chain: ${e.message}`, 'verify-result');
  }
}

export async function auditView(ctx, caseId) {
  const [data, verify] = await Promise.all([api.get(`/api/audit?case=${caseId}`), verifyBlock()]);
  const entries = api.listOf(data, 'entries');
  const rows = entries.map((e) => el('tr', { 'data-testid': `audit-${e.seq}`, 'data-kind': e.kind },
    el('td', { class: 'num' }, String(e.seq)),
    el('td', {}, fmtDateTime(e.at)),
    el('td', {}, who(e.actor_name || e.actor)),
    el('td', {}, String(e.kind).replace(/_/g, ' ')),
    el('td', {}, e.agreement_id ? el('a', { href: `#/agreement/${e.agreement_id}` }, String(e.agreement_id)) : ''),
    el('td', { class: 'detail' }, detailText(e.detail))));
  return el('section', { class: 'page', 'data-testid': 'audit-page' },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ', el('a', { href: `#/case/${caseId}` }, `Case ${caseId}`), ' › Audit trail'),
    el('h1', {}, 'Audit trail'),
    verify,
    rows.length ? el('table', { class: 'list card audit' },
      el('thead', {}, el('tr', {}, ['#', 'When', 'Who', 'What', 'Agreement', 'Details'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))
      : el('p', { class: 'muted', 'data-testid': 'audit-empty' }, 'No entries for this case.'),
    el('p', { class: 'no-print' }, el('button', { type: 'button', class: 'button quiet', onclick: () => window.print() }, 'Print')));
}

/** For operators: only the chain check. */
export async function verifyView() {
  return el('section', { class: 'page', 'data-testid': 'verify-page' }, el('h1', {}, 'Audit chain'), await verifyBlock());
}
