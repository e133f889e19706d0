// Browser test: photos in the family app against a real samvaer. A parent sends a photo to a child whose photo channel
// is moderated; the sender sees it waiting; the supervisor approves it in the console's moderation queue; the child
// sees it (the image really loads). Then uploads that survive trouble: a PATCH dropped half-way resumes from the
// server's offset, and a page reloaded in the middle of an upload goes on from where the server got to (no new
// upload, no byte sent twice from the start), and the message arrives; a recorded voice note plays. Last, a profile
// photo set in the app shows on the other side's contact list.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { expectAccessible } from './lib/a11y.mjs';
import { layoutProblems, forEachViewport } from './lib/layout.mjs';

const PASSWORD = 'samvaer-demo';
const CHUNK = 1024 * 1024; // web/js/tus.js sends 1 MiB per PATCH

const sc = createScenario(import.meta.url, { label: 'media', watchdogMs: 240000 });
const { runner, shot } = sc;
const login = (page, username) => sc.familyLogin(page, username);

// ---- helpers ----

/** No service worker: requests of a page it controls do not reach page.route / page.on('request') (the tus checks). */
function newPage(name, url, viewport = { width: 420, height: 800 }) {
  return sc.newPage(name, url, { viewport, serviceWorkers: 'block', timeout: 10000 });
}

async function openChat(page, name) {
  await page.locator(`[data-testid^="contact-"][data-name*="${name}" i]`).click();
  await page.getByTestId('chat-log').waitFor();
}

/**
 * The media screens' own layout at every phone size: nothing of theirs sticks out, is off screen or cut. The rest of
 * the app (`ignore`: top bar, chat) is the family layout's test; a page made wide only by it is not counted here.
 */
async function expectOwnLayout(page, what, opts) {
  await forEachViewport(page, async (vp) => {
    const problems = (await layoutProblems(page, { ...opts, ignore: `.topbar, main${opts && opts.ignore ? `, ${opts.ignore}` : ''}` }))
      .filter((p) => !/too wide: unknown\)$/.test(p));
    expect(problems.length === 0, `${what} ${vp.name}: ${problems.join('; ')}`);
  });
  await page.setViewportSize({ width: 420, height: 800 });
}

/**
 * Pick a JPEG made in the page (a canvas of w x h; noisy ones do not compress, so they are big) through the
 * gallery input of the "+" sheet, as a user picking from their pictures does. Returns its size in bytes.
 */
async function pickPhoto(page, { w, h, noise }) {
  await page.getByTestId('chat-attach').click();
  await page.getByTestId('media-sheet').waitFor();
  if (page.checkSheet) await page.checkSheet(page);
  return page.evaluate(async ({ w, h, noise }) => {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext('2d');
    if (noise) {
      const img = g.createImageData(w, h);
      for (let at = 0; at < img.data.length; at += 65536) { // random pixels: a JPEG that barely compresses
        crypto.getRandomValues(img.data.subarray(at, Math.min(img.data.length, at + 65536)));
      }
      for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
      g.putImageData(img, 0, 0);
    } else {
      g.fillStyle = '#2a7'; g.fillRect(0, 0, w, h);
      g.fillStyle = '#fd3'; g.beginPath(); g.arc(w / 2, h / 2, Math.min(w, h) / 3, 0, 7); g.fill();
    }
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.95));
    const file = new File([blob], 'picture.jpg', { type: 'image/jpeg', lastModified: Date.now() });
    const input = document.querySelector('[data-testid="media-input-gallery"]');
    const dt = new DataTransfer();
    dt.items.add(file);
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    return file.size;
  }, { w, h, noise });
}

async function sendPicked(page) {
  await page.getByTestId('media-preview').waitFor();
  await page.getByTestId('media-send').click();
}

/** Wait until the photo bubble's image has really loaded, and return its natural width. */
async function loadedPhoto(page, selector) {
  const handle = await page.waitForFunction((sel) => {
    const img = document.querySelector(sel);
    return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : false;
  }, selector, { timeout: 15000 });
  return handle.jsonValue();
}

/** Record every tus request the page makes as it is sent: {method, offset, status (0 until answered), failed}. */
function watchTus(page) {
  const log = [];
  const entries = new Map(); // request -> its entry
  const isTus = (req) => new URL(req.url()).pathname.startsWith('/files');
  page.on('request', (req) => {
    if (!isTus(req)) return;
    const e = { method: req.method(), offset: Number(req.headers()['upload-offset'] || -1), status: 0 };
    entries.set(req, e);
    log.push(e);
  });
  page.on('response', (res) => {
    const e = entries.get(res.request());
    if (e) e.status = res.status();
  });
  page.on('requestfailed', (req) => {
    const e = entries.get(req);
    if (e) e.failed = true;
  });
  return log;
}

// ---- scenarios ----

async function moderated(base) {
  const andrei = await newPage('andrei', `${base}/`);
  await login(andrei, 'andrei');
  await openChat(andrei, 'mia');
  let heldKey = null;

  await runner.check('the parent attaches a photo from the gallery and sees it wait for approval', async () => {
    await andrei.getByTestId('chat-attach').waitFor({ state: 'visible' });
    andrei.checkSheet = async (page) => { // the "+" sheet: on screen at phone sizes, and accessible
      page.checkSheet = null;
      await expectOwnLayout(page, 'media sheet');
      await expectAccessible(page, 'media sheet', { include: '[data-testid="media-sheet"]' });
    };
    await pickPhoto(andrei, { w: 1200, h: 900, noise: false });
    await andrei.getByTestId('media-preview').waitFor();
    await expectAccessible(andrei, 'photo preview', { include: '[data-testid="media-preview"]' });
    await shot(andrei, 'm01-preview');
    await sendPicked(andrei);
    const bubble = andrei.locator('[data-testid="bubble"][data-pending="held"][data-kind="photo"]');
    await bubble.waitFor({ timeout: 20000 });
    heldKey = await bubble.getAttribute('data-key');
    const words = (await bubble.getByTestId('media-state').textContent()).trim();
    expect(words.length > 0, 'the held photo says nothing');
    await shot(andrei, 'm02-held');
  });

  const sofie = await newPage('sofie', `${base}/admin/`, { width: 1100, height: 900 });
  await runner.check('the supervisor sees the photo in the moderation queue and approves it', async () => {
    await sofie.getByTestId('login-username').fill('sofie');
    await sofie.getByTestId('login-password').fill(PASSWORD);
    await sofie.getByTestId('login-submit').click();
    await approveInConsole(sofie);
    await shot(sofie, 'm03-approved');
  });

  await runner.check('the sender sees the photo delivered once approved', async () => {
    await andrei.locator(`[data-testid="bubble"][data-key="${heldKey}"]`).waitFor({ state: 'detached', timeout: 15000 });
    const width = await loadedPhoto(andrei, '[data-testid="bubble"][data-seq][data-kind="photo"] img[data-testid="media-thumb"]');
    expect(width > 0, 'the sender\'s photo did not load');
  });

  const mia = await newPage('mia', `${base}/`);
  await runner.check('the child sees the approved photo, and it really loads', async () => {
    await login(mia, 'mia');
    await openChat(mia, 'andrei');
    const sel = '[data-testid="bubble"][data-mine="no"][data-kind="photo"] img[data-testid="media-thumb"]';
    const width = await loadedPhoto(mia, sel);
    expect(width > 0, 'thumbnail has no pixels');
    await mia.locator(sel).click();
    const full = await loadedPhoto(mia, '[data-testid="viewer-img"]');
    expect(full >= width, `the full photo (${full} px) is smaller than its thumbnail (${width} px)`);
    await shot(mia, 'm04-child-viewer');
    await mia.getByTestId('viewer-close').click();
  });

  await runner.check('the child finds the photo in the gallery of that contact', async () => {
    await mia.getByTestId('chat-gallery').click();
    await mia.getByTestId('gallery-tile').first().waitFor();
    const n = await mia.getByTestId('gallery-tile').count();
    expect(n === 1, `${n} tiles in the gallery`);
    await loadedPhoto(mia, '[data-testid="gallery-img"]');
    await expectAccessible(mia, 'gallery', { include: '[data-testid="gallery"]' });
    await expectOwnLayout(mia, 'gallery', { scrollers: '.media-gallery' });
    await mia.getByTestId('gallery-close').click();
  });
  return { andrei, mia };
}

/** The console's moderation queue (admin/console/js/view-held.js): the held photo's thumbnail loads; approve it. */
async function approveInConsole(page) {
  await page.getByTestId('nav-held').click();
  const item = page.locator('[data-testid^="held-"][data-state="held"][data-kind="photo"]').first();
  await item.waitFor({ timeout: 15000 });
  const width = await item.getByTestId('held-photo').evaluate((img) => new Promise((resolve) => {
    if (img.complete) resolve(img.naturalWidth);
    else {
      img.addEventListener('load', () => resolve(img.naturalWidth), { once: true });
      img.addEventListener('error', () => resolve(0), { once: true });
    }
  }));
  expect(width > 0, 'the queue\'s thumbnail did not load');
  await item.getByTestId('held-release').click();
  await page.locator('[data-testid^="held-"][data-state="released"]').first().waitFor({ timeout: 10000 });
}

async function resumes(base, andrei, mia) {
  const log = watchTus(andrei);

  await runner.check('a PATCH dropped half-way resumes from the server\'s offset and the photo arrives', async () => {
    let dropped = -1; // the offset of the PATCH whose connection "drops" before a byte of it reaches the server
    await andrei.route('**/files/**', async (route) => {
      const req = route.request();
      const offset = Number(req.headers()['upload-offset']);
      if (dropped < 0 && req.method() === 'PATCH' && offset >= CHUNK) {
        dropped = offset;
        await route.abort('connectionreset');
        return;
      }
      await route.continue();
    });
    const had = await andrei.locator('[data-testid="bubble"][data-seq][data-kind="photo"]').count();
    const size = await pickPhoto(andrei, { w: 2200, h: 1700, noise: true });
    await sendPicked(andrei);
    expect(size > 2.5 * CHUNK, `the test photo is only ${size} bytes: too small to need several PATCHes`);
    await andrei.waitForFunction((n) => document.querySelectorAll('[data-testid="bubble"][data-seq][data-kind="photo"]').length > n,
      had, { timeout: 30000 });
    await andrei.unroute('**/files/**');
    expect(dropped >= 0, 'no PATCH was dropped');
    // The page's request event can reach this process after the route handler ran: find the dropped PATCH by its
    // offset once every event is in, rather than marking it from the handler.
    const failedAt = log.findIndex((e) => e.failed || (e.method === 'PATCH' && e.offset === dropped));
    expect(failedAt >= 0, `the dropped PATCH (offset ${dropped}) is not in the page's request log`);
    const after = log.slice(failedAt + 1);
    expect(after.some((e) => e.method === 'HEAD' && e.status === 200), 'no HEAD asked where the upload got to');
    const posts = log.filter((e) => e.method === 'POST').length;
    expect(posts === 1, `${posts} uploads created for one photo`);
    const resumed = after.find((e) => e.method === 'PATCH');
    expect(resumed && resumed.offset >= CHUNK, `after the drop it sent from ${resumed && resumed.offset}, not from the server's offset`);
  });

  await runner.check('a reload in the middle of an upload goes on from the server\'s offset', async () => {
    log.length = 0;
    let release = null;
    const held = new Promise((resolve) => { release = resolve; });
    let stalled = false;
    await andrei.route('**/files/**', async (route) => {
      const req = route.request();
      if (!stalled && req.method() === 'PATCH' && Number(req.headers()['upload-offset']) >= 2 * CHUNK) {
        stalled = true;       // the third MiB never arrives: the page is reloaded meanwhile
        release();
        await new Promise((r) => setTimeout(r, 60000)).catch(() => {});
        return;
      }
      await route.continue().catch(() => {});
    });
    const had = await andrei.locator('[data-testid="bubble"][data-seq][data-kind="photo"]').count();
    const size = await pickPhoto(andrei, { w: 2400, h: 1800, noise: true });
    await sendPicked(andrei);
    expect(size > 3.5 * CHUNK, `the test photo is only ${size} bytes: too small to stop after two PATCHes`);
    await held;
    const before = log.filter((e) => e.method === 'PATCH' && e.status === 204).length;
    expect(before === 2, `${before} chunks reached the server before the reload, not 2`);
    log.length = 0;
    await andrei.reload(); // the third PATCH is still held: the reload cancels it
    await andrei.getByTestId('me-name').waitFor({ state: 'visible' });
    await andrei.unroute('**/files/**');
    await andrei.waitForFunction((n) => document.querySelectorAll('[data-testid="bubble"][data-seq][data-kind="photo"]').length > n,
      had, { timeout: 30000 }); // the photo was sent after the reload, by the upload the reload interrupted
    const first = log.find((e) => e.method === 'PATCH');
    expect(!log.some((e) => e.method === 'POST'), 'the reload started a new upload instead of resuming');
    expect(log.some((e) => e.method === 'HEAD' && e.status === 200), `no HEAD after the reload: ${JSON.stringify(log)}`);
    expect(first && first.offset === 2 * CHUNK, `after the reload it sent from ${first && first.offset}, not from 2 MiB`);
  });

  await runner.check('the parent records a voice note and the child plays it', async () => {
    await andrei.getByTestId('chat-attach').click();
    await andrei.getByTestId('media-voice').click();
    await andrei.getByTestId('recorder').waitFor();
    await andrei.getByTestId('rec-toggle').click();
    await andrei.locator('[data-testid="rec-toggle"][data-state="recording"]').waitFor();
    await andrei.waitForTimeout(2500);
    await andrei.getByTestId('rec-toggle').click();
    await andrei.getByTestId('rec-send').waitFor({ state: 'visible' });
    await expectAccessible(andrei, 'voice recorder', { include: '[data-testid="recorder"]' });
    await andrei.getByTestId('rec-send').click();
    await andrei.locator('[data-testid="bubble"][data-pending]').waitFor({ state: 'detached', timeout: 20000 });
    const voice = mia.locator('[data-testid="bubble"][data-mine="no"][data-kind="voice_note"]').last();
    await voice.waitFor({ timeout: 15000 });
    const bars = await voice.locator('.voice-wave rect').count();
    expect(bars >= 32, `the waveform has ${bars} bars`);
    const label = (await voice.locator('.media-duration').textContent()).trim();
    expect(/^0:0[1-4]$/.test(label), `a 2.5 s note reads ${label}`);
    await voice.getByTestId('voice-play').click();
    await mia.waitForFunction(() => {
      const a = [...document.querySelectorAll('[data-kind="voice_note"] audio')].pop();
      return a && a.currentTime > 0.3;
    }, null, { timeout: 10000 });
  });

  await runner.check('the child gets both resumed photos, and they load', async () => {
    await mia.waitForFunction(() => document.querySelectorAll('[data-testid="bubble"][data-mine="no"][data-kind="photo"]').length >= 3,
      null, { timeout: 20000 });
    const widths = await mia.$$eval('[data-testid="bubble"][data-mine="no"][data-kind="photo"] img', (imgs) => Promise.all(
      imgs.map((img) => (img.complete ? img.naturalWidth : new Promise((r) => { img.onload = () => r(img.naturalWidth); img.onerror = () => r(0); })))));
    expect(widths.every((w) => w > 0), `photo widths ${widths.join(', ')}`);
  });
}

async function profilePhoto(andrei, mia) {
  await runner.check('the parent sets his own photo and the child sees it on her contact list', async () => {
    await andrei.getByTestId('me-photo').click();
    await andrei.getByTestId('photo-dialog').waitFor();
    await andrei.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 600;
      canvas.height = 600;
      const g = canvas.getContext('2d');
      g.fillStyle = '#3a6'; g.fillRect(0, 0, 600, 600);
      g.fillStyle = '#fff'; g.fillRect(200, 150, 200, 300);
      const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.9));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'me.jpg', { type: 'image/jpeg' }));
      const input = document.querySelector('[data-testid="photo-input-gallery"]');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await andrei.getByTestId('photo-save').click();
    await andrei.getByTestId('photo-dialog').waitFor({ state: 'detached', timeout: 20000 });
    const mine = await loadedPhoto(andrei, '#me-avatar img.avatar');
    expect(mine > 0, 'his own picture in the top bar did not load');
    await mia.getByTestId('chat-back').click();
    const width = await loadedPhoto(mia, '[data-testid^="contact-"][data-name*="andrei" i] img.avatar');
    expect(width > 0, 'the child does not see his photo');
  });
}

await sc.run(async () => {
  sc.seedDemo();
  // mia <-> andrei (agreement 1): text allowed, photos moderated (held until a supervisor approves).
  sc.setTerms(1, { channels: { text: 'allowed', photo: 'moderated' } });
  await sc.startServer({ console: true });
  const base = sc.url;
  await sc.launchBrowser();
  const { andrei, mia } = await moderated(base);
  // From here photos need no approval, so the resume checks see the message arrive.
  sc.setTerms(1, { channels: { text: 'allowed', photo: 'allowed', voice_note: 'allowed' } });
  await new Promise((r) => setTimeout(r, 1500)); // the running server sees CLI changes within a second
  await andrei.reload();
  await andrei.getByTestId('me-name').waitFor({ state: 'visible' });
  await resumes(base, andrei, mia);
  await profilePhoto(andrei, mia);
});
