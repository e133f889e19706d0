// Browser test: a group video call (PROTOCOL.md §9) in the family app, on loopback only. The child has two
// contacts who may be called: "Call everyone together" rings both, both answer, the child's screen has a
// tile per person and hears them; one contact hangs up and the call goes on; the child hangs up and it ends.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, runInLoopbackNamespace } from './lib/browser.mjs';
import { freePort, seedDemo, startServer, makeTempDir } from './lib/server.mjs';
import { createRunner, expect, guardProcess } from './lib/harness.mjs';
import { waitGrowing, waitEachGrowing, waitFramesChanging } from './lib/calls.mjs';
import { adminRunner, addPeople, addCase, setTerms } from './lib/accounts.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'group-call-pass-1';
const WATCHDOG_MS = 120000;
const PEOPLE = [['tom', 'child', 'Tom'], ['anna', 'contact', 'Anna Lund'], ['erik', 'contact', 'Erik Lund']];
const TERMS = { channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' } };

runInLoopbackNamespace(fileURLToPath(import.meta.url));

const tmp = makeTempDir('samvaer-group-');
const shotDir = process.env.SAMVAER_SHOTS || path.join(tmp, 'shots');
const runner = createRunner({ shotDir, label: 'group-call' });
const state = { server: null, browser: null, ids: {} };
const TILES = '#call-videos video[data-account]';

async function cleanup() {
  const closing = state.browser ? state.browser.close().catch(() => {}) : null;
  state.browser = null;
  if (closing) await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
  if (state.server) await state.server.stop();
  state.server = null;
}

const watchdog = guardProcess(runner, cleanup, WATCHDOG_MS);

async function loggedIn(name, baseUrl) {
  const context = await state.browser.newContext({ viewport: { width: 420, height: 760 } });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`  [${name} page error] ${err.message}`));
  runner.addPage(name, page);
  await page.goto(`${baseUrl}/`);
  await page.getByTestId('login-username').fill(name);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.locator('#contact-list[aria-busy="false"]').waitFor({ state: 'attached' });
  return page;
}

const inState = (page, s) => page.locator(`#view-call[data-call-state="${s}"]`).waitFor({ state: 'visible' });

async function scenario(baseUrl) {
  const p = {};
  await runner.check('tom sees "Call everyone together" (two people he may call); anna and erik only see him', async () => {
    for (const [name] of PEOPLE) p[name] = await loggedIn(name, baseUrl);
    await p.tom.getByTestId('call-group').waitFor({ state: 'visible' });
    expect(await p.anna.getByTestId('call-group').isHidden(), 'a contact was offered a group call');
  });

  await runner.check('tom calls both; both ring and answer; the call is active for all three', async () => {
    await p.tom.getByTestId('call-group').click();
    const title = await p.tom.getByTestId('call-title').textContent();
    expect(/Anna Lund and Erik Lund|Erik Lund and Anna Lund/.test(title), `calling title: ${title}`);
    for (const who of ['anna', 'erik']) {
      await p[who].locator('#view-call[data-state="ringing"]').waitFor({ state: 'visible' });
      await p[who].getByTestId('call-accept').click();
    }
    for (const who of ['tom', 'anna', 'erik']) await inState(p[who], 'active');
  });

  await runner.check('tom has a tile for each of them, and media reaches everyone', async () => {
    await p.tom.locator('#call-videos[data-remotes="2"]').waitFor({ state: 'attached' });
    const offered = await p.tom.evaluate(() => window.__samvaerCall.pc.getTransceivers().filter((t) => t.receiver.track.kind === 'video').length);
    expect(offered === 2, `tom offered ${offered} video receivers`);
    await waitGrowing({ tom: p.tom, anna: p.anna, erik: p.erik }, 12000);
  });

  const { tom, anna, erik } = state.ids;
  const sees = { tom: [anna, erik], anna: [tom, erik], erik: [tom, anna] };
  for (const [who, others] of Object.entries(sees)) {
    await runner.check(`${who} hears and sees each of the other two on a stream and a tile of their own`, async () => {
      const g = await waitEachGrowing(p[who], others, 15000);
      console.log(`  ${who} per participant: ${JSON.stringify(g.grew)}`);
      const tiles = await waitFramesChanging(p[who], TILES, others, 10000);
      console.log(`  ${who} tiles: ${JSON.stringify(tiles)}`);
      if (process.env.SAMVAER_SHOTS) await p[who].screenshot({ path: path.join(shotDir, `group-${who}.png`) });
    });
  }

  // Chromium's fake microphone beeps about once a second: each person talks, then is quiet, so the talking
  // indicator (call.levels, from the RFC 6464 levels the browsers send) must come and go on their tiles.
  await runner.check('tom sees who talks: the talking indicator lights each of the others and moves', async () => {
    const seen = await p.tom.evaluate(async () => {
      const view = document.querySelector('#view-call');
      const lit = new Set();
      let changes = 0, last = view.dataset.talkers;
      for (const end = Date.now() + 8000; Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 40));
        if (view.dataset.talkers !== last) changes++, last = view.dataset.talkers;
        for (const n of document.querySelectorAll('.call-remote[data-talking="yes"]')) lit.add(Number(n.dataset.account));
      }
      return { changes, lit: [...lit] };
    });
    console.log(`  tom's talking indicator: ${JSON.stringify(seen)}`);
    expect(seen.lit.includes(anna) && seen.lit.includes(erik), `tiles lit as talking: ${seen.lit.join(', ')}`);
    expect(seen.changes >= 4, `the indicator changed ${seen.changes} times in 8 s`);
  });

  await runner.check('erik hangs up: his tile and streams leave tom\'s and anna\'s screens, anna\'s carry on', async () => {
    await p.erik.getByTestId('call-hangup').click();
    await p.erik.locator('#view-call[data-state="ended"]').waitFor({ state: 'visible' });
    for (const [who, other] of [['tom', anna], ['anna', tom]]) {
      await p[who].locator(`${TILES}[data-account="${erik}"]`).waitFor({ state: 'detached', timeout: 8000 });
      const g = await waitEachGrowing(p[who], [other], 10000);
      expect(g.names.join() === String(other), `${who} still has streams of ${g.names.join(', ')}`);
      await waitFramesChanging(p[who], TILES, [other], 8000);
    }
  });

  await runner.check('the call went on without erik; tom hangs up: it ends for anna', async () => {
    expect(await p.tom.locator('#view-call[data-call-state="active"]').isVisible(), 'tom\'s call stopped when erik left');
    await p.tom.getByTestId('call-hangup').click();
    for (const who of ['tom', 'anna']) await p[who].locator('#view-call[data-state="ended"][data-reason="hangup"]').waitFor({ state: 'visible' });
  });
}

async function main() {
  const bin = process.env.SAMVAER_BIN;
  const adminBin = process.env.SAMVAER_ADMIN;
  const web = process.env.SAMVAER_WEB || path.resolve(HERE, '../../web');
  if (!bin || !adminBin) throw new Error('SAMVAER_BIN and SAMVAER_ADMIN must be set (ctest sets them)');
  const data = seedDemo(adminBin, tmp);
  const admin = adminRunner(adminBin, data);
  state.ids = addPeople(admin, PEOPLE, PASSWORD);
  addCase(admin, 'tom', 'Europe/Stockholm');
  for (const [who, rel] of [['anna', 'Mum'], ['erik', 'Grandad']]) {
    const aid = Number(admin(['agreement', 'add', 'tom', who, '--relationship', rel]).trim());
    setTerms(admin, tmp, aid, TERMS);
  }
  const port = await freePort();
  state.server = await startServer({ bin, data, web, port, logFile: path.join(tmp, 'server.log') });
  console.log(`server: ${state.server.url} (logs in ${tmp})`);
  state.browser = await launchBrowser();
  await scenario(state.server.url);
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
