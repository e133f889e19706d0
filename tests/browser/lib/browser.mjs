// Launches Debian chromium through playwright-core with the flags from DESIGN.md ("Real browsers on loopback").

import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * A fresh headless browser. playwright-core gives every launch its own new temporary
 * --user-data-dir (it refuses one in args), and each newContext() is a clean profile.
 * `extraArgs` are added; one of the form --flag=value replaces a plain --flag of CHROMIUM_ARGS
 * (e.g. '--use-fake-device-for-media-stream=device-count=2' for two fake cameras).
 */
export function launchBrowser(extraArgs = []) {
  const names = extraArgs.map((a) => a.split('=')[0]);
  const args = [...CHROMIUM_ARGS.filter((a) => !names.includes(a)), ...extraArgs];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 20000 });
}

/**
 * Re-run this script inside a network namespace that only has loopback (DESIGN.md), when we can.
 * Returns true when the caller should just go on (already inside, or no unshare available).
 */
export function runInLoopbackNamespace(scriptPath) {
  if (process.env.SAMVAER_NETNS === 'inside' || process.env.SAMVAER_NETNS === 'off') return true;
  const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return true;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, scriptPath],
    { stdio: 'inherit', env: { ...process.env, SAMVAER_NETNS: 'inside' } });
  process.exit(r.status === null ? 1 : r.status);
}
