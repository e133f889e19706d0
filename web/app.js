// Family web app entry: wires the connection, the store and the views; routes #/ and #/chat/ID.

import { Conn, TOKEN_KEY } from './js/conn.js';
import {
  createStore, conv, setContacts, upsertContact, addMessage, addHistory, applyReceipt, lastPeerSeq, isMine,
} from './js/store.js';
import { initLogin, showLoginError, focusLogin } from './js/ui-login.js';
import { renderContacts } from './js/ui-contacts.js';
import { initChat, renderChat } from './js/ui-chat.js';
import { avatar, newClientKey } from './js/util.js';
import { initCall, setCallStore, startCall, onCallEvent, canCallNow, ringingCall } from './js/call.js';
import { initRinging } from './js/ring.js';
import { initNotify, notifyReady, notifySignedOut, noticeMessage, forgetPush } from './js/notify.js';
import { renderGroupCall } from './js/call-supervision.js';
import { initJoin, joinCodeFromHash } from './js/ui-join.js';
import { initPair, openPair, pairCodeFromHash, showLoginNotice } from './js/ui-pair.js';
import { initDevices, showDevices } from './js/ui-devices.js';
import { initI18n, t, onLocaleChange } from './js/i18n.js';
import { initMediaSend, resumeSends } from './js/media-send.js';
import { initCompose } from './js/media-compose.js';
import { initGallery } from './js/ui-gallery.js';
import { mediaSession } from './js/media-view.js';
import { initPhoto, showPhotoTargets, labelMine } from './js/ui-photo.js';
import { mountLanguage, accountLanguage } from './js/ui-language.js';
import { confirmPause, closePauseQuestion } from './js/ui-pause.js';
import { personLabel } from './js/words.js';

const $ = (sel) => document.querySelector(sel);
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const conn = new Conn(wsUrl);
let store = createStore();
const receiptQueue = new Map(); // agreement_id -> {delivered, read} seqs waiting to be sent
let receiptTimer = null;
let showJoin = () => {};   // set by initJoin at boot
let waitingFor = null;     // agreement id of an accepted invitation, until it is approved
let waitingChild = null;   // the child's first name on the waiting screen

// ---- views and routing ----

function show(view) {
  for (const name of ['login', 'pair', 'contacts', 'chat', 'devices', 'wait', 'join', 'waiting']) {
    $(`#view-${name}`).hidden = name !== view;
  }
  document.body.dataset.view = view;
  if (view === 'waiting') renderWaiting();
  $('#me').hidden = view === 'login' || view === 'pair' || view === 'wait' || !store.me;
  $('#devices-open').hidden = !store.me || store.me.role === 'child' || view === 'devices';
  document.title = view === 'chat' ? t('chat.page_title') : 'Samvaer';
  if (view !== 'chat') closePauseQuestion();
}

/** The waiting screen names the child of the invitation when it is known (built here: it follows the language). */
function renderWaiting() {
  $('#waiting-text').textContent = waitingChild ? t('waiting.text_child', { child: waitingChild }) : t('waiting.text');
}

function currentChatId() {
  const m = /^#\/chat\/(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

function route() {
  const joinCode = joinCodeFromHash();
  if (joinCode !== null || location.hash === '#/join') {
    show('join');
    showJoin(joinCode);
    return;
  }
  if (!conn.authed && !store.me) {
    const code = pairCodeFromHash();
    if (code !== null) showPair(code);
    return;
  }
  if (location.hash === '#/waiting') {
    show('waiting');
    return;
  }
  const aid = currentChatId();
  if (aid !== null) openChat(aid);
  else if (location.hash === '#/devices' && store.me.role !== 'child') {
    store.openId = null;
    show('devices');
    showDevices();
    showPhotoTargets();
  } else showContacts();
}

function showPair(code) {
  show('pair');
  openPair(code);
}

function showContacts() {
  store.openId = null;
  show('contacts');
  renderContacts(store, (aid) => { location.hash = `#/chat/${aid}`; });
  renderGroupCall(store, canCallNow);
}

function rerender(mode = 'keep') {
  if (store.openId !== null) renderChat(store, store.openId, mode);
  else if (store.me) {
    renderContacts(store, (aid) => { location.hash = `#/chat/${aid}`; });
    renderGroupCall(store, canCallNow);
  }
}

function setStatus(text) {
  const box = $('#status');
  box.textContent = text;
  box.hidden = !text;
}

// ---- data ----

async function loadContacts() {
  try {
    const result = await conn.request('contacts.list');
    setContacts(store, result.contacts);
    rerender();
    if (store.openId !== null) markRead(store.openId);
  } catch (err) {
    setStatus(err.message);
  }
}

async function loadHistory(aid, older) {
  const c = conv(store, aid);
  if (c.loading || (older && !c.more)) return;
  const params = { agreement_id: aid, limit: 50 };
  if (older) params.before = Math.min(...c.msgs.keys());
  c.loading = true;
  c.historyError = null;
  try {
    const result = await conn.request('msg.history', params);
    addHistory(store, aid, result.messages, result.more, older);
  } catch (err) {
    c.historyError = err;
  } finally {
    c.loading = false;
  }
  if (store.openId === aid) {
    renderChat(store, aid, older ? 'older' : 'bottom');
    markRead(aid);
  }
}

function openChat(aid) {
  store.openId = aid;
  const c = conv(store, aid);
  c.notice = null;
  show('chat');
  renderChat(store, aid, 'bottom');
  loadHistory(aid, false);
  markRead(aid);
  $('#chat-input').focus();
}

async function sendText(aid, text, key = newClientKey()) {
  const c = conv(store, aid);
  let p = c.pending.find((x) => x.key === key);
  if (!p) c.pending.push(p = { key, text, state: 'sending', error: null });
  p.state = 'sending';
  p.error = null;
  c.notice = null;
  if (store.openId === aid) renderChat(store, aid, 'bottom');
  try {
    const r = await conn.request('msg.send', { agreement_id: aid, text, client_key: key });
    if (r.held) {
      // Kept for a grown-up to check; it arrives as a normal message once released.
      p.state = 'held';
      p.holdId = r.hold_id;
      p.note = r.decision && r.decision.message;
    } else {
      c.pending = c.pending.filter((x) => x !== p);
      addMessage(store, { agreement_id: aid, seq: r.seq, from: store.me.id, text, sent_at: r.sent_at });
    }
  } catch (err) {
    p.state = 'failed';
    p.error = err;
    c.notice = err;
    const contact = store.contacts.get(aid);
    if (contact && err.decision) contact.text = { ...err.decision, message: err.message };
  }
  if (store.openId === aid) renderChat(store, aid, 'keep');
}

// ---- receipts ----

function queueReceipt(aid, kind, seq) {
  const q = receiptQueue.get(aid) || { delivered: 0, read: 0 };
  q[kind] = Math.max(q[kind], seq);
  receiptQueue.set(aid, q);
  clearTimeout(receiptTimer);
  receiptTimer = setTimeout(flushReceipts, 50);
}

function flushReceipts() {
  for (const [aid, q] of receiptQueue) {
    // read implies delivered, so one receipt is enough when read covers it
    if (q.read > 0) conn.request('msg.receipt', { agreement_id: aid, kind: 'read', seq: q.read }).catch(() => {});
    if (q.delivered > q.read) {
      conn.request('msg.receipt', { agreement_id: aid, kind: 'delivered', seq: q.delivered }).catch(() => {});
    }
  }
  receiptQueue.clear();
}

/** The chat is open and visible: everything from the peer in it is read. */
function markRead(aid) {
  const contact = store.contacts.get(aid);
  if (!contact || store.openId !== aid || document.visibilityState !== 'visible') return;
  const seq = lastPeerSeq(store, aid);
  if (seq > contact.read_seq) {
    contact.read_seq = seq;
    queueReceipt(aid, 'read', seq);
  }
  contact.unread = 0;
}

// ---- connection events ----

function onServerEvent({ event, data }) {
  if (onCallEvent(event, data)) return;
  if (event === 'message') {
    const isNew = addMessage(store, data);
    if (!isMine(store, data)) {
      queueReceipt(data.agreement_id, 'delivered', data.seq);
      markRead(data.agreement_id);
      if (isNew) noticeMessage(data.agreement_id, personLabel(store.contacts.get(data.agreement_id)));
    }
    if (isNew) rerender();
  } else if (event === 'receipt') {
    applyReceipt(store, data);
    rerender();
  } else if (event === 'contact') {
    upsertContact(store, data);
    const mine = waitingFor === null || data.agreement_id === waitingFor;
    if (location.hash === '#/waiting' && mine && data.status === 'active') {
      waitingFor = null; // approved: the new contact is in the list like any other
      location.hash = '#/';
    }
    rerender();
  } else if (event === 'held') {
    const c = conv(store, data.agreement_id);
    const p = c.pending.find((x) => x.holdId === data.hold_id);
    if (p && data.state === 'released') c.pending = c.pending.filter((x) => x !== p);
    else if (p) p.state = 'rejected';
    rerender();
  }
}

/** The child pauses contact with one person (after saying yes to the question), or turns it back on. */
async function togglePause(aid) {
  const contact = store.contacts.get(aid);
  const pausedByMe = contact && contact.paused && contact.paused.by === 'child';
  if (!pausedByMe && !(await confirmPause(contact))) return;
  if (store.openId !== aid) return;
  try {
    await conn.request(pausedByMe ? 'contact.resume' : 'contact.pause', { agreement_id: aid });
  } catch (err) {
    conv(store, aid).notice = err;
    rerender();
  }
}

function onReady({ account, resumed }) {
  const first = !store.me;
  store.me = account;
  accountLanguage(account);
  $('#me-avatar').replaceChildren(avatar(account, 'small'));
  labelMine(account);
  $('#me-name').textContent = account.display_name || account.username;
  setStatus('');
  showLoginNotice(conn.notice);
  conn.notice = null;
  loadContacts();
  mediaSession(conn.token, true).then(() => resumeSends()); // photos load with the cookie; unfinished sends go on
  notifyReady();
  if (first) {
    if (pairCodeFromHash() !== null) history.replaceState(null, '', '#/');
    route();
  } else if (resumed && store.openId !== null) {
    loadHistory(store.openId, false); // fill anything missed while away
  }
}

function onLoggedOut({ message, code }) {
  store = createStore();
  setCallStore(store);
  notifySignedOut();
  showLoginNotice(null);
  if (code === 'device_invalid') { // a revoked device: only a new code brings it back
    showPair('');
    return;
  }
  show('login');
  showLoginError(message ? t('login.again', { message }) : '');
  focusLogin();
}

function onState({ state }) {
  const words = {
    connecting: conn.token ? t('conn.connecting') : '',
    reconnecting: t('conn.reconnecting'),
    online: '', open: '', offline: '',
  };
  setStatus(words[state] ?? '');
  document.body.dataset.conn = state;
}

// ---- boot ----

async function boot() {
  await initI18n('/i18n/'); // code-built text needs the catalog before the first render
  onLocaleChange(() => { rerender(); renderWaiting(); });
  mountLanguage($('#view-contacts'), conn);
  conn.addEventListener('ready', (e) => onReady(e.detail));
  conn.addEventListener('loggedout', (e) => onLoggedOut(e.detail));
  conn.addEventListener('state', (e) => onState(e.detail));
  conn.addEventListener('event', (e) => onServerEvent(e.detail));
  initCall(conn, store);
  initRinging(ringingCall, (aid) => store.contacts.get(aid));
  initNotify(conn);
  initLogin((username, password) => conn.login(username, password));
  showJoin = initJoin({
    open: (code) => conn.openInvite(code),
    me: () => store.me,
    accept: async (params) => {
      const back = location.hash;
      history.replaceState(null, '', '#/waiting'); // the login this may bring routes to the waiting screen
      try {
        return await conn.acceptInvite(params);
      } catch (err) {
        history.replaceState(null, '', back);
        throw err;
      }
    },
    onJoined: (result, inv) => {
      waitingFor = result.agreement_id;
      waitingChild = (inv && inv.child && inv.child.first_name) || null;
      renderWaiting();
      history.replaceState(null, '', '#/waiting');
      show('waiting');
      loadContacts();
    },
  });
  $('#waiting-contacts').addEventListener('click', () => { location.hash = '#/'; });
  initPair((code, name) => conn.pair(code, name), () => { show('login'); focusLogin(); }, () => showPair(''));
  initDevices(conn, () => { location.hash = '#/'; });
  $('#devices-open').addEventListener('click', () => { location.hash = '#/devices'; });
  initChat({
    onBack: () => { location.hash = '#/'; },
    onSend: (text) => store.openId !== null && sendText(store.openId, text),
    onOlder: () => store.openId !== null && loadHistory(store.openId, true),
    onPause: () => store.openId !== null && togglePause(store.openId),
    onCall: () => store.openId !== null && startCall(store.openId),
    onRetry: (key) => {
      const p = conv(store, store.openId).pending.find((x) => x.key === key);
      if (p) sendText(store.openId, p.text, key);
    },
  });
  initMediaSend(conn, () => store, () => rerender());
  initCompose(() => store.contacts.get(store.openId), () => store.openId);
  initGallery(conn, () => store);
  initPhoto(conn, () => store.me, (photo) => {
    store.me = { ...store.me, photo };
    $('#me-avatar').replaceChildren(avatar(store.me, 'small'));
    labelMine(store.me);
  });
  $('#logout').addEventListener('click', async () => {
    await forgetPush();
    if (conn.credential) { // a paired device logging out gives up its pairing on the server too
      try {
        const { this_device: id } = await conn.request('device.list');
        if (id) await conn.request('device.revoke', { device_id: id });
      } catch (e) { /* logging out anyway */ }
    }
    await conn.logout();
    onLoggedOut({});
    location.hash = '#/';
  });
  window.addEventListener('hashchange', route);
  // The token is shared by every tab (localStorage): when another tab logs out or in, this one starts over with it.
  window.addEventListener('storage', (e) => { if (e.key === TOKEN_KEY || e.key === null) location.reload(); });
  document.addEventListener('visibilitychange', () => store.openId !== null && markRead(store.openId));
  if (conn.canSignIn) {
    show('wait');
    conn.start();
  } else if (joinCodeFromHash() !== null || location.hash === '#/join') {
    route();
  } else if (pairCodeFromHash() !== null) {
    showPair(pairCodeFromHash());
  } else {
    show('login');
    focusLogin();
  }
  document.body.dataset.ready = 'yes';
}

boot(); // it loads the words first (initI18n), then builds the views
