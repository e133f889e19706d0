// Inboxes: proposals waiting for my approval, pause notices, and messages held for review. Times in the child's
// zone, people and agreements by name.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, who, note, busy, newId, when, roleWord } from './dom.js';
import { termsSummary, termsDiff } from './terms-form.js';
import { directory, zoneOf, personName } from './directory.js';

/** Approve/reject controls for one proposal, with an optional note; onDone runs after a decision. */
export function decisionForm(proposal, onDone) {
  const noteId = newId('note');
  const text = el('textarea', { id: noteId, rows: '2', 'data-testid': 'approval-note', placeholder: t('console.inbox.optional') });
  const out = el('div', {});
  const decide = (what, button) => busy(button, out, async () => {
    await api.post(`/api/proposals/${proposal.id}/${what}`, text.value.trim() ? { note: text.value.trim() } : {});
    out.replaceChildren(note('ok', what === 'approve' ? t('console.inbox.approved') : t('console.inbox.rejected'), 'decision-done'));
    if (onDone) await onDone(what);
  });
  const approve = el('button', { type: 'button', class: 'primary-button', 'data-testid': 'approve' }, t('console.inbox.approve'));
  const reject = el('button', { type: 'button', class: 'danger-button', 'data-testid': 'reject' }, t('console.inbox.reject'));
  approve.addEventListener('click', () => decide('approve', approve));
  reject.addEventListener('click', () => decide('reject', reject));
  return el('div', { class: 'decision no-print' },
    el('label', { for: noteId }, t('console.inbox.note_label')), text,
    el('p', { class: 'actions' }, approve, reject), out);
}

/** Who has approved so far, from the proposal's approvals list. */
export function approvalsList(p, zone) {
  const list = p.approvals || [];
  if (!list.length) return null;
  return el('ul', { class: 'approvals', 'data-testid': 'approvals-so-far' }, list.map((a) => el('li', {},
    t('console.inbox.decided_by', { decision: a.decision === 'reject' ? 'reject' : 'approve', name: who(a.account || a.by || a), role: roleWord(a.role) }),
    ' ', when(a.at, zone), a.note ? [' — ', t('console.inbox.quoted', { text: a.note })] : null)));
}

function isChange(p) {
  const status = p.agreement_status || (p.agreement && p.agreement.status);
  return !(p.kind === 'new' || status === 'pending');
}

function proposalTitle(p, dir) {
  const known = dir.byAgreement.get(p.agreement_id);
  const contact = p.contact ? who(p.contact) : (known ? who(known.contact) : t('console.person.unknown'));
  const child = p.child ? who(p.child) : (known ? who(known.child) : '');
  const rel = p.relationship || (known && known.relationship) || '';
  return t('console.inbox.proposal_title', { kind: isChange(p) ? 'change' : 'new', child, contact, relationship: rel, has_rel: rel ? 'yes' : 'no' });
}

export async function approvalsView(ctx) {
  const [items, dir] = await Promise.all([api.get('/api/approvals').then((d) => api.listOf(d, 'approvals')), directory()]);
  const list = items.map((p) => {
    const zone = p.time_zone || zoneOf(dir, { agreementId: p.agreement_id });
    return el('article', { class: 'card inbox-item', 'data-testid': `approval-${p.id}`, 'data-agreement-id': p.agreement_id,
      'data-contact': (p.contact && p.contact.username) || '' },
    el('h2', {}, proposalTitle(p, dir)),
    el('p', { class: 'muted' }, t('console.inbox.proposed_by', { name: who(p.proposed_by), role: p.proposed_role ? roleWord(p.proposed_role) : '' }), ' ',
      when(p.created_at || p.at, zone), ' · ', el('a', { href: `#/agreement/${p.agreement_id}` }, t('console.inbox.open_agreement'))),
    isChange(p) && p.current_terms ? [el('h3', {}, t('console.inbox.what_changes')), termsDiff(p.current_terms, p.terms, zone),
      el('details', {}, el('summary', {}, t('console.inbox.all_terms')), termsSummary(p.terms, zone))]
      : (p.terms ? termsSummary(p.terms, zone) : null),
    approvalsList(p, zone),
    decisionForm(p, async () => { ctx.refreshCounts(); }));
  });
  return el('section', { class: 'page', 'data-testid': 'approvals-page' },
    el('h1', {}, t('console.inbox.approvals_title')),
    list.length ? list : el('p', { class: 'muted', 'data-testid': 'approvals-empty' }, t('console.inbox.approvals_empty')));
}

/** A notice as a sentence: who paused or resumed, why, until when (in the child's zone). */
function noticeText(n, dir, zone) {
  const d = n.detail && typeof n.detail === 'object' ? n.detail : {};
  const by = typeof d.by === 'number' ? personName(dir, d.by) : (d.by || null);
  const base = t('console.notice.sentence', {
    kind: ['pause', 'resume'].includes(n.kind) ? n.kind : 'other', role: roleWord(d.by_role || ''), name: by || '', has_name: by ? 'yes' : 'no',
  });
  return [base, d.reason ? [' ', t('console.notice.reason', { reason: d.reason })] : null,
    d.expires_at ? [' ', t('console.notice.until'), ' ', when(d.expires_at, zone)] : null];
}

function whereLink(n, dir) {
  const a = n.agreement_id && dir.byAgreement.get(n.agreement_id);
  if (a) {
    return el('a', { href: `#/agreement/${a.id}` }, t('console.notice.where', { child: who(a.child), contact: who(a.contact), relationship: a.relationship, has_rel: a.relationship ? 'yes' : 'no' }));
  }
  const c = dir.byCase.get(n.case_id);
  return el('a', { href: `#/case/${n.case_id}` }, c ? c.name : t('console.person.unknown'));
}

function markRead(ctx, n, out) {
  const mark = el('button', { type: 'button', class: 'small-button', 'data-testid': 'notice-mark-read' }, t('console.notice.mark_read'));
  mark.addEventListener('click', () => busy(mark, out, async () => {
    await api.post(`/api/notices/${n.id}/read`, {});
    const row = mark.closest('tr');
    row.classList.remove('unread');
    row.dataset.read = 'yes';
    mark.replaceWith(el('span', { class: 'muted', 'data-testid': 'notice-read' }, t('console.notice.read')));
    ctx.refreshCounts();
  }));
  return mark;
}

export async function noticesView(ctx) {
  const [items, dir] = await Promise.all([api.get('/api/notices').then((d) => api.listOf(d, 'notices')), directory()]);
  const rows = items.map((n) => {
    const out = el('span', {});
    const zone = zoneOf(dir, { agreementId: n.agreement_id, caseId: n.case_id });
    const mark = n.read ? el('span', { class: 'muted', 'data-testid': 'notice-read' }, t('console.notice.read')) : markRead(ctx, n, out);
    return el('tr', { class: n.read ? '' : 'unread', 'data-testid': `notice-${n.id}`, 'data-read': n.read ? 'yes' : 'no', 'data-kind': n.kind },
      el('td', {}, when(n.at, zone)),
      el('td', {}, noticeText(n, dir, zone)),
      el('td', {}, whereLink(n, dir)),
      el('td', {}, mark, out));
  });
  return el('section', { class: 'page', 'data-testid': 'notices-page' },
    el('h1', {}, t('console.notice.title')),
    rows.length ? el('table', { class: 'list card' },
      el('thead', {}, el('tr', {}, [t('console.notice.col_when'), t('console.notice.col_what'), t('console.notice.col_where'), t('console.notice.col_state')]
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))
      : el('p', { class: 'muted', 'data-testid': 'notices-empty' }, t('console.notice.empty')));
}

// i18n-prefix: console.held.reason.
const reasonText = (r) => {
  const key = `console.held.reason.${r}`;
  const text = t(key);
  return text === key ? t('console.held.reason.other') : text;
};

function heldItem(m, dir) {
  const out = el('div', {});
  const zone = zoneOf(dir, { agreementId: m.agreement_id });
  const act = (what, button) => busy(button, out, async () => {
    await api.post(`/api/messages/held/${m.id}/${what}`, {});
    button.closest('article').dataset.state = what === 'release' ? 'released' : 'rejected';
    button.closest('.actions').replaceWith(note('ok', what === 'release' ? t('console.held.released') : t('console.held.rejected'), 'held-done'));
  });
  const release = el('button', { type: 'button', class: 'primary-button', 'data-testid': 'held-release' }, t('console.held.release'));
  const reject = el('button', { type: 'button', class: 'danger-button', 'data-testid': 'held-reject' }, t('console.held.reject'));
  release.addEventListener('click', () => act('release', release));
  reject.addEventListener('click', () => act('reject', reject));
  return el('article', { class: 'card inbox-item', 'data-testid': `held-${m.id}`, 'data-agreement-id': m.agreement_id, 'data-state': 'held' },
    el('p', { class: 'muted' }, t('console.held.from_to', { from: who(m.from), to: who(m.to) }), ' ', when(m.sent_at, zone), ' · ',
      el('a', { href: `#/agreement/${m.agreement_id}` }, t('console.inbox.open_agreement')), ' · ', t('console.held.because', { reason: reasonText(m.reason) })),
    el('blockquote', { class: 'held-text' }, m.text || m.body || ''),
    el('p', { class: 'actions' }, release, reject), out);
}

export async function heldView() {
  let items;
  try {
    items = api.listOf(await api.get('/api/messages/held'), 'messages');
  } catch (err) {
    if (err.status === 404) { // no such endpoint on this server (yet)
      return el('section', { class: 'page', 'data-testid': 'held-page' }, el('h1', {}, t('console.held.title')),
        el('p', { class: 'muted', 'data-testid': 'held-unavailable' }, t('console.held.unavailable')));
    }
    throw err;
  }
  const dir = await directory();
  const list = items.map((m) => heldItem(m, dir));
  return el('section', { class: 'page', 'data-testid': 'held-page' },
    el('h1', {}, t('console.held.title')),
    list.length ? list : el('p', { class: 'muted', 'data-testid': 'held-empty' }, t('console.held.empty')));
}
