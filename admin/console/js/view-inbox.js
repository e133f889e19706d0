// Inboxes: proposals waiting for my approval and pause notices (messages held for review: view-held.js).

import * as api from './api.js';
import { el, fmtDateTime, who, note, busy, newId } from './dom.js';
import { termsSummary, termsDiff } from './terms-form.js';

/** Approve/reject controls for one proposal, with an optional note; onDone runs after a decision. */
export function decisionForm(proposal, onDone) {
  const noteId = newId('note');
  const text = el('textarea', { id: noteId, rows: '2', 'data-testid': 'approval-note', placeholder: 'Optional' });
  const out = el('div', {});
  const decide = (what, button) => busy(button, out, async () => {
    await api.post(`/api/proposals/${proposal.id}/${what}`, text.value.trim() ? { note: text.value.trim() } : {});
    out.replaceChildren(note('ok', what === 'approve' ? 'Approved.' : 'Rejected.', 'decision-done'));
    if (onDone) await onDone(what);
  });
  const approve = el('button', { type: 'button', class: 'primary-button', 'data-testid': 'approve' }, 'Approve');
  const reject = el('button', { type: 'button', class: 'danger-button', 'data-testid': 'reject' }, 'Reject');
  approve.addEventListener('click', () => decide('approve', approve));
  reject.addEventListener('click', () => decide('reject', reject));
  return el('div', { class: 'decision no-print' },
    el('label', { for: noteId }, 'Note (kept with your decision)'), text,
    el('p', { class: 'actions' }, approve, reject), out);
}

/** Who has approved so far, from the proposal's approvals list. */
export function approvalsList(p) {
  const list = p.approvals || [];
  if (!list.length) return null;
  return el('ul', { class: 'approvals', 'data-testid': 'approvals-so-far' }, list.map((a) => el('li', {},
    `${a.decision === 'reject' ? 'Rejected' : 'Approved'} by ${who(a.account || a.by || a.account_id)} (${a.role}), ${fmtDateTime(a.at)}`,
    a.note ? ` — “${a.note}”` : '')));
}

function isChange(p) {
  const status = p.agreement_status || (p.agreement && p.agreement.status);
  return !(p.kind === 'new' || status === 'pending');
}

function proposalTitle(p) {
  const child = p.child ? who(p.child) : null;
  const contact = p.contact ? who(p.contact) : `agreement ${p.agreement_id}`;
  const what = isChange(p) ? 'Change of terms' : 'New agreement';
  return `${what}: ${child ? `${child} and ` : ''}${contact}${p.relationship ? ` (${p.relationship})` : ''}`;
}

export async function approvalsView(ctx) {
  const items = api.listOf(await api.get('/api/approvals'), 'approvals');
  const list = items.map((p) => el('article', { class: 'card inbox-item', 'data-testid': `approval-${p.id}`, 'data-agreement-id': p.agreement_id,
    'data-contact': (p.contact && p.contact.username) || '' },
  el('h2', {}, proposalTitle(p)),
  el('p', { class: 'muted' }, `Proposed by ${who(p.proposed_by)}${p.proposed_role ? ` (${p.proposed_role})` : ''}, ${fmtDateTime(p.created_at || p.at)} · `,
    el('a', { href: `#/agreement/${p.agreement_id}` }, 'Open the agreement')),
  isChange(p) && p.current_terms ? [el('h3', {}, 'What changes'), termsDiff(p.current_terms, p.terms, p.time_zone),
    el('details', {}, el('summary', {}, 'All proposed terms'), termsSummary(p.terms, p.time_zone))]
    : (p.terms ? termsSummary(p.terms, p.time_zone) : null),
  approvalsList(p),
  decisionForm(p, async () => { ctx.refreshCounts(); })));
  return el('section', { class: 'page', 'data-testid': 'approvals-page' },
    el('h1', {}, 'Waiting for your approval'),
    list.length ? list : el('p', { class: 'muted', 'data-testid': 'approvals-empty' }, 'Nothing waits for you.'));
}

function noticeText(n) {
  const d = n.detail;
  if (d && typeof d === 'object') {
    const parts = [d.by_role ? `by the ${d.by_role}` : null, d.reason ? `reason: ${d.reason}` : null,
      d.expires_at ? `until ${fmtDateTime(d.expires_at)}` : null].filter(Boolean);
    return parts.length ? parts.join(', ') : JSON.stringify(d);
  }
  return d ? String(d) : '';
}

export async function noticesView(ctx) {
  const items = api.listOf(await api.get('/api/notices'), 'notices');
  const rows = items.map((n) => {
    const out = el('span', {});
    const mark = n.read ? el('span', { class: 'muted', 'data-testid': 'notice-read' }, 'read')
      : el('button', { type: 'button', class: 'small-button', 'data-testid': 'notice-mark-read' }, 'Mark as read');
    if (!n.read) {
      mark.addEventListener('click', () => busy(mark, out, async () => {
        await api.post(`/api/notices/${n.id}/read`, {});
        const row = mark.closest('tr');
        row.classList.remove('unread');
        row.dataset.read = 'yes';
        mark.replaceWith(el('span', { class: 'muted', 'data-testid': 'notice-read' }, 'read'));
        ctx.refreshCounts();
      }));
    }
    return el('tr', { class: n.read ? '' : 'unread', 'data-testid': `notice-${n.id}`, 'data-read': n.read ? 'yes' : 'no', 'data-kind': n.kind },
      el('td', {}, fmtDateTime(n.at)),
      el('td', {}, n.kind.replace(/_/g, ' ')),
      el('td', {}, noticeText(n)),
      el('td', {}, n.agreement_id ? el('a', { href: `#/agreement/${n.agreement_id}` }, `Agreement ${n.agreement_id}`) : el('a', { href: `#/case/${n.case_id}` }, `Case ${n.case_id}`)),
      el('td', {}, mark, out));
  });
  return el('section', { class: 'page', 'data-testid': 'notices-page' },
    el('h1', {}, 'Notices'),
    rows.length ? el('table', { class: 'list card' },
      el('thead', {}, el('tr', {}, ['When', 'What', 'Details', 'Where', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))
      : el('p', { class: 'muted', 'data-testid': 'notices-empty' }, 'No notices.'));
}
