// Contact list: one big round picture per person, and in a few words whether you can write now.

import { el, avatar, formatNextAt, icon } from './util.js';
import { canWrite } from './store.js';

/** Render all contacts into #contact-list; onOpen(agreement_id) opens a chat. */
export function renderContacts(store, onOpen) {
  const list = document.querySelector('#contact-list');
  const empty = document.querySelector('#contacts-empty');
  const items = [...store.contacts.values()].sort(byReachable);
  list.replaceChildren(...items.map((c) => contactItem(c, onOpen)));
  empty.hidden = !store.loaded || items.length > 0;
  list.setAttribute('aria-busy', store.loaded ? 'false' : 'true');
}

// People you can write to first, then by name.
function byReachable(a, b) {
  const ra = canWrite(a) ? 0 : 1;
  const rb = canWrite(b) ? 0 : 1;
  if (ra !== rb) return ra - rb;
  return String(a.peer.display_name).localeCompare(String(b.peer.display_name));
}

function contactItem(c, onOpen) {
  const ok = canWrite(c);
  const name = c.peer.display_name || '?';
  const rel = relationshipOf(c);
  const label = rel ? `${name}, ${rel}` : name;
  const statusText = (c.text && c.text.message) || (ok ? 'You can write now.' : 'You cannot write now.');
  const next = ok ? '' : formatNextAt(c.text && c.text.next_at);
  const badge = c.unread > 0
    ? el('span', { class: 'badge', 'data-testid': 'unread-badge', 'aria-label': `${c.unread} new` }, String(c.unread))
    : null;
  const button = el('button', {
    type: 'button',
    class: `contact ${ok ? 'can-write' : 'cannot-write'}`,
    'data-testid': `contact-${c.agreement_id}`,
    'data-agreement-id': c.agreement_id,
    'data-name': name,
    'data-can-write': ok ? 'yes' : 'no',
    'aria-label': `${label}. ${statusText} ${next}${c.unread ? ` ${c.unread} new messages.` : ''}`.trim(),
    onclick: () => onOpen(c.agreement_id),
  },
  el('span', { class: 'avatar-wrap' }, avatar(c.peer, 'big'), badge),
  el('span', { class: 'contact-text' },
    el('span', { class: 'contact-name' }, name),
    rel ? el('span', { class: 'contact-rel' }, rel) : null,
    el('span', { class: 'contact-status', 'data-testid': 'contact-status' },
      ok ? el('span', { class: 'dot dot-ok', 'aria-hidden': 'true' }) : icon('lock'),
      el('span', { class: 'status-words' }, statusText,
        next ? el('span', { class: 'next-at' }, ` ${next}`) : null))));
  return el('li', {}, button);
}

/** The relationship label names the contact ("Dad"), so it is shown only when the peer is not the child. */
export function relationshipOf(c) {
  if (!c || !c.relationship || !c.peer || c.peer.role === 'child') return '';
  return c.relationship !== c.peer.display_name ? c.relationship : '';
}
