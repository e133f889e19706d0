// push_endpoint.mjs: a loopback Web Push service for test_push.py. It makes one subscription (P-256 key pair and
// auth secret) per name given on the command line, prints them as a JSON line, then for every POST checks the VAPID
// JWT (RFC 8292: ES256 signature against k=, aud = this origin, exp within 24 h, sub), decrypts the body with the
// independent http_ece package (RFC 8291/8188) and prints what arrived as one JSON line. Names starting with
// "gone" answer 410 Gone, as a push service does for an expired subscription; names starting with "broken" answer
// 500 (a service that keeps failing); names starting with "slow" never answer.
import crypto from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../browser/package.json', import.meta.url));
const ece = require('http_ece');

const names = process.argv.slice(2);
const subs = {};
for (const name of names) {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  subs[name] = { ecdh, auth: crypto.randomBytes(16) };
}

function b64u(buf) { return Buffer.from(buf).toString('base64url'); }

function verifyVapid(header, origin, errors) {
  const m = /^vapid t=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(header || '');
  if (!m) { errors.push(`Authorization is not "vapid t=JWT, k=KEY": ${header}`); return {}; }
  const [, h, c, s, k] = m;
  let head = {}, claims = {};
  try { head = JSON.parse(Buffer.from(h, 'base64url')); claims = JSON.parse(Buffer.from(c, 'base64url')); }
  catch (e) { errors.push(`JWT parts are not JSON: ${e}`); }
  if (head.alg !== 'ES256') errors.push(`alg ${head.alg}`);
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) errors.push('k is not an uncompressed P-256 point');
  else {
    const key = crypto.createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256',
      x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) } });
    const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'));
    if (!ok) errors.push('the JWT signature does not verify with k');
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) errors.push(`aud ${claims.aud} is not ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) errors.push(`exp ${claims.exp} not within 24 h`);
  if (!/^(mailto:|https:\/\/)/.test(claims.sub || '')) errors.push(`sub ${claims.sub}`);
  return { k, claims };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const name = decodeURIComponent((/^\/push\/([^/]+)$/.exec(req.url) || [])[1] || '');
    const sub = subs[name];
    const errors = [];
    const origin = `http://127.0.0.1:${server.address().port}`;
    const { k, claims } = verifyVapid(req.headers.authorization, origin, errors);
    if (req.method !== 'POST') errors.push(`method ${req.method}`);
    if (req.headers['content-encoding'] !== 'aes128gcm') errors.push(`encoding ${req.headers['content-encoding']}`);
    let payload = null;
    if (!sub) errors.push(`no subscription ${name}`);
    else {
      try {
        payload = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: sub.ecdh,
          authSecret: b64u(sub.auth) }).toString('utf8');
      } catch (e) { errors.push(`decrypt: ${e.message}`); }
    }
    const status = name.startsWith('gone') ? 410 : name.startsWith('broken') ? 500 : errors.length ? 400 : 201;
    if (!name.startsWith('slow')) {
      res.writeHead(status);
      res.end();
    }
    console.log(JSON.stringify({ event: 'push', name, status, errors, payload, k, claims,
      ttl: req.headers.ttl, urgency: req.headers.urgency, topic: req.headers.topic || null }));
  });
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const out = {};
  for (const [name, s] of Object.entries(subs)) {
    out[name] = { endpoint: `http://127.0.0.1:${port}/push/${name}`,
      keys: { p256dh: b64u(s.ecdh.getPublicKey()), auth: b64u(s.auth) } };
  }
  console.log(JSON.stringify({ event: 'ready', port, subscriptions: out }));
});
process.stdin.on('end', () => process.exit(0)); // the test closes stdin when done
process.stdin.resume();
