// Browser test: a video call relayed through coturn (TURN REST credentials from call.ice), relay-only ICE on both
// sides, on loopback only; then camera/microphone switching mid-call and the "Sound only" switch.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createScenario } from './lib/scenario.mjs';
import { freePort } from './lib/server.mjs';
import { haveCoturn, startCoturn } from './lib/coturn.mjs';
import { expect } from './lib/harness.mjs';
import { callInfo, selectedPair, waitFlowing, growth } from './lib/media.mjs';

const CALL_TERMS = { channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' } };

const sc = createScenario(import.meta.url, { label: 'turn', watchdogMs: 150000 });
const { runner, shot, tmp } = sc;

async function answeredCall(mia, andrei) {
  await mia.evaluate(() => { location.hash = '#/chat/1'; });
  await mia.getByTestId('chat-call').click();
  await andrei.locator('#view-call[data-state="ringing"]').waitFor({ state: 'visible' });
  await andrei.getByTestId('call-accept').click();
  for (const page of [mia, andrei]) await page.locator('#view-call[data-state="active"]').waitFor({ state: 'visible' });
}

/** The options of a device selector: [{value, label}]. */
function options(page, testid) {
  return page.getByTestId(testid).evaluate((sel) => [...sel.options].map((o) => ({ value: o.value, label: o.textContent })));
}

async function relayedCall(pages, turn) {
  const { mia, andrei } = pages;
  await runner.check('both pages force relay-only ICE and got TURN credentials from call.ice', async () => {
    await answeredCall(mia, andrei);
    for (const [who, page] of Object.entries(pages)) {
      const info = await page.waitForFunction(() => {
        const c = window.__samvaerCall;
        return c && c.pc && c.iceServers.length ? { relay: c.relay, servers: c.iceServers } : null;
      }).then((h) => h.jsonValue());
      expect(info.relay === true, `${who}: relay-only is off`);
      const s = info.servers[0];
      expect(JSON.stringify(s.urls) === JSON.stringify(turn.uris), `${who}: urls ${JSON.stringify(s.urls)}`);
      expect(/^\d+:\d+$/.test(s.username) && s.credential.length === 28, `${who}: credential ${JSON.stringify(s)}`);
    }
  });

  await runner.check('audio and video flow both ways through the relay', async () => {
    const { first, last } = await waitFlowing(pages, 20000, 3000);
    console.log(`  stats first ${JSON.stringify(first)}\n  stats last  ${JSON.stringify(last)}`);
    for (const who of Object.keys(pages)) {
      for (const kind of ['audio', 'video']) {
        expect(last[who][kind] > first[who][kind], `${who} ${kind} did not grow: ${first[who][kind]} -> ${last[who][kind]}`);
      }
    }
  });

  await runner.check('the selected candidate pair is a relay one on both sides, and no other kind was gathered', async () => {
    for (const [who, page] of Object.entries(pages)) {
      const pair = await selectedPair(page);
      console.log(`  ${who}: ${JSON.stringify(pair)}`);
      expect(pair.local === 'relay', `${who}: local candidate ${pair.local}`);
      expect(pair.others.length === 0, `${who}: non-relay local candidates ${pair.others}`);
      expect(pair.bytes > 10000, `${who}: ${pair.bytes} bytes on the pair`);
    }
  });

  await runner.check('coturn authenticated our users and relayed to the media worker', async () => {
    const log = turn.log();
    const accounts = await Promise.all([mia, andrei].map((p) => p.evaluate(() => window.__samvaerCall.iceServers[0].username)));
    for (const user of accounts) expect(log.includes(user), `coturn log does not mention ${user}`);
    expect(/ALLOCATE processed, success/.test(log), 'no successful ALLOCATE in the coturn log');
    expect(/(CREATE_PERMISSION|CHANNEL_BIND) processed, success/.test(log), 'no permission for the media worker');
  });
}

async function devices(pages) {
  const { mia, andrei } = pages;
  await runner.check('the call screen lists the fake cameras and microphones in big selectors', async () => {
    await mia.locator('#call-devices').waitFor({ state: 'visible' });
    await mia.locator('#call-devices > summary').click(); // folded on phones: "Camera and microphone"
    await mia.getByTestId('call-camera').waitFor({ state: 'visible' });
    const cams = await options(mia, 'call-camera');
    const mics = await options(mia, 'call-mic');
    console.log(`  cameras ${JSON.stringify(cams.map((o) => o.label))}, microphones ${JSON.stringify(mics.map((o) => o.label))}`);
    expect(cams.length === 3, `cameras: ${JSON.stringify(cams)}`);
    expect(mics.length >= 2, `microphones: ${JSON.stringify(mics)}`);
    expect(cams.every((o) => o.label && o.value), 'a camera without label or id');
    for (const id of ['call-camera', 'call-mic']) {
      const h = await mia.getByTestId(id).evaluate((n) => n.getBoundingClientRect().height);
      expect(h >= 56, `${id} is ${h}px high`);
    }
    await shot(mia, 'devices');
  });

  await runner.check('switching camera and microphone mid-call keeps media flowing to andrei', async () => {
    const cams = await options(mia, 'call-camera');
    const mics = await options(mia, 'call-mic');
    // Chromium's fake_device_1 is a Y16 depth camera the video encoder cannot use; fake_device_2 (MJPEG) can.
    const cam = cams.find((o) => o.label === 'fake_device_2');
    expect(cam && cam.value !== await mia.getByTestId('call-camera').inputValue(), `no second camera: ${JSON.stringify(cams)}`);
    const mic = mics[mics.length - 1];
    const trackBefore = await mia.evaluate(() => window.__samvaerCall.pc.getSenders().find((s) => s.track && s.track.kind === 'video').track.id);
    await mia.getByTestId('call-camera').selectOption(cam.value);
    await mia.locator(`#view-call[data-camera="${cam.value}"]`).waitFor({ state: 'attached' });
    await mia.getByTestId('call-mic').selectOption(mic.value);
    await mia.locator(`#view-call[data-mic="${mic.value}"]`).waitFor({ state: 'attached' });
    const now = await mia.evaluate(() => window.__samvaerCall.pc.getSenders().filter((s) => s.track)
      .map((s) => ({ kind: s.track.kind, id: s.track.id, device: s.track.getSettings().deviceId, live: s.track.readyState })));
    const video = now.find((t) => t.kind === 'video');
    const audio = now.find((t) => t.kind === 'audio');
    expect(video && video.id !== trackBefore && video.device === cam.value && video.live === 'live', `video sender: ${JSON.stringify(now)}`);
    expect(audio && audio.device === mic.value && audio.live === 'live', `audio sender: ${JSON.stringify(now)}`);
    const g = await growth(andrei, 1000, 2000);
    const sent = await mia.evaluate(async () => {
      const out = [];
      (await window.__samvaerCall.pc.getStats()).forEach((x) => {
        if (x.type === 'outbound-rtp') out.push({ kind: x.kind, ssrc: x.ssrc, sent: x.packetsSent, w: x.frameWidth, enc: x.encoderImplementation, lim: x.qualityLimitationReason });
      });
      return out;
    });
    expect(g.audio > 20 && g.video > 20, `andrei's inbound after the switch: ${JSON.stringify(g)}; mia sends ${JSON.stringify(sent)}`);
  });
}

/** Wait until the page's call is connected again with "Sound only" `on`. */
async function connectedAgain(page, on) {
  try {
    await page.waitForFunction((want) => window.__samvaerCall.soundOnly === want
      && window.__samvaerCall.pc.connectionState === 'connected', on, { timeout: 10000 });
  } catch (err) {
    throw new Error(`not connected with sound only ${on}: ${JSON.stringify(await callInfo(page))}`);
  }
}

async function soundOnly(pages) {
  const { mia, andrei } = pages;
  await runner.check('"Sound only" on mia: no video either way, sound goes on both ways', async () => {
    await mia.getByTestId('call-sound-only').click();
    await mia.locator('[data-testid="call-sound-only"][data-on="yes"]').waitFor();
    await connectedAgain(mia, true);
    const toAndrei = await growth(andrei, 1500, 2000);
    const toMia = await growth(mia, 1500, 2000);
    console.log(`  sound only: andrei gets ${JSON.stringify(toAndrei)}, mia gets ${JSON.stringify(toMia)}`);
    expect(toAndrei.video < 5, `andrei still gets mia's video: ${JSON.stringify(toAndrei)}`);
    expect(toAndrei.audio > 20, `andrei lost mia's audio: ${JSON.stringify(toAndrei)}`);
    expect(toMia.video < 5, `mia still gets video: ${JSON.stringify(toMia)}`);
    expect(toMia.audio > 20, `mia lost andrei's audio: ${JSON.stringify(toMia)}`);
    const cams = await mia.evaluate(() => window.__samvaerCall.pc.getSenders().filter((s) => s.track && s.track.kind === 'video').length);
    expect(cams === 0, 'mia still sends a camera track');
    await shot(mia, 'sound-only');
  });

  await runner.check('turning "Sound only" off brings video back both ways, still relayed', async () => {
    await mia.getByTestId('call-sound-only').click();
    await mia.locator('[data-testid="call-sound-only"][data-on="no"]').waitFor();
    await connectedAgain(mia, false);
    const toAndrei = await growth(andrei, 2500, 2000);
    const toMia = await growth(mia, 2000, 2000);
    console.log(`  video again: andrei gets ${JSON.stringify(toAndrei)}, mia gets ${JSON.stringify(toMia)}`);
    for (const [who, g] of [['andrei', toAndrei], ['mia', toMia]]) {
      expect(g.video > 20 && g.audio > 20, `${who} after sound only: ${JSON.stringify(g)}`);
    }
    expect((await selectedPair(mia)).local === 'relay', 'the new connection is not relayed');
  });

  await runner.check('mia hangs up; both see the call ended', async () => {
    await mia.getByTestId('call-hangup').click();
    for (const page of [mia, andrei]) {
      await page.locator('#view-call[data-state="ended"][data-reason="hangup"]').waitFor({ state: 'visible' });
    }
  });
}

await sc.run(async () => {
  if (!haveCoturn()) throw new Error('turnserver (coturn) is not installed: run scripts/deps.sh');
  const secret = crypto.randomBytes(18).toString('hex');
  const secretFile = path.join(tmp, 'turn-secret');
  fs.writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const relayBase = 40000 + 200 * crypto.randomInt(100);
  const turn = await startCoturn({ dir: path.join(tmp, 'coturn'), port: await freePort(), secret,
    minPort: relayBase, maxPort: relayBase + 199 });
  sc.onCleanup(() => turn.stop());
  console.log(`coturn: ${turn.uris.join(', ')} (log ${turn.logFile})`);
  sc.seedDemo();
  await sc.startServer({ args: ['--turn-uris', turn.uris.join(','), '--turn-secret-file', secretFile, '--turn-ttl-s', '600'] });
  sc.setTerms(1, CALL_TERMS); // throws unless calls were enabled ("in force")
  await new Promise((r) => setTimeout(r, 1100)); // the running server notices within a second
  await sc.launchBrowser(['--use-fake-device-for-media-stream=device-count=3']);
  const pages = {
    mia: await sc.newPage('mia', '/?relay=1'),
    andrei: await sc.newPage('andrei', '/?relay=1'),
  };
  await sc.familyLogin(pages.mia, 'mia');
  await sc.familyLogin(pages.andrei, 'andrei');
  await relayedCall(pages, turn);
  await devices(pages);
  await soundOnly(pages);
  await sc.expectCleanShutdown((log) => expect(!log.includes(secret), 'the TURN secret appears in the server log'));
});
