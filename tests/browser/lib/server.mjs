// Starts a real samvaer on a free loopback port with a fresh demo data dir, and always stops it.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Bind port 0, read the port, close: a port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temp dir seeded with `samvaer-admin --data DIR demo`. */
export function seedDemo(adminBin, baseDir) {
  const data = path.join(baseDir, 'data');
  const r = spawnSync(adminBin, ['--data', data, 'demo'], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) {
    throw new Error(`samvaer-admin demo failed (${r.status}): ${r.stderr || r.error}`);
  }
  return data;
}

/**
 * Start `samvaer` and wait for "samvaer: listening on http://127.0.0.1:N" and GET /healthz = 200.
 * `extraArgs` are appended to the command line (e.g. ['--console-dir', DIR]). Returns {url, port, stop(), log()}.
 */
export async function startServer({ bin, data, web, port, logFile, extraArgs = [] }) {
  const args = ['--listen', '127.0.0.1', '--port', String(port), '--data', data, '--web', web, '--log-level', 'info', ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const out = fs.createWriteStream(logFile);
  const collect = (chunk) => { output += chunk; out.write(chunk); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const stop = () => stopChild(child, () => exited);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(() => {
      if (exited) throw new Error(`samvaer exited early (${JSON.stringify(exited)}):\n${output}`);
      return output.includes(`samvaer: listening on ${url}`);
    }, 10000, 'the "listening" line');
    await waitFor(async () => (await healthz(url)) === 200, 5000, 'GET /healthz = 200');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, stop, log: () => output, exitInfo: () => exited };
}

async function healthz(url) {
  try {
    const res = await fetch(`${url}/healthz`);
    return res.status;
  } catch (e) {
    return 0;
  }
}

async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** SIGTERM, then SIGKILL after 3 s; resolves with the exit info. */
export function stopChild(child, exitInfo) {
  if (exitInfo()) return Promise.resolve(exitInfo());
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', (code, signal) => { clearTimeout(kill); resolve({ code, signal }); });
    child.kill('SIGTERM');
  });
}

export function makeTempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
