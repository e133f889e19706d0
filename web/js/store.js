// Client-side state of the family app: contacts, conversations, receipts (no DOM here).

export function createStore() {
  return {
    me: null,              // account from login/resume
    contacts: new Map(),   // agreement_id -> contacts.list entry
    loaded: false,         // contacts.list answered at least once
    convs: new Map(),      // agreement_id -> conversation
    openId: null,          // agreement_id of the open chat, or null
  };
}

/** The conversation record for an agreement, created on first use. */
export function conv(s, aid) {
  let c = s.convs.get(aid);
  if (!c) {
    c = {
      msgs: new Map(),      // seq -> message object
      pending: [],          // sends without an answer: {key, text, state: 'sending'|'failed', error}
      more: null,           // older history exists (null: not asked yet)
      loading: false,       // a msg.history request is in flight
      historyError: null,   // ProtoError from msg.history
      notice: null,         // ProtoError from the last refused send
    };
    s.convs.set(aid, c);
  }
  return c;
}

export function setContacts(s, list) {
  s.contacts.clear();
  for (const entry of list || []) s.contacts.set(entry.agreement_id, normalise(entry));
  s.loaded = true;
}

export function upsertContact(s, entry) {
  const old = s.contacts.get(entry.agreement_id);
  const next = normalise(entry);
  if (old) {
    // Never move our own markers backwards because of an older snapshot.
    next.read_seq = Math.max(next.read_seq, old.read_seq);
    next.peer_delivered_seq = Math.max(next.peer_delivered_seq, old.peer_delivered_seq);
    next.peer_read_seq = Math.max(next.peer_read_seq, old.peer_read_seq);
    next.last_seq = Math.max(next.last_seq, old.last_seq);
  }
  s.contacts.set(entry.agreement_id, next);
}

function normalise(entry) {
  return {
    ...entry,
    peer: entry.peer || { id: 0, display_name: '?' },
    text: entry.text || { verdict: 'deny', reason: 'no_agreement', message: '' },
    last_seq: entry.last_seq || 0,
    read_seq: entry.read_seq || 0,
    unread: entry.unread || 0,
    peer_delivered_seq: entry.peer_delivered_seq || 0,
    peer_read_seq: entry.peer_read_seq || 0,
  };
}

/** Add a message object; returns true when it was new. Counts unread peer messages. */
export function addMessage(s, m) {
  if (!m || !Number.isInteger(m.seq)) return false;
  const c = conv(s, m.agreement_id);
  const isNew = !c.msgs.has(m.seq);
  c.msgs.set(m.seq, m);
  const contact = s.contacts.get(m.agreement_id);
  if (contact && isNew) {
    contact.last_seq = Math.max(contact.last_seq, m.seq);
    if (!isMine(s, m) && m.seq > contact.read_seq && s.openId !== m.agreement_id) contact.unread += 1;
  }
  return isNew;
}

export function addHistory(s, aid, messages, more, older) {
  const c = conv(s, aid);
  for (const m of messages || []) c.msgs.set(m.seq, m);
  if (older || c.more === null) c.more = !!more;
}

export function isMine(s, m) {
  if (!s.me) return false;
  if (m.kind === 'call' && m.call) return m.call.caller === s.me.id; // the server's record of my call
  return m.from === s.me.id;
}

/** Apply a `receipt` event: the peer's marks, or our own from another session. */
export function applyReceipt(s, d) {
  const contact = s.contacts.get(d.agreement_id);
  if (!contact) return;
  const mine = s.me && d.by === s.me.id;
  if (mine) {
    if (d.kind === 'read' && d.seq > contact.read_seq) {
      contact.read_seq = d.seq;
      contact.unread = countUnread(s, d.agreement_id);
    }
    return;
  }
  if (d.kind === 'read') contact.peer_read_seq = Math.max(contact.peer_read_seq, d.seq);
  contact.peer_delivered_seq = Math.max(contact.peer_delivered_seq, d.seq);
}

function countUnread(s, aid) {
  const contact = s.contacts.get(aid);
  let n = 0;
  for (const m of conv(s, aid).msgs.values()) if (!isMine(s, m) && m.seq > contact.read_seq) n += 1;
  return n;
}

/** Highest seq of a peer message we hold in this conversation (0 if none). */
export function lastPeerSeq(s, aid) {
  let max = 0;
  for (const m of conv(s, aid).msgs.values()) if (!isMine(s, m) && m.seq > max) max = m.seq;
  return max;
}

/** Receipt state of one of my messages: 'read', 'delivered' or 'sent'. */
export function receiptOf(contact, seq) {
  if (!contact) return 'sent';
  if (seq <= contact.peer_read_seq) return 'read';
  if (seq <= contact.peer_delivered_seq) return 'delivered';
  return 'sent';
}

export function sortedMessages(s, aid) {
  return [...conv(s, aid).msgs.values()].sort((a, b) => a.seq - b.seq);
}

/** Can text be sent now? 'hold' is accepted (kept for review), so it counts as yes. */
export function canWrite(contact) {
  if (!contact) return true; // unknown conversation: let the server decide
  const v = contact.text && contact.text.verdict;
  return v === 'allow' || v === 'hold';
}
