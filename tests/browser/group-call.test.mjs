// Browser test: a group video call (PROTOCOL.md §9) in the family app, on loopback only. The child has two
// contacts who may be called: "Call everyone together" rings both, both answer, the child's screen has a
// tile per person and hears them; one contact hangs up and the call goes on; the child hangs up and it ends.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { waitGrowing, waitEachGrowing, waitFramesChanging } from './lib/calls.mjs';

const PEOPLE = [['tom', 'child', 'Tom'], ['anna', 'contact', 'Anna Lund'], ['erik', 'contact', 'Erik Lund']];
const TERMS = { channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' } };
const TILES = '#call-videos video[data-account]';

const sc = createScenario(import.meta.url, { label: 'group-call', tmpPrefix: 'samvaer-group-', watchdogMs: 120000,
  password: 'group-call-pass-1' });
const { runner } = sc;
const state = { ids: {} };

const inState = (page, s) => page.locator(`#view-call[data-call-state="${s}"]`).waitFor({ state: 'visible' });

async function scenario() {
  const p = {};
  await runner.check('tom sees "Call everyone together" (two people he may call); anna and erik only see him', async () => {
    for (const [name] of PEOPLE) {
      p[name] = await sc.newPage(name);
      await sc.familyLogin(p[name], name);
    }
    await p.tom.getByTestId('call-group').waitFor({ state: 'visible' });
    expect(await p.anna.getByTestId('call-group').isHidden(), 'a contact was offered a group call');
  });

  await runner.check('tom calls both; both ring and answer; the call is active for all three', async () => {
    await p.tom.getByTestId('call-group').click();
    const title = await p.tom.getByTestId('call-title').textContent();
    // the child knows them as who they are to him, not by their full names
    expect(/Mum and Grandad|Grandad and Mum/.test(title), `calling title: ${title}`);
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
      await sc.shot(p[who], `group-${who}`);
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

await sc.run(async () => {
  sc.seedDemo();
  state.ids = sc.addPeople(PEOPLE);
  sc.addCase('tom', 'Europe/Stockholm');
  for (const [who, rel] of [['anna', 'Mum'], ['erik', 'Grandad']]) {
    const aid = Number(sc.admin(['agreement', 'add', 'tom', who, '--relationship', rel]).trim());
    sc.setTerms(aid, TERMS);
  }
  await sc.startServer();
  await sc.launchBrowser();
  await scenario();
  await sc.expectCleanShutdown();
});
