// Audit trail of a case (newest first, details as sentences, times in the child's zone) and the result of
// verifying the whole hash chain.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, who, note, when, roleWord, crumbs } from './dom.js';
import { directory, zoneOf } from './directory.js';
import { auditSentence, kindWord } from './audit-text.js';
import { contactName, zoneLine } from './view-cases.js';

function verifyResult(v) {
  if (v.ok) {
    return el('p', { class: 'note note-ok', 'data-testid': 'verify-result', 'data-ok': 'yes' }, t('console.audit.verified', { count: v.entries }));
  }
  return el('p', { class: 'note note-error', 'data-testid': 'verify-result', 'data-ok': 'no' },
    t('console.audit.broken', { seq: v.first_bad_seq, problem: v.problem || '', count: v.entries }));
}

async function verifyBlock() {
  try {
    return verifyResult(await api.get('/api/audit/verify'));
  } catch (e) {
    return note('error', t('console.audit.verify_failed', { message: e.message }), 'verify-result');
  }
}

function actorText(e) {
  const a = e.actor_name || e.actor;
  if (a && typeof a === 'object' && a.role === 'operator' && !a.id) return t('console.audit.operator');
  if (a && typeof a === 'object' && a.role) return t('console.person.with_role', { name: who(a), role: roleWord(a.role) });
  return who(a);
}

function agreementCell(e, dir) {
  if (!e.agreement_id) return '';
  const a = dir.byAgreement.get(e.agreement_id);
  return el('a', { href: `#/agreement/${e.agreement_id}` }, a ? contactName(a) : t('console.audit.an_agreement'));
}

export async function auditView(ctx, caseId) {
  const [data, verify, dir] = await Promise.all([api.get(`/api/audit?case=${caseId}`), verifyBlock(), directory()]);
  const zone = zoneOf(dir, { caseId });
  const kase = dir.byCase.get(caseId);
  const entries = api.listOf(data, 'entries');
  const rows = entries.map((e) => el('tr', { 'data-testid': `audit-${e.seq}`, 'data-kind': e.kind },
    el('td', { class: 'num' }, String(e.seq)),
    el('td', {}, when(e.at, zone)),
    el('td', {}, actorText(e)),
    el('td', {}, kindWord(e.kind)),
    el('td', {}, agreementCell(e, dir)),
    el('td', { class: 'detail', 'data-testid': 'audit-detail' }, auditSentence(e, dir, zone))));
  const heads = [t('console.audit.col_seq'), t('console.audit.col_when'), t('console.audit.col_who'), t('console.audit.col_what'),
    t('console.audit.col_agreement'), t('console.audit.col_details')];
  return el('section', { class: 'page', 'data-testid': 'audit-page' },
    crumbs([t('console.caseload.title'), '#/cases'], [kase ? kase.name : t('console.person.unknown'), `#/case/${caseId}`], t('console.case.audit')),
    el('h1', {}, kase ? t('console.audit.title_of', { child: kase.name }) : t('console.case.audit')),
    el('p', { class: 'muted', 'data-testid': 'audit-zone' }, zoneLine(zone)),
    verify,
    rows.length ? el('table', { class: 'list card audit' },
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))
      : el('p', { class: 'muted', 'data-testid': 'audit-empty' }, t('console.audit.empty')),
    el('p', { class: 'no-print' }, el('button', { type: 'button', class: 'button quiet', onclick: () => window.print() }, t('console.print'))));
}

/** For operators: only the chain check. */
export async function verifyView() {
  return el('section', { class: 'page', 'data-testid': 'verify-page' }, el('h1', {}, t('console.audit.chain')), await verifyBlock());
}
