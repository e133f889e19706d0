// Browser test: the console's moderation queue with the real server. Andrei (a parent) sends two photos to Mia on a
// moderated photo channel; Sofie (the supervisor) sees each with its thumbnail actually loaded (the media cookie
// session works for <img>), cannot reject without saying why, rejects one with a reason (Andrei is told, with the
// reason) and approves the other (Mia receives it with its attachment). The queue has no serious accessibility fault.

import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { expectAccessible } from './lib/a11y.mjs';

const sc = createScenario(import.meta.url, { label: 'moderation', watchdogMs: 150000 });
const { runner, tmp } = sc;
const AID = 1; // the demo's mia <-> andrei

/** name's own browser at url (the family app or the console), logged in. */
async function page(name, url) {
  const p = await sc.newPage(name, url, { viewport: { width: 1100, height: 900 } }, { consoleErrors: true });
  await sc.signIn(p, name);
  return p;
}

/** In a family-app page: a socket of its own on the page's session; collects events; call(type, params). */
function openSocket(p) {
  return p.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'samvaer.v1');
    window.testEvents = [];
    const answers = new Map();
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.event) window.testEvents.push(m);
      else if (answers.has(m.id)) answers.get(m.id)(m);
    };
    let n = 0;
    window.testCall = (type, params) => new Promise((resolve) => {
      n += 1;
      answers.set(n, resolve);
      ws.send(JSON.stringify({ id: n, type, ...params }));
    });
    await new Promise((resolve) => { ws.onopen = resolve; });
    return window.testCall('auth.resume', { token: localStorage.getItem('samvaer.token') });
  });
}

/** In Andrei's page: upload the photo (tus, one PATCH) and send it; resolves with the msg.send answer. */
function sendPhoto(p, bytes, caption) {
  return p.evaluate(async ({ b64, aid, text }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const auth = { Authorization: `Bearer ${localStorage.getItem('samvaer.token')}`, 'Tus-Resumable': '1.0.0' };
    const meta = `kind ${btoa('photo')},agreement_id ${btoa(String(aid))}`;
    const created = await fetch('/files/', { method: 'POST', headers: { ...auth, 'Upload-Length': String(data.length), 'Upload-Metadata': meta } });
    const loc = created.headers.get('location');
    const done = await fetch(loc, { method: 'PATCH', headers: { ...auth, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: data });
    if (done.status !== 204) return { upload: done.status };
    const id = loc.split('/').pop();
    return window.testCall('msg.send', { agreement_id: aid, attachment_id: id, text, client_key: `m-${id}` });
  }, { b64: bytes.toString('base64'), aid: AID, text: caption });
}

const events = (p, name) => p.evaluate((n) => window.testEvents.filter((e) => e.event === n).map((e) => e.data), name);

await sc.run(async () => {
  sc.seedDemo();
  sc.setTerms(AID, { channels: { text: 'allowed', photo: 'moderated' } });
  const jpg = path.join(tmp, 'garden.jpg');
  const conv = spawnSync('convert', ['-size', '900x600', 'gradient:yellow-green', jpg], { timeout: 60000 });
  if (conv.status !== 0) throw new Error(`convert: ${conv.stderr}`);
  const photo = fs.readFileSync(jpg);
  await sc.startServer({ console: true, quiet: true });
  await sc.launchBrowser();
  const andrei = await page('andrei', '/');
  const mia = await page('mia', '/');
  await andrei.getByTestId('me-name').waitFor();
  await mia.getByTestId('me-name').waitFor();
  await openSocket(andrei);
  await openSocket(mia);
  const held = [];

  await runner.check('two photos on a moderated channel wait for approval', async () => {
    for (const caption of ['The garden', 'The street']) {
      const r = await sendPhoto(andrei, photo, caption);
      expect(r.ok && r.result.held === true && r.result.decision.reason === 'held_for_review', JSON.stringify(r));
      held.push(r.result.hold_id);
    }
    expect((await events(mia, 'message')).length === 0, 'mia received a held photo');
  });

  const sofie = await page('sofie', '/admin/');
  await runner.check('the supervisor sees each held photo with its thumbnail', async () => {
    await sofie.getByTestId('caseload').waitFor();
    await sofie.getByTestId('nav-held').click();
    await sofie.getByTestId('held-page').waitFor();
    for (const id of held) {
      const item = sofie.getByTestId(`held-${id}`);
      await item.waitFor();
      expect(await item.getAttribute('data-kind') === 'photo', 'a photo item');
      await item.getByTestId('held-photo').waitFor();
      await sofie.waitForFunction((hid) => {
        const img = document.querySelector(`[data-testid="held-${hid}"] img`);
        return img && img.complete && img.naturalWidth > 0;
      }, id);
    }
    expect(await sofie.getByTestId(`held-${held[0]}`).getByText('The garden').count() === 1, 'the caption is shown');
    await expectAccessible(sofie, 'moderation queue', { include: '[data-testid=held-page]' });
  });

  await runner.check('rejecting needs a reason, which the sender is told', async () => {
    const item = sofie.getByTestId(`held-${held[1]}`);
    await item.getByTestId('held-reject').click();
    await item.getByTestId('held-reason-needed').waitFor();
    expect(await item.getAttribute('data-state') === 'held', 'rejected without a reason');
    const reason = 'Please do not send pictures of the street.';
    await item.getByTestId('held-reject-reason').fill(reason);
    await item.getByTestId('held-reject').click();
    await item.getByTestId('held-done').waitFor();
    expect(await item.getAttribute('data-state') === 'rejected', 'state after rejecting');
    await andrei.waitForFunction((hid) => window.testEvents.some((e) => e.event === 'held' && e.data.hold_id === hid), held[1]);
    const told = (await events(andrei, 'held')).find((h) => h.hold_id === held[1]);
    expect(told.state === 'rejected' && told.reason === reason, JSON.stringify(told));
  });

  await runner.check('approving delivers the photo to the child', async () => {
    const item = sofie.getByTestId(`held-${held[0]}`);
    await item.getByTestId('held-release').click();
    await item.getByTestId('held-done').waitFor();
    await mia.waitForFunction(() => window.testEvents.some((e) => e.event === 'message' && e.data.attachment));
    const got = (await events(mia, 'message')).filter((m) => m.attachment);
    expect(got.length === 1 && got[0].text === 'The garden' && got[0].attachment.kind === 'photo', JSON.stringify(got));
    const status = await mia.evaluate(async (url) => (await fetch(url, { headers: { Authorization: `Bearer ${localStorage.getItem('samvaer.token')}` } })).status, got[0].attachment.url);
    expect(status === 200, `the child downloads it: ${status}`);
  });
});
