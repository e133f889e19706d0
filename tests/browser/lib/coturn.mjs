// Starts Debian's coturn (turnserver) on loopback as the current user, with a temp config that uses the TURN
// REST scheme (use-auth-secret): the shared secret samvaer's call.ice signs its credentials with.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopChild } from './server.mjs';

export const TURNSERVER = process.env.TURNSERVER_BIN || '/usr/bin/turnserver';

/** Is turnserver installed (scripts/deps.sh installs coturn)? */
export function haveCoturn() {
  return fs.existsSync(TURNSERVER) && spawnSync(TURNSERVER, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The config: loopback only (listening and relay addresses), TURN REST auth, no TLS/DTLS/CLI, loopback peers
 * allowed (the media worker is on 127.0.0.1, which coturn refuses as a peer by default), a verbose log file.
 */
export function coturnConfig({ dir, port, secret, realm, minPort, maxPort }) {
  return [
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${maxPort}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${realm}`,
    'fingerprint',
    'no-cli',
    'no-tls',
    'no-dtls',
    'no-multicast-peers',
    'allow-loopback-peers',
    'no-software-attribute',
    `userdb=${path.join(dir, 'turndb')}`,
    `pidfile=${path.join(dir, 'turnserver.pid')}`,
    `log-file=${path.join(dir, 'turn.log')}`,
    'simple-log',
    'verbose',
    '',
  ].join('\n');
}

/**
 * Start turnserver with that config in `dir`; resolves once its UDP listener is open.
 * Returns {uris, port, logFile, log(), stop()}.
 */
export async function startCoturn({ dir, port, secret, realm = 'samvaer.test', minPort = 50000, maxPort = 50999 }) {
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'turnserver.conf');
  const logFile = path.join(dir, 'turn.log');
  fs.writeFileSync(conf, coturnConfig({ dir, port, secret, realm, minPort, maxPort }), { mode: 0o600 });
  const child = spawn(TURNSERVER, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const log = () => { try { return fs.readFileSync(logFile, 'utf8'); } catch (e) { return output; } };
  const stop = () => stopChild(child, () => exited);
  const ready = new RegExp(`UDP listener opened on\\s*:?\\s*127\\.0\\.0\\.1:${port}`);
  const end = Date.now() + 10000;
  while (!ready.test(log()) && !ready.test(output)) {
    if (exited || Date.now() > end) {
      await stop();
      throw new Error(`turnserver did not start (${JSON.stringify(exited)}):\n${output}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const uris = [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`];
  return { uris, port, logFile, log, stop };
}
