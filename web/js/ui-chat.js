// Chat view: bubbles (mine right, theirs left), ✓/✓✓ receipts, older history on scroll, send box.

import { el, avatar, formatTime, formatNextAt, icon } from './util.js';
import { conv, isMine, receiptOf, sortedMessages, canWrite } from './store.js';
import { relationshipOf } from './ui-contacts.js';
import { canCall, canCallNow } from './call.js';
import { attachmentView, openViewer } from './media-view.js';
import { pendingMediaBubble, pendingMediaSig } from './media-send.js';
import { renderAttach } from './media-compose.js';
import { renderGalleryButton } from './ui-gallery.js';

const $ = (sel) => document.querySelector(sel);
const RETRYABLE = new Set(['store_unavailable', 'internal', 'offline']);

/**
 * Wire the chat controls once. handlers: onBack(), onSend(text), onOlder(), onRetry(key), onPause(), onCall().
 */
export function initChat(handlers) {
  $('#chat-back').addEventListener('click', handlers.onBack);
  $('#chat-pause').addEventListener('click', handlers.onPause);
  $('#chat-call').addEventListener('click', handlers.onCall);
  $('#chat-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('#chat-input');
    const text = input.value;
    if (!text.trim() || $('#chat-send').disabled) return;
    input.value = '';
    handlers.onSend(text);
    input.focus();
  });
  $('#chat-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $('#chat-form').requestSubmit();
    }
  });
  $('#chat-log').addEventListener('scroll', () => {
    if ($('#chat-log').scrollTop < 60) handlers.onOlder();
  });
  $('#chat-log').addEventListener('click', (ev) => {
    const retry = ev.target.closest('[data-retry]');
    if (retry) handlers.onRetry(retry.dataset.retry);
    if (ev.target.closest('[data-testid="load-older"]')) handlers.onOlder();
    if (ev.target.closest('[data-callback]')) handlers.onCall();
  });
}

/** Render the open chat. mode: 'bottom' (scroll down), 'older' (keep place after prepend), 'keep'. */
export function renderChat(store, aid, mode = 'keep') {
  const contact = store.contacts.get(aid) || null;
  renderHeader(contact, aid);
  renderLog(store, aid, contact, mode);
  renderSendBox(store, aid, contact);
  renderAttach(contact);
  renderGalleryButton(contact);
}

function renderHeader(contact, aid) {
  const peer = contact ? contact.peer : { id: 0, display_name: 'Chat', initials: '?' };
  const relText = relationshipOf(contact);
  const rel = relText ? el('span', { class: 'chat-rel' }, relText) : null;
  $('#chat-peer').replaceChildren(
    avatar(peer, 'small'),
    el('span', { class: 'chat-title' },
      el('span', { class: 'chat-name', 'data-testid': 'chat-name', id: 'chat-name' }, peer.display_name), rel));
  $('#view-chat').dataset.agreementId = String(aid);
  renderPauseButton(contact);
  $('#chat-call').hidden = !canCall(contact);
}

/** Only the child can pause one person (and turn them back on); a carer's pause is not the child's to lift. */
function renderPauseButton(contact) {
  const button = $('#chat-pause');
  const isChild = contact && contact.peer && contact.peer.role !== 'child';
  const pause = contact && contact.paused;
  const canToggle = isChild && contact.status === 'active' && (!pause || pause.by === 'child');
  button.hidden = !canToggle;
  if (!canToggle) return;
  const paused = !!pause;
  button.dataset.paused = paused ? 'yes' : 'no';
  button.textContent = paused ? 'Turn back on' : 'Pause';
  button.setAttribute('aria-label', paused ? 'Turn contact back on' : 'Pause contact with this person');
}

function renderLog(store, aid, contact, mode) {
  const log = $('#chat-log');
  const fromBottom = log.scrollHeight - log.scrollTop - log.clientHeight;
  const c = conv(store, aid);
  const items = [{ key: `t:${aid}`, sig: topSig(c, contact), build: () => topLine(c, contact) }];
  const msgs = sortedMessages(store, aid);
  const lastCall = msgs.filter((m) => m.kind === 'call').pop();
  for (const m of msgs) {
    if (m.kind === 'call') {
      const callBack = m === lastCall && canCallNow(contact);
      items.push({ key: `m:${aid}:${m.seq}`, sig: `call:${callBack}`, build: () => callRecord(store, contact, m, callBack) });
      continue;
    }
    if (m.kind && !m.attachment) continue; // a record kind this app does not know yet
    const state = isMine(store, m) ? receiptOf(contact, m.seq) : '';
    items.push({ key: `m:${aid}:${m.seq}`, sig: state, build: () => bubble(store, contact, m) });
  }
  for (const p of c.pending) {
    if (p.media) {
      items.push({ key: `p:${p.key}`, sig: pendingMediaSig(p), build: () => pendingMediaBubble(p) });
      continue;
    }
    items.push({ key: `p:${p.key}`, sig: `${p.state}:${p.error ? p.error.code : ''}`, build: () => pendingBubble(p) });
  }
  patchList(log, items);
  if (mode === 'older') log.scrollTop = log.scrollHeight - log.clientHeight - fromBottom;
  else if (mode === 'bottom' || fromBottom < 80) log.scrollTop = log.scrollHeight;
}

/**
 * Update the list with as few DOM changes as possible: a node is rebuilt only when its
 * signature changed, and appending a message only appends (so screen readers announce just it).
 */
function patchList(parent, items) {
  const existing = new Map([...parent.children].map((n) => [n.dataset.k, n]));
  const nodes = items.map((it) => {
    const old = existing.get(it.key);
    if (old && old.dataset.sig === it.sig) return old;
    const node = it.build();
    node.dataset.k = it.key;
    node.dataset.sig = it.sig;
    return node;
  });
  const keep = new Set(nodes);
  for (const n of [...parent.children]) if (!keep.has(n)) n.remove();
  let cursor = parent.firstElementChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      parent.insertBefore(node, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

function topSig(c, contact) {
  return [c.historyError ? c.historyError.code : '', c.loading, c.more, c.msgs.size === 0 && c.pending.length === 0,
    canWrite(contact)].join('|');
}

function topLine(c, contact) {
  if (c.historyError) {
    return el('li', { class: 'log-note error', 'data-testid': 'history-error', 'data-code': c.historyError.code },
      c.historyError.message);
  }
  if (c.loading) return el('li', { class: 'log-note', 'data-testid': 'history-loading' }, 'Loading…');
  if (c.more) {
    return el('li', { class: 'log-note' },
      el('button', { type: 'button', class: 'link-button', 'data-testid': 'load-older' }, 'Show older messages'));
  }
  if (c.msgs.size === 0 && c.pending.length === 0) {
    return el('li', { class: 'log-note', 'data-testid': 'chat-empty' },
      canWrite(contact) ? 'No messages yet. Say hello!' : 'No messages yet.');
  }
  return el('li', { class: 'log-note', 'data-testid': 'history-start' }, 'This is the start of your chat.');
}

function bubble(store, contact, m) {
  const mine = isMine(store, m);
  const state = mine ? receiptOf(contact, m.seq) : null;
  return el('li', {
    class: `bubble ${mine ? 'mine' : 'theirs'}${m.attachment ? ' media-bubble' : ''}`,
    'data-testid': 'bubble', 'data-seq': m.seq, 'data-mine': mine ? 'yes' : 'no',
    'data-kind': m.attachment ? m.attachment.kind : null,
  },
  m.attachment ? attachmentView(m.attachment, openViewer) : null,
  m.text ? el('span', { class: 'bubble-text' }, m.text) : null,
  el('span', { class: 'bubble-meta' },
    el('time', { datetime: new Date(m.sent_at).toISOString() }, formatTime(m.sent_at)),
    mine ? receiptMark(state) : null));
}

/** A missed or declined call, on the side of whoever it concerns, with "Call back" while calling is allowed. */
function callRecord(store, contact, m, callBack) {
  const mine = isMine(store, m); // I made the call
  const who = relationshipOf(contact) || (contact && contact.peer && contact.peer.display_name) || '';
  const declined = m.call.outcome === 'declined';
  let words;
  if (mine) words = declined ? `${who} could not take the call` : `${who} did not answer`;
  else words = declined ? `You did not take a call from ${who}` : `Missed call from ${who}`;
  const button = callBack
    ? el('button', { type: 'button', class: 'call-back', 'data-callback': '1', 'data-testid': 'call-back' },
      mine ? 'Call again' : 'Call back')
    : null;
  return el('li', {
    class: 'log-call', 'data-testid': 'call-record', 'data-outcome': m.call.outcome, 'data-mine': mine ? 'yes' : 'no',
  },
  icon(m.call.channel === 'video_call' ? 'video' : 'phone'),
  el('span', { class: 'log-call-text' }, words, ', ',
    el('time', { datetime: new Date(m.sent_at).toISOString() }, formatTime(m.sent_at))),
  button);
}

function receiptMark(state) {
  const marks = { read: '✓✓', delivered: '✓', sent: '' };
  const words = { read: 'Read', delivered: 'Delivered', sent: 'Sent' };
  return el('span', {
    class: `receipt receipt-${state}`, 'data-testid': 'receipt', 'data-state': state,
    'aria-label': words[state], title: words[state],
  }, marks[state]);
}

function pendingBubble(p) {
  if (p.state === 'held' || p.state === 'rejected') {
    const held = p.state === 'held';
    return el('li', {
      class: `bubble mine ${held ? 'held' : 'failed'}`,
      'data-testid': 'bubble', 'data-pending': p.state, 'data-key': p.key, 'data-mine': 'yes',
    },
    el('span', { class: 'bubble-text' }, p.text),
    el('span', { class: 'bubble-meta' }, held ? (p.note || 'A grown-up checks this first.') : 'Not delivered'));
  }
  const failed = p.state === 'failed';
  const retry = failed && p.error && RETRYABLE.has(p.error.code)
    ? el('button', { type: 'button', class: 'link-button', 'data-retry': p.key, 'data-testid': 'retry-send' }, 'Try again')
    : null;
  return el('li', {
    class: `bubble mine ${failed ? 'failed' : 'sending'}`,
    'data-testid': 'bubble', 'data-pending': p.state, 'data-key': p.key, 'data-mine': 'yes',
  },
  el('span', { class: 'bubble-text' }, p.text),
  el('span', { class: 'bubble-meta' }, failed ? 'Not sent' : 'Sending…', retry));
}

function renderSendBox(store, aid, contact) {
  const c = conv(store, aid);
  const ok = canWrite(contact);
  const input = $('#chat-input');
  const send = $('#chat-send');
  input.disabled = !ok;
  send.disabled = !ok;
  input.placeholder = ok ? 'Write here' : 'You cannot write now';
  const reason = $('#chat-reason');
  if (ok) {
    reason.hidden = true;
    reason.replaceChildren();
  } else {
    const text = contact.text || {};
    const next = formatNextAt(text.next_at);
    reason.hidden = false;
    reason.dataset.reason = text.reason || '';
    reason.replaceChildren(icon('lock'),
      el('span', {}, text.message || 'You cannot write now.', next ? ` ${next}` : ''));
  }
  // A refused send is shown here, unless the reason line above already says the same thing.
  const notice = $('#chat-notice');
  const sameAsReason = !ok && c.notice && c.notice.code === (contact.text && contact.text.reason);
  const show = !!c.notice && !sameAsReason;
  notice.hidden = !show;
  notice.dataset.code = show ? c.notice.code : '';
  notice.textContent = show ? c.notice.message : '';
}
