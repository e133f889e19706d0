// Words for what the server decided, chosen by stable code and by who reads them: the child reads "You paused Dad"
// or "Your caseworker has stopped contact with Dad for now"; the contact reads only "Mia is not available right now"
// for any pause (never why) and a suspension in words of its own. The server's own `message` is the last resort.

import { t, hasMessage } from './i18n.js';

// i18n-prefix: reason.
// i18n-prefix: reason.child.
// i18n-prefix: reason.contact.

/** Who reads: 'child' or 'contact' (every other role sees the family app as a contact would). */
export function audienceOf(me) {
  return me && me.role === 'child' ? 'child' : 'contact';
}

/** How a person is named to the reader: the relationship for the child ("Dad"), the name for everyone else. */
export function personLabel(contact) {
  if (!contact || !contact.peer) return t('words.someone');
  if (contact.relationship && contact.peer.role !== 'child') return contact.relationship;
  return contact.peer.display_name || t('words.someone');
}

/** The sentence for a refusal or hold `reason` as `me` reads it about `contact`; '' when no words are known. */
export function reasonWords(reason, contact, me, fallback = '') {
  if (!reason) return fallback;
  const args = { name: personLabel(contact) };
  const own = `reason.${audienceOf(me)}.${reason}`;
  if (hasMessage(own)) return t(own, args);
  if (hasMessage(`reason.${reason}`)) return t(`reason.${reason}`, args);
  return fallback;
}

/** The status line of a contact for writing: "You can write now." or why not, in the reader's words. */
export function textStatus(contact, me) {
  const d = (contact && contact.text) || {};
  if (d.verdict === 'allow') return t('contacts.can_write');
  if (d.verdict === 'hold') return t('contacts.can_write_checked');
  return reasonWords(d.reason, contact, me, d.message || t('contacts.cannot_write'));
}
