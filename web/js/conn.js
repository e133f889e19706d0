// WebSocket client for samvaer.v1: request ids, one promise per request, reconnect + auth.resume.
// The session token is kept in localStorage, so closing the tab (or the installed app) keeps you signed in;
// logging out or the server saying token_invalid / account_disabled forgets it.

import { chosenLocale } from './i18n.js';

export const TOKEN_KEY = 'samvaer.token';
const DEVICE_KEY = 'samvaer.device'; // a paired device's credential (auth.pair), kept across restarts
const PING_EVERY_MS = 20000;
const PING_TIMEOUT_MS = 10000;
const AUTH_TYPES = new Set(['auth.login', 'auth.resume', 'auth.pair', 'auth.device', 'invite.open', 'invite.accept']);

/** A refusal from the server (or from the connection), carrying the protocol error fields. */
export class ProtoError extends Error {
  constructor(err) {
    super((err && err.message) || (err && err.code) || 'Something went wrong.');
    this.code = (err && err.code) || 'internal';
    this.decision = (err && err.decision) || null;
    this.retryAfter = err && Number.isFinite(err.retry_after_s) ? err.retry_after_s : null;
  }
}

/**
 * Conn keeps one authenticated socket alive.
 * Events (EventTarget): 'state' {state}, 'ready' {account, resumed}, 'loggedout' {message},
 * 'event' {event, data}.
 * Requests made while offline wait; requests in flight when the socket drops are sent again
 * after resume with the same parameters (msg.send keeps its client_key, so no duplicates).
 */
export class Conn extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;            // current WebSocket or null
    this.nextId = 1;           // request id counter
    this.pending = new Map();  // id -> {frame, resolve, reject, sentOn}
    this.authed = false;       // socket authenticated
    this.account = null;       // account from login/resume
    this.retryMs = 500;        // reconnect backoff
    this.retryTimer = null;
    this.pingTimer = null;
    this.openWaiters = [];     // resolvers waiting for an open socket
    this.state = 'offline';
  }

  get token() { return localStorage.getItem(TOKEN_KEY); }

  /** The device credential of a paired device (never a password), or null. */
  get credential() { return localStorage.getItem(DEVICE_KEY); }

  /** Signed in by a token, or able to sign in again by itself (a paired device). */
  get canSignIn() { return Boolean(this.token || this.credential); }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state } }));
  }

  /** Connect now if we hold a token (resume) or a device credential, else wait for login(). */
  start() { if (this.canSignIn) this.open(); }

  open() {
    if (this.ws) return;
    clearTimeout(this.retryTimer);
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, 'samvaer.v1');
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
  }

  onOpen(ws) {
    if (ws !== this.ws) return;
    this.retryMs = 500;
    for (const resolve of this.openWaiters.splice(0)) resolve();
    if (this.token) this.resume();
    else if (this.credential) this.deviceSignIn();
    else this.setState('open');
  }

  async resume() {
    try {
      const result = await this.request('auth.resume', { token: this.token });
      this.becomeReady(result.account, true);
    } catch (err) {
      if (err.code === 'token_invalid' && this.credential) {
        localStorage.removeItem(TOKEN_KEY); // the session ended; the device signs in again by itself
        this.deviceSignIn();
      } else if (err.code === 'token_invalid' || err.code === 'account_disabled') {
        this.forget(err.code === 'account_disabled');
        this.dispatchEvent(new CustomEvent('loggedout', { detail: { message: err.message, code: err.code } }));
        if (this.ws) this.ws.close(1000);
      } else if (err.code === 'rate_limited') {
        this.retryMs = Math.max(this.retryMs, (err.retryAfter || 5) * 1000);
        if (this.ws) this.ws.close(1000);
      }
    }
  }

  /** A paired device signs in with its credential (a new session each time). */
  async deviceSignIn() {
    try {
      const result = await this.request('auth.device', { credential: this.credential });
      localStorage.setItem(TOKEN_KEY, result.token);
      this.becomeReady(result.account, false);
    } catch (err) {
      if (err.code === 'device_invalid' || err.code === 'account_disabled') {
        // revoked: only a new pairing code brings it back; disabled: the pairing stays for when it is enabled
        this.forget(err.code === 'account_disabled');
        this.dispatchEvent(new CustomEvent('loggedout', { detail: { message: err.message, code: err.code } }));
        if (this.ws) this.ws.close(1000);
      } else if (err.code === 'rate_limited') {
        this.retryMs = Math.max(this.retryMs, (err.retryAfter || 5) * 1000);
        if (this.ws) this.ws.close(1000);
      }
    }
  }

  /** Pair this device with a code from a carer or caseworker; keeps the credential it gets. */
  async pair(code, deviceName) {
    await this.waitOpen();
    const result = await this.request('auth.pair', { code, device_name: deviceName });
    localStorage.setItem(DEVICE_KEY, result.credential);
    localStorage.setItem(TOKEN_KEY, result.token);
    this.becomeReady(result.account, false);
    return result;
  }

  /** Log in with a name and password; resolves with the account, rejects with ProtoError. */
  async login(username, password) {
    await this.waitOpen();
    const result = await this.request('auth.login', { username, password });
    localStorage.setItem(TOKEN_KEY, result.token);
    this.notice = result.notice || null; // e.g. {kind: 'password_reset', at}: shown once
    this.becomeReady(result.account, false);
    return result.account;
  }

  /** What an invitation code is for (works before login); rejects with ProtoError. */
  async openInvite(code) {
    await this.waitOpen();
    return this.request('invite.open', { code });
  }

  /** Accept an invitation: with account details a new account is made and this connection logs in with it (with a
   * device_name and no password this device is paired to it, and keeps the credential as pair() does); without them
   * (already logged in) the current account is linked. Resolves with the result. */
  async acceptInvite(params) {
    await this.waitOpen();
    const result = await this.request('invite.accept', params);
    if (result.credential) localStorage.setItem(DEVICE_KEY, result.credential);
    if (result.token) {
      localStorage.setItem(TOKEN_KEY, result.token);
      this.becomeReady(result.account, false);
    }
    return result;
  }

  async logout() {
    const ws = this.ws;
    try { if (this.authed) await this.request('auth.logout', {}); } catch (e) { /* going anyway */ }
    this.forget();
    this.failAll('Logged out.');
    if (ws && ws === this.ws) ws.close(1000);
  }

  forget(keepDevice = false) {
    localStorage.removeItem(TOKEN_KEY);
    if (!keepDevice) localStorage.removeItem(DEVICE_KEY); // logging out of a paired device unpairs it here
    this.authed = false;
    this.account = null;
  }

  becomeReady(account, resumed) {
    this.authed = true;
    this.account = account;
    this.setState('online');
    this.startPing();
    this.dispatchEvent(new CustomEvent('ready', { detail: { account, resumed } }));
    this.flush();
  }

  waitOpen() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    const p = new Promise((resolve, reject) => {
      this.openWaiters.push(resolve);
      setTimeout(() => reject(new ProtoError({ code: 'offline', message: 'Cannot reach the server. Try again.' })), 8000);
    });
    this.open();
    return p;
  }

  /** Send a request; resolves with `result`, rejects with ProtoError. */
  request(type, params = {}) {
    const id = this.nextId++;
    // every sign-in tells the server the language to answer in until the account has one (PROTOCOL.md §14)
    const extra = AUTH_TYPES.has(type) ? { locale: chosenLocale() || navigator.language } : {};
    const frame = JSON.stringify({ ...extra, ...params, id, type });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject, sentOn: null, auth: AUTH_TYPES.has(type) });
      if (this.authed || AUTH_TYPES.has(type)) this.sendPending(id);
      else if (!this.ws && this.canSignIn) this.open();
    });
  }

  sendPending(id) {
    const entry = this.pending.get(id);
    const ws = this.ws;
    if (!entry || !ws || ws.readyState !== WebSocket.OPEN || entry.sentOn === ws) return;
    entry.sentOn = ws;
    ws.send(entry.frame);
  }

  /** After (re)authentication, send everything that has no answer yet, oldest first. */
  flush() {
    for (const id of this.pending.keys()) this.sendPending(id);
  }

  onFrame(data) {
    let msg;
    try { msg = JSON.parse(data); } catch (e) { return; }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.event === 'string') {
      this.dispatchEvent(new CustomEvent('event', { detail: { event: msg.event, data: msg.data || {} } }));
      return;
    }
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    if (msg.ok) entry.resolve(msg.result || {});
    else entry.reject(new ProtoError(msg.error));
  }

  onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.authed = false;
    this.stopPing();
    for (const [id, entry] of this.pending) {
      if (!entry.auth) continue;
      this.pending.delete(id);
      entry.reject(new ProtoError({ code: 'offline', message: 'The connection was lost. Try again.' }));
    }
    if (this.canSignIn && code !== 1000) {
      this.setState('reconnecting');
      this.scheduleReconnect();
    } else {
      this.setState('offline');
    }
  }

  scheduleReconnect() {
    clearTimeout(this.retryTimer);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10000);
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  failAll(message) {
    for (const entry of this.pending.values()) entry.reject(new ProtoError({ code: 'offline', message }));
    this.pending.clear();
  }

  /** A ping that gets no answer means a dead link: drop it and reconnect. */
  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      const timer = setTimeout(() => {
        if (ws !== this.ws) return;
        ws.onclose = null;
        ws.close();
        this.onClose(ws, 4000, 'ping_timeout');
      }, PING_TIMEOUT_MS);
      this.request('ping').then(() => clearTimeout(timer), () => clearTimeout(timer));
    }, PING_EVERY_MS);
  }

  stopPing() { clearInterval(this.pingTimer); this.pingTimer = null; }
}
