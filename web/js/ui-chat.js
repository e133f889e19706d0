// Chat view: bubbles (mine right, theirs left), ✓/✓✓ receipts, older history on scroll, send box.

import { el, avatar, formatTime, formatNextAt, icon } from './util.js';
import { conv, isMine, receiptOf, sortedMessages, canWrite } from './store.js';
import { relationshipOf } from './ui-contacts.js';
import { canCallNow } from './call.js';
import { t } from './i18n.js';
import { personLabel, reasonWords } from './words.js';
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
  renderHeader(contact, aid, store.me);
  renderLog(store, aid, contact, mode);
  renderSendBox(store, aid, contact);
  renderAttach(contact);
  renderGalleryButton(contact);
}

function renderHeader(contact, aid, me) {
  const peer = contact ? contact.peer : { id: 0, display_name: t('chat.title'), initials: '?' };
  const relText = relationshipOf(contact);
  const full = relText ? el('span', { class: 'chat-fullname' }, peer.display_name) : null;
  $('#chat-peer').replaceChildren(
    avatar(peer, 'small'),
    el('span', { class: 'chat-title' },
      el('span', { class: 'chat-name', 'data-testid': 'chat-name', id: 'chat-name' }, relText || peer.display_name), full));
  $('#view-chat').dataset.agreementId = String(aid);
  renderPauseButton(contact, me);
  // No Call button for someone who cannot be called now: the reason line says why and when.
  const call = $('#chat-call');
  call.hidden = !canCallNow(contact);
  call.setAttribute('aria-label', t('chat.call_label', { name: personLabel(contact) }));
}

/** Only the child can pause one person (and turn them back on); a carer's pause is not the child's to lift. */
function renderPauseButton(contact, me) {
  const button = $('#chat-pause');
  const isChild = me && me.role === 'child' && contact && contact.peer && contact.peer.role !== 'child';
  const pause = contact && contact.paused;
  const canToggle = isChild && contact.status === 'active' && (!pause || pause.by === 'child');
  button.hidden = !canToggle;
  if (!canToggle) return;
  const paused = !!pause;
  const name = personLabel(contact);
  button.dataset.paused = paused ? 'yes' : 'no';
  button.replaceChildren(icon(paused ? 'play' : 'pause'),
    el('span', {}, paused ? t('pause.resume_button', { name }) : t('pause.button', { name })));
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
      c.historyError.message || t('common.failed'));
  }
  if (c.loading) return el('li', { class: 'log-note', 'data-testid': 'history-loading' }, t('chat.loading'));
  if (c.more) {
    return el('li', { class: 'log-note' },
      el('button', { type: 'button', class: 'link-button', 'data-testid': 'load-older' }, t('chat.older')));
  }
  if (c.msgs.size === 0 && c.pending.length === 0) {
    return el('li', { class: 'log-note', 'data-testid': 'chat-empty' },
      canWrite(contact) ? t('chat.empty_hello') : t('chat.empty'));
  }
  return el('li', { class: 'log-note', 'data-testid': 'history-start' }, t('chat.start'));
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
  const name = personLabel(contact);
  const time = formatTime(m.sent_at);
  const declined = m.call.outcome === 'declined';
  let words;
  if (mine) words = declined ? t('chat.call_declined_mine', { name, time }) : t('chat.call_missed_mine', { name, time });
  else words = declined ? t('chat.call_declined_theirs', { name, time }) : t('chat.call_missed_theirs', { name, time });
  const button = callBack
    ? el('button', { type: 'button', class: 'call-back', 'data-callback': '1', 'data-testid': 'call-back' },
      mine ? t('chat.call_again') : t('chat.call_back'))
    : null;
  return el('li', {
    class: 'log-call', 'data-testid': 'call-record', 'data-outcome': m.call.outcome, 'data-mine': mine ? 'yes' : 'no',
  },
  icon(m.call.channel === 'video_call' ? 'video' : 'phone'),
  el('span', { class: 'log-call-text' }, words), button);
}

function receiptMark(state) {
  const marks = { read: '✓✓', delivered: '✓', sent: '' };
  const words = { read: t('chat.receipt_read'), delivered: t('chat.receipt_delivered'), sent: t('chat.receipt_sent') };
  return el('span', {
    class: `receipt receipt-${state}`, 'data-testid': 'receipt', 'data-state': state, title: words[state],
  }, el('span', { 'aria-hidden': 'true' }, marks[state]), el('span', { class: 'visually-hidden' }, words[state]));
}

function pendingBubble(p) {
  if (p.state === 'held' || p.state === 'rejected') {
    const held = p.state === 'held';
    return el('li', {
      class: `bubble mine ${held ? 'held' : 'failed'}`,
      'data-testid': 'bubble', 'data-pending': p.state, 'data-key': p.key, 'data-mine': 'yes',
    },
    el('span', { class: 'bubble-text' }, p.text),
    el('span', { class: 'bubble-meta' }, held ? t('chat.held') : t('chat.rejected')));
  }
  const failed = p.state === 'failed';
  const retry = failed && p.error && RETRYABLE.has(p.error.code)
    ? el('button', { type: 'button', class: 'link-button', 'data-retry': p.key, 'data-testid': 'retry-send' }, t('common.retry'))
    : null;
  return el('li', {
    class: `bubble mine ${failed ? 'failed' : 'sending'}`,
    'data-testid': 'bubble', 'data-pending': p.state, 'data-key': p.key, 'data-mine': 'yes',
  },
  el('span', { class: 'bubble-text' }, p.text),
  el('span', { class: 'bubble-meta' }, failed ? t('chat.not_sent') : t('chat.sending'), retry));
}

function renderSendBox(store, aid, contact) {
  const c = conv(store, aid);
  const ok = canWrite(contact);
  const input = $('#chat-input');
  const send = $('#chat-send');
  input.disabled = !ok;
  send.disabled = !ok;
  input.placeholder = ok ? t('chat.placeholder') : t('contacts.cannot_write');
  const reason = $('#chat-reason');
  if (ok) {
    reason.hidden = true;
    reason.replaceChildren();
  } else {
    const text = contact.text || {};
    const next = formatNextAt(text.next_at);
    reason.hidden = false;
    reason.dataset.reason = text.reason || '';
    const words = reasonWords(text.reason, contact, store.me, text.message || t('contacts.cannot_write'));
    reason.replaceChildren(icon('lock'), el('span', {}, words, next ? ` ${next}` : ''));
  }
  // A refused send is shown here, unless the reason line above already says the same thing.
  const notice = $('#chat-notice');
  const sameAsReason = !ok && c.notice && c.notice.code === (contact.text && contact.text.reason);
  const show = !!c.notice && !sameAsReason;
  notice.hidden = !show;
  notice.dataset.code = show ? c.notice.code : '';
  notice.textContent = show ? reasonWords(c.notice.code, contact, store.me, c.notice.message || t('common.failed')) : '';
}
