// Browser test: a real video call between two Chromium pages through samvaer's SFU, on loopback only.
// mia calls andrei, andrei answers, audio and video packets must arrive on both sides, andrei hangs up.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchBrowser, runInLoopbackNamespace } from './lib/browser.mjs';
import { freePort, seedDemo, startServer, makeTempDir } from './lib/server.mjs';
import { createRunner, expect, guardProcess } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'samvaer-demo';
const WATCHDOG_MS = 85000;
const CALL_TERMS = {
  channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' },
  limits: { min_gap_minutes: 120 }, // so a second answered call is refused with a next_at
};

runInLoopbackNamespace(fileURLToPath(import.meta.url));

const tmp = makeTempDir('samvaer-call-');
const shotDir = process.env.SAMVAER_SHOTS || path.join(tmp, 'shots');
const runner = createRunner({ shotDir, label: 'call' });
const state = { server: null, browser: null };

async function cleanup() {
  const closing = state.browser ? state.browser.close().catch(() => {}) : null;
  state.browser = null;
  if (closing) await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
  if (state.server) await state.server.stop();
  state.server = null;
}

const watchdog = guardProcess(runner, cleanup, WATCHDOG_MS);

async function newPage(name, baseUrl) {
  const context = await state.browser.newContext({ viewport: { width: 420, height: 760 } });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`  [${name} page error] ${err.message}`));
  runner.addPage(name, page);
  await page.goto(`${baseUrl}/`);
  return page;
}

async function login(page, username) {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me-name').waitFor({ state: 'visible' });
  await page.locator('#contact-list[aria-busy="false"]').waitFor({ state: 'attached' });
}

/** Every visible button on the page must be at least 56 x 56 CSS px (a child's finger). */
async function expectBigTargets(page, where) {
  const small = await page.evaluate(() => [...document.querySelectorAll('button')]
    .filter((n) => n.offsetParent !== null || n.closest('#view-call:not([hidden])'))
    .filter((n) => n.getClientRects().length)
    .map((n) => ({ n, r: n.getBoundingClientRect() }))
    .filter(({ r }) => r.height < 56 || r.width < 56)
    .map(({ n, r }) => `${n.id || n.dataset.testid} ${Math.round(r.width)}x${Math.round(r.height)}`));
  expect(small.length === 0, `touch targets under 56px on ${where}: ${small.join(', ')}`);
}

async function shot(page, name) {
  if (process.env.SAMVAER_SHOTS) await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
}

/** inbound-rtp packetsReceived per kind, plus the selected candidate pair's state (for evidence). */
function inbound(page) {
  return page.evaluate(async () => {
    const call = window.__samvaerCall;
    if (!call || !call.pc) return { audio: 0, video: 0, pair: 'no pc', conn: 'none' };
    const stats = await call.pc.getStats();
    const out = { audio: 0, video: 0, pair: '', conn: call.pc.connectionState, ice: call.pc.iceConnectionState };
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp') out[s.kind] += s.packetsReceived || 0;
      if (s.type === 'candidate-pair' && s.nominated) out.pair += `${s.state} `;
    });
    return out;
  });
}

async function scenario(baseUrl, admin) {
  let mia;
  let andrei;
  await runner.check('calls are enabled on agreement 1 by an approved proposal', async () => {
    const terms = path.join(tmp, 'terms.json');
    fs.writeFileSync(terms, JSON.stringify(CALL_TERMS));
    const id = admin(['proposal', 'add', '1', '--terms', terms, '--as', 'ana']).trim().split(/\s+/).pop();
    const out = admin(['proposal', 'approve', id, '--as', 'elena']);
    expect(/in force/.test(out), `approve said: ${out}`);
  });

  await runner.check('mia and andrei log in; the chat shows a call button', async () => {
    mia = await newPage('mia', baseUrl);
    andrei = await newPage('andrei', baseUrl);
    await login(mia, 'mia');
    await login(andrei, 'andrei');
    await mia.evaluate(() => { location.hash = '#/chat/1'; });
    await mia.getByTestId('chat-call').waitFor({ state: 'visible' });
  });

  await runner.check('mia calls, andrei says "not now"; mia sees it ended (declined)', async () => {
    await mia.getByTestId('chat-call').click();
    await andrei.locator('#view-call[data-state="ringing"]').waitFor({ state: 'visible' });
    await shot(andrei, 'ringing');
    await expectBigTargets(andrei, 'the ringing screen');
    await andrei.getByTestId('call-decline').click();
    await mia.locator('#view-call[data-state="ended"][data-reason="declined"]').waitFor({ state: 'visible' });
    await andrei.locator('#view-call[data-state="ended"][data-reason="declined"]').waitFor({ state: 'visible' });
    await mia.getByTestId('call-done').click();
    await andrei.getByTestId('call-done').click();
    await mia.locator('#view-call').waitFor({ state: 'hidden' });
  });

  await runner.check('the declined call stays in both chats, with "Call again" / "Call back"', async () => {
    const miaRecord = mia.getByTestId('call-record');
    await miaRecord.waitFor({ state: 'visible' });
    expect(await miaRecord.getAttribute('data-outcome') === 'declined', 'mia\'s record is not "declined"');
    const miaText = await miaRecord.textContent();
    expect(/could not take the call/.test(miaText), `mia's record says: ${miaText}`);
    expect((await mia.getByTestId('call-back').textContent()) === 'Call again', 'mia has no "Call again"');
    await andrei.evaluate(() => { location.hash = '#/chat/1'; });
    const andreiRecord = andrei.getByTestId('call-record');
    await andreiRecord.waitFor({ state: 'visible' });
    const andreiText = await andreiRecord.textContent();
    expect(/You did not take a call from Mia/.test(andreiText), `andrei's record says: ${andreiText}`);
    expect((await andrei.getByTestId('call-back').textContent()) === 'Call back', 'andrei has no "Call back"');
    await shot(mia, 'call-record');
  });

  await runner.check('mia calls again from the record; andrei sees the ringing screen and answers', async () => {
    await mia.getByTestId('call-back').click();
    await mia.locator('#view-call[data-state="calling"]').waitFor({ state: 'visible' });
    await andrei.locator('#view-call[data-state="ringing"]').waitFor({ state: 'visible' });
    await andrei.getByTestId('call-accept').waitFor({ state: 'visible' });
    await andrei.getByTestId('call-decline').waitFor({ state: 'visible' });
    await andrei.getByTestId('call-accept').click();
    await mia.locator('#view-call[data-state="active"]').waitFor({ state: 'visible' });
    await andrei.locator('#view-call[data-state="active"]').waitFor({ state: 'visible' });
    await mia.getByTestId('call-hangup').waitFor({ state: 'visible' });
  });

  await runner.check('audio and video packets arrive on both sides', async () => {
    const deadline = Date.now() + 15000;
    let first = null;
    let t0 = 0;
    let last = null;
    while (Date.now() < deadline) {
      last = { mia: await inbound(mia), andrei: await inbound(andrei) };
      const all = ['mia', 'andrei'].every((w) => last[w].audio > 0 && last[w].video > 0);
      if (all && !first) { first = last; t0 = Date.now(); }
      if (first && Date.now() - t0 >= 3000) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`  stats first ${JSON.stringify(first)}\n  stats last  ${JSON.stringify(last)}`);
    expect(first, `no media: ${JSON.stringify(last)}`);
    for (const who of ['mia', 'andrei']) {
      for (const kind of ['audio', 'video']) {
        expect(last[who][kind] > first[who][kind], `${who} ${kind} did not grow: ${first[who][kind]} -> ${last[who][kind]}`);
      }
    }
  });

  await runner.check('"Hide my face" stops mia\'s video; her audio goes on', async () => {
    await shot(mia, 'in-call');
    await expectBigTargets(mia, 'the call screen');
    await mia.getByTestId('call-audio-only').click();
    await mia.locator('[data-testid="call-audio-only"][data-on="yes"]').waitFor();
    await andrei.waitForTimeout(1000);
    const a = await inbound(andrei);
    await andrei.waitForTimeout(1500);
    const b = await inbound(andrei);
    expect(b.video - a.video < 5, `andrei still gets mia's video: ${a.video} -> ${b.video}`);
    expect(b.audio > a.audio, `andrei lost mia's audio: ${a.audio} -> ${b.audio}`);
    await mia.getByTestId('call-audio-only').click();
    await andrei.waitForTimeout(1000);
    const c = await inbound(andrei);
    expect(c.video > b.video, `mia's video did not come back: ${b.video} -> ${c.video}`);
  });

  await runner.check('andrei hangs up; both see the call ended (hangup)', async () => {
    await andrei.getByTestId('call-hangup').click();
    for (const page of [mia, andrei]) {
      await page.locator('#view-call[data-state="ended"][data-reason="hangup"]').waitFor({ state: 'visible' });
    }
    const closed = await mia.evaluate(() => window.__samvaerCall && window.__samvaerCall.pc.connectionState);
    expect(closed === 'closed', `mia's peer connection is ${closed}`);
    await mia.getByTestId('call-done').click();
    await andrei.getByTestId('call-done').click();
    await mia.getByTestId('chat-call').waitFor({ state: 'visible' });
  });

  await runner.check('a call inside the 2-hour gap is refused with when it opens again', async () => {
    await mia.getByTestId('chat-call').click();
    await mia.locator('#view-call[data-state="refused"][data-reason="limit_min_gap"]').waitFor({ state: 'visible' });
    const text = await mia.getByTestId('call-text').textContent();
    expect(/Calling opens again/.test(text), `refusal text: ${text}`);
    await shot(mia, 'refused');
    await mia.getByTestId('call-done').click();
    await mia.locator('#view-call').waitFor({ state: 'hidden' });
    expect(await andrei.locator('#view-call').isHidden(), 'andrei was rung for a refused call');
  });
}

async function main() {
  const bin = process.env.SAMVAER_BIN;
  const adminBin = process.env.SAMVAER_ADMIN;
  const web = process.env.SAMVAER_WEB || path.resolve(HERE, '../../web');
  if (!bin || !adminBin) throw new Error('SAMVAER_BIN and SAMVAER_ADMIN must be set (ctest sets them)');
  const data = seedDemo(adminBin, tmp);
  const port = await freePort();
  const extraArgs = process.env.SAMVAER_VERBOSE ? ['--log-level', 'debug'] : [];
  state.server = await startServer({ bin, data, web, port, logFile: path.join(tmp, 'server.log'), extraArgs });
  console.log(`server: ${state.server.url} (data ${data}, logs in ${tmp})`);
  const admin = (args) => {
    const r = spawnSync(adminBin, ['--data', data, ...args], { encoding: 'utf8', timeout: 10000 });
    if (r.status !== 0) throw new Error(`samvaer-admin ${args.join(' ')}: ${r.status} ${r.stderr}`);
    return r.stdout;
  };
  state.browser = await launchBrowser();
  await scenario(state.server.url, admin);
  const server = state.server;
  await runner.check('server shuts down cleanly on SIGTERM', async () => {
    const info = await server.stop();
    state.server = null;
    expect(info.code === 0, `exit ${JSON.stringify(info)}`);
    expect(!/AddressSanitizer|runtime error/.test(server.log()), 'sanitizer report in the server log');
  });
}

let code = 1;
try {
  await main();
} catch (err) {
  runner.fail('setup', err);
} finally {
  clearTimeout(watchdog);
  await cleanup();
  code = runner.summary();
  if (code !== 0) console.log(`artifacts: ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
