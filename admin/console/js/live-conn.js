// The console's long-lived WebSocket (samvaer.v1) for live calls: auth.resume with the console token,
// requests as promises, server events to listeners, reconnect with backoff. One per tab (liveConn()).

import { t } from '/js/i18n.js';
import * as api from './api.js';

const RETRY_MAX_MS = 10000;
const PING_EVERY_MS = 20000;

class LiveConn {
  constructor() {
    this.ws = null;              // current socket or null
    this.ready = null;           // promise of an authenticated socket
    this.nextId = 1;             // request ids
    this.pending = new Map();    // id -> {resolve, reject}
    this.listeners = new Set();  // fn(event, data) for server events and 'conn' state changes
    this.retryMs = 500;
    this.pingTimer = null;
    this.wanted = false;         // reconnect when the socket drops
  }

  /** An authenticated socket (opens one if needed); rejects when the token is no longer valid. */
  connect() {
    this.wanted = true;
    if (!this.ready) this.ready = this.open();
    return this.ready;
  }

  open() {
    return new Promise((resolve, reject) => {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/ws`, 'samvaer.v1');
      this.ws = ws;
      ws.onopen = () => {
        this.send(ws, 'auth.resume', { token: api.token() }).then(() => {
          this.retryMs = 500;
          this.startPing();
          this.emit('conn', { state: 'online' });
          resolve(this);
        }, (err) => { this.wanted = err.code !== 'token_invalid' && err.code !== 'account_disabled'; ws.close(1000); reject(err); });
      };
      ws.onmessage = (ev) => this.onFrame(ev.data);
      ws.onclose = () => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.ready = null;
        clearInterval(this.pingTimer);
        for (const p of this.pending.values()) p.reject(new api.ApiError(0, { code: 'offline', message: t('console.error.connection_lost') }));
        this.pending.clear();
        this.emit('conn', { state: 'offline' });
        reject(new api.ApiError(0, { code: 'offline', message: t('console.error.offline') }));
        if (this.wanted && api.token()) {
          setTimeout(() => { if (this.wanted && !this.ready) this.connect().catch(() => {}); }, this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        }
      };
    });
  }

  send(ws, type, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...params, id, type }));
    });
  }

  /** Send a request once authenticated; resolves with `result`, rejects with ApiError (code = protocol code). */
  async request(type, params = {}) {
    await this.connect();
    return this.send(this.ws, type, params);
  }

  onFrame(text) {
    let msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.event === 'string') { this.emit(msg.event, msg.data || {}); return; }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result || {});
    else p.reject(new api.ApiError(0, msg.error));
  }

  emit(event, data) {
    for (const fn of [...this.listeners]) {
      try { fn(event, data); } catch (e) { console.error(e); }
    }
  }

  /** Listen to server events; returns the function that stops listening. */
  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  startPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => { if (this.ws) this.send(this.ws, 'ping', {}).catch(() => {}); }, PING_EVERY_MS);
  }

  /** Log out / leave: close and do not come back. */
  close() {
    this.wanted = false;
    if (this.ws) this.ws.close(1000);
  }
}

let shared = null;

/** The tab's one live connection. */
export function liveConn() {
  if (!shared) shared = new LiveConn();
  return shared;
}
