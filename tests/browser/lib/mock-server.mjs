// Development stand-in for samvaer: static web/ over HTTP plus an in-page mock of PROTOCOL.md (not for CI).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

/**
 * Serve a directory on 127.0.0.1:port, and `mounts` ({'/admin/': dir}) under their prefixes as samvaer does (the
 * console at /admin/ beside the family app's /js/i18n.js); resolves {url, close}.
 */
export function serveStatic(dir, port, mounts = {}) {
  const server = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let root = dir;
    const prefix = Object.keys(mounts).find((m) => rel.startsWith(m));
    if (prefix) { root = mounts[prefix]; rel = `/${rel.slice(prefix.length)}`; }
    const file = path.join(root, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  })));
}

function demoWorld() {
  const acc = (id, username, display_name, role) => ({ id, username, display_name, role, initials: display_name[0] });
  return {
    accounts: [acc(1, 'mia', 'Mia', 'child'), acc(2, 'andrei', 'Andrei', 'contact'),
      acc(3, 'radu', 'Radu', 'contact'), acc(4, 'ioana', 'Ioana', 'contact')],
    agreements: [
      { id: 12, child: 1, contact: 2, relationship: 'Dad', status: 'active', marks: {} },
      { id: 13, child: 1, contact: 3, relationship: 'Uncle', status: 'suspended', marks: {} },
    ],
    messages: new Map(), // agreement id -> [message]
    tokens: new Map(),   // token -> account id
    sessions: new Set(), // {ws, account}
  };
}

function contactEntry(w, ag, me) {
  const peerId = ag.child === me ? ag.contact : ag.child;
  const peer = w.accounts.find((a) => a.id === peerId);
  const msgs = w.messages.get(ag.id) || [];
  const mark = (who, kind) => (ag.marks[`${who}:${kind}`] || 0);
  const allow = ag.status === 'active';
  return {
    agreement_id: ag.id,
    peer: { id: peer.id, display_name: peer.display_name, initials: peer.initials, role: peer.role },
    relationship: ag.child === me ? ag.relationship : 'Child',
    status: ag.status,
    channels: { text: 'allowed' },
    text: allow
      ? { verdict: 'allow', reason: 'allowed', rule: 'channels.text', next_at: null, message: 'You can write now.' }
      : { verdict: 'deny', reason: 'agreement_suspended', rule: 'agreement.status', next_at: null,
        message: 'Contact with this person is suspended.' },
    last_seq: msgs.length,
    read_seq: mark(me, 'read'),
    unread: msgs.filter((m) => m.from !== me && m.seq > mark(me, 'read')).length,
    peer_delivered_seq: Math.max(mark(peerId, 'delivered'), mark(peerId, 'read')),
    peer_read_seq: mark(peerId, 'read'),
  };
}

function handle(w, s, req) {
  const me = s.account && s.account.id;
  const mine = (id) => w.agreements.find((a) => a.id === id && (a.child === me || a.contact === me));
  const fail = (code, message, extra = {}) => ({ ok: false, error: { code, message, ...extra } });
  switch (req.type) {
    case 'ping': return { ok: true, result: { now: Date.now() } };
    case 'auth.login': {
      const a = w.accounts.find((x) => x.username === req.username);
      if (!a || req.password !== 'samvaer-demo') return fail('bad_credentials', 'That name or password is not right.');
      const token = Math.random().toString(16).slice(2).padEnd(64, '0');
      w.tokens.set(token, a.id);
      s.account = a;
      return { ok: true, result: { token, expires_at: Date.now() + 7 * 864e5, account: a } };
    }
    case 'auth.resume': {
      const id = w.tokens.get(req.token);
      if (!id) return fail('token_invalid', 'Your session has ended.');
      s.account = w.accounts.find((x) => x.id === id);
      return { ok: true, result: { expires_at: Date.now() + 7 * 864e5, account: s.account } };
    }
  }
  if (!s.account) return fail('unauthenticated', 'Log in first.');
  switch (req.type) {
    case 'auth.logout': return { ok: true, result: {} };
    case 'contacts.list':
      return { ok: true, result: { contacts: w.agreements.filter((a) => a.child === me || a.contact === me)
        .map((a) => contactEntry(w, a, me)) } };
    case 'msg.history': {
      const ag = mine(req.agreement_id);
      if (!ag) return fail('no_agreement', 'There is no agreement for this conversation.');
      let msgs = (w.messages.get(ag.id) || []).filter((m) => !req.before || m.seq < req.before);
      const limit = req.limit || 50;
      const more = msgs.length > limit;
      return { ok: true, result: { messages: msgs.slice(-limit), more } };
    }
    case 'msg.send': {
      const ag = mine(req.agreement_id);
      if (!ag) return fail('no_agreement', 'You have no agreement with this person.');
      if (ag.status !== 'active') {
        return fail('agreement_suspended', 'Contact with this person is suspended.',
          { decision: { verdict: 'deny', reason: 'agreement_suspended', rule: 'agreement.status', next_at: null } });
      }
      const list = w.messages.get(ag.id) || [];
      w.messages.set(ag.id, list);
      const dup = list.find((m) => m.from === me && m.key === req.client_key);
      if (dup) return { ok: true, result: { agreement_id: ag.id, seq: dup.seq, sent_at: dup.sent_at, duplicate: true } };
      const m = { agreement_id: ag.id, seq: list.length + 1, from: me, text: req.text, sent_at: Date.now() };
      list.push(m);
      Object.defineProperty(m, 'key', { value: req.client_key, enumerable: false });
      for (const o of w.sessions) {
        const oid = o.account && o.account.id;
        if (o !== s && (oid === ag.child || oid === ag.contact)) o.ws.send(JSON.stringify({ event: 'message', data: m }));
      }
      return { ok: true, result: { agreement_id: ag.id, seq: m.seq, sent_at: m.sent_at, duplicate: false } };
    }
    case 'msg.receipt': {
      const ag = mine(req.agreement_id);
      if (!ag) return fail('no_agreement', 'No agreement.');
      const key = `${me}:${req.kind}`;
      ag.marks[key] = Math.max(ag.marks[key] || 0, req.seq);
      for (const o of w.sessions) {
        const oid = o.account && o.account.id;
        if (o !== s && (oid === ag.child || oid === ag.contact)) {
          o.ws.send(JSON.stringify({ event: 'receipt', data: { agreement_id: ag.id, by: me, kind: req.kind, seq: req.seq } }));
        }
      }
      return { ok: true, result: {} };
    }
  }
  return fail('unknown_type', `Unknown type ${req.type}.`);
}

/** Install the mock on a browser context; all contexts given the same world share state. */
export async function installMock(context, world) {
  await context.routeWebSocket(/\/ws$/, (ws) => {
    const s = { ws, account: null };
    world.sessions.add(s);
    ws.onMessage((raw) => {
      const req = JSON.parse(String(raw));
      const res = handle(world, s, req);
      if (world.stall && req.type === 'msg.send') return; // stored, but the answer is "lost"
      const delay = req.type === 'msg.send' ? 30 : 5;
      setTimeout(() => ws.send(JSON.stringify({ id: req.id, ...res })), delay);
    });
    ws.onClose(() => world.sessions.delete(s));
  });
}

/** A world of demo accounts; world.stall drops msg.send answers, world.dropAll() closes every socket. */
export function createWorld() {
  const w = demoWorld();
  w.stall = false;
  w.dropAll = () => { for (const s of [...w.sessions]) s.ws.close({ code: 1001, reason: 'going away' }); };
  return w;
}
