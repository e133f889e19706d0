// System notifications and Web Push for the family app: registers the service worker (web/sw.js), asks for
// permission only when the person taps "Turn on" (never on page load), shows and clears notifications through the
// worker (calls from web/js/ring.js, new messages while the page is hidden: who wrote, never what), and subscribes
// this browser to Web Push with the server's key (push.key, push.subscribe; a server without them is fine).

import { t } from './i18n.js';

const ICON = '/icons/icon-192.png';
const READY_WAIT_MS = 4000;

let conn = null;
const shown = new Map(); // tag -> promise of the showNotification in flight

const supported = () => 'serviceWorker' in navigator && 'Notification' in window;
const $ = (sel) => document.querySelector(sel);

/** The active service worker registration, or null (no worker, or not ready in time). */
async function registration() {
  if (!('serviceWorker' in navigator)) return null;
  const ready = navigator.serviceWorker.ready;
  const late = new Promise((resolve) => setTimeout(() => resolve(null), READY_WAIT_MS));
  return Promise.race([ready, late]);
}

/**
 * Show a system notification (if allowed). tag names it (one per call / per conversation): a newer one with the
 * same tag replaces it. opts: body, url (opened when tapped), requireInteraction, vibrate.
 */
export function showNotice(tag, title, opts = {}) {
  if (!supported() || Notification.permission !== 'granted') return;
  const showing = (async () => {
    const reg = await registration();
    if (!reg) return;
    await reg.showNotification(title, {
      tag, body: opts.body || '', renotify: true, requireInteraction: !!opts.requireInteraction,
      vibrate: opts.vibrate, icon: ICON, badge: ICON, data: { url: opts.url || '/' },
    });
  })().catch(() => {});
  shown.set(tag, showing);
}

/** Close the notifications with this tag, or (prefix=true) whose tag starts with it. */
export async function closeNotice(tag, prefix = false) {
  if (!supported()) return;
  await Promise.all([...shown].filter(([t]) => (prefix ? t.startsWith(tag) : t === tag)).map(([, p]) => p));
  const reg = await registration();
  if (!reg) return;
  const list = await reg.getNotifications(prefix ? {} : { tag }).catch(() => []);
  for (const n of list) if (prefix ? n.tag.startsWith(tag) : n.tag === tag) n.close();
  for (const t of [...shown.keys()]) if (prefix ? t.startsWith(tag) : t === tag) shown.delete(t);
}

/** A new message arrived: tell the lock screen who wrote (never the text) while the app is not on screen. */
export function noticeMessage(aid, label) {
  if (document.visibilityState !== 'hidden') return;
  showNotice(`msg-${aid}`, t('notify.message', { name: label }), { body: t('notify.message_body'), url: `/#/chat/${aid}` });
}

// ---- Web Push ----

function fromBase64url(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function sameBytes(a, b) {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.every((v, i) => v === y[i]);
}

/**
 * Subscribe this browser to Web Push for the signed-in account. Quietly does nothing when the server has no
 * push yet (unknown_type), the browser has no push service (headless, no network), or permission is missing.
 */
async function subscribePush() {
  if (!supported() || Notification.permission !== 'granted') return;
  const reg = await registration();
  if (!reg || !reg.pushManager) return;
  document.body.dataset.push = 'starting';
  try {
    const { public_key: key } = await conn.request('push.key', {});
    const serverKey = fromBase64url(key);
    let sub = await reg.pushManager.getSubscription();
    if (sub && !sameBytes(sub.options.applicationServerKey, serverKey)) {
      await sub.unsubscribe();
      sub = null;
    }
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
    const { endpoint, keys } = sub.toJSON();
    await conn.request('push.subscribe', { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } });
    document.body.dataset.push = 'on';
  } catch (err) {
    // A server refusal has a string code (unknown_type: no push on this server); the browser's, a name (AbortError).
    document.body.dataset.push = `off:${(err && (typeof err.code === 'string' ? err.code : err.name)) || 'error'}`;
  }
}

/** Before logging out: this browser stops getting the account's pushes. */
export async function forgetPush() {
  const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration().catch(() => null) : null;
  const sub = reg && reg.pushManager ? await reg.pushManager.getSubscription().catch(() => null) : null;
  if (!sub) return;
  try { await conn.request('push.unsubscribe', { endpoint: sub.endpoint }); } catch (e) { /* no push on the server */ }
  await sub.unsubscribe().catch(() => {});
}

// ---- permission ----

function showAsk() {
  $('#notify-card').hidden = !(supported() && conn.authed && Notification.permission === 'default');
}

async function askPermission() {
  const answer = await Notification.requestPermission().catch(() => 'denied');
  showAsk();
  if (answer === 'granted') subscribePush();
}

/** Signed in (login or resume): offer the "Turn on" card, or set up push when already allowed. */
export function notifyReady() {
  showAsk();
  if (supported() && Notification.permission === 'granted') subscribePush();
}

/** Signed out: no card. */
export function notifySignedOut() {
  $('#notify-card').hidden = true;
}

/** A tapped notification asks an open page to show its url (the worker does not reload a page with a call). */
function onWorkerMessage(ev) {
  const msg = ev.data || {};
  if (msg.type !== 'open' || typeof msg.url !== 'string') return;
  const url = new URL(msg.url, location.href);
  if (url.origin !== location.origin || document.body.dataset.call) return;
  if (url.hash && url.hash !== location.hash) location.hash = url.hash;
}

/** Register the service worker and wire the "Turn on" button. */
export function initNotify(theConn) {
  conn = theConn;
  $('#notify-enable').addEventListener('click', askPermission);
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  navigator.serviceWorker.addEventListener('message', onWorkerMessage);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') closeNotice('msg-', true);
  });
}
