// Browser test: a real video call between two Chromium pages through samvaer's SFU, on loopback only.
// mia calls andrei, andrei answers, audio and video packets must arrive on both sides, andrei hangs up.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';

const CALL_TERMS = {
  channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' },
  limits: { min_gap_minutes: 120 }, // so a second answered call is refused with a next_at
};

const sc = createScenario(import.meta.url, { label: 'call', watchdogMs: 85000 });
const { runner, shot } = sc;

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

async function scenario() {
  let mia;
  let andrei;
  await runner.check('calls are enabled on agreement 1 by an approved proposal', async () => {
    sc.setTerms(1, CALL_TERMS); // throws unless the approval says "in force"
  });

  await runner.check('mia and andrei log in; the chat shows a call button', async () => {
    mia = await sc.newPage('mia');
    andrei = await sc.newPage('andrei');
    await sc.familyLogin(mia, 'mia');
    await sc.familyLogin(andrei, 'andrei');
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

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer();
  await sc.launchBrowser();
  await scenario();
  await sc.expectCleanShutdown();
});
