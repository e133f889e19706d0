// Contact list: one big round picture per person, who they are to the child first and large ("Dad"), the name under
// it, and in a few words whether you can write now.

import { el, avatar, formatNextAt, icon } from './util.js';
import { canWrite } from './store.js';
import { t } from './i18n.js';
import { textStatus } from './words.js';

/** Render all contacts into #contact-list; onOpen(agreement_id) opens a chat. */
export function renderContacts(store, onOpen) {
  const list = document.querySelector('#contact-list');
  const empty = document.querySelector('#contacts-empty');
  const items = [...store.contacts.values()].sort(byReachable);
  list.replaceChildren(...items.map((c) => contactItem(c, store.me, onOpen)));
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

function contactItem(c, me, onOpen) {
  const ok = canWrite(c);
  const name = c.peer.display_name || '?';
  const rel = relationshipOf(c);
  const statusText = textStatus(c, me);
  const next = ok ? '' : formatNextAt(c.text && c.text.next_at);
  const badge = c.unread > 0
    ? el('span', { class: 'badge', 'data-testid': 'unread-badge', 'aria-hidden': 'true' }, String(c.unread))
    : null;
  const button = el('button', {
    type: 'button',
    class: `contact ${ok ? 'can-write' : 'cannot-write'}`,
    'data-testid': `contact-${c.agreement_id}`,
    'data-agreement-id': c.agreement_id,
    'data-name': name,
    'data-can-write': ok ? 'yes' : 'no',
    onclick: () => onOpen(c.agreement_id),
  },
  el('span', { class: 'avatar-wrap' }, avatar(c.peer, 'big'), badge),
  el('span', { class: 'contact-text' },
    el('span', { class: 'contact-name', 'data-testid': 'contact-title' }, rel || name),
    rel ? el('span', { class: 'contact-fullname' }, name) : null,
    el('span', { class: 'contact-status', 'data-testid': 'contact-status', 'data-reason': (c.text && c.text.reason) || '' },
      ok ? el('span', { class: 'dot dot-ok', 'aria-hidden': 'true' }) : icon('lock'),
      el('span', { class: 'status-words' }, statusText,
        next ? el('span', { class: 'next-at' }, ` ${next}`) : null)),
    c.unread ? el('span', { class: 'visually-hidden' }, t('contacts.unread', { count: c.unread })) : null));
  return el('li', {}, button);
}

/** The relationship names the contact ("Dad"), so it is shown only when the peer is not the child. */
export function relationshipOf(c) {
  if (!c || !c.relationship || !c.peer || c.peer.role === 'child') return '';
  return c.relationship !== c.peer.display_name ? c.relationship : '';
}
