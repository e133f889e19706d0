// Browser test: the family app as an installable app that rings. Manifest and icons (and Chromium's installability
// check); the session kept across closing the page; a call to a page in the background rings (Web Audio tones that
// really sound, vibration, a system notification named by the relationship, all gone when the caller gives up); a
// call to a visible page rings without a notification and "Not now" silences it at the tap; a new message in the
// background notifies who wrote, never the text; a push delivered to the service worker (CDP) shows a notification
// without message text; a notification click brings the open app to its conversation; logging out (in any tab) and
// a dead token forget the session; with the server stopped the app still opens from the service worker's cache and
// says it is reconnecting, while a browser that never visited gets no page at all.
// Headless Chromium reports every page as visible (new tab, bringToFront, a minimised window: all checked), so the
// "page in the background" is made by overriding document.visibilityState in that page and firing
// visibilitychange, which is what the browser does when the tab goes to the background.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { bubble } from './lib/bubbles.mjs';

const CALL_TERMS = { channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' } };

const sc = createScenario(import.meta.url, { label: 'pwa', watchdogMs: 150000 });
const { runner, openPage } = sc;

async function newContext(origin, { notifications = true } = {}) {
  const context = await sc.newContext();
  if (notifications) await context.grantPermissions(['notifications'], { origin });
  return context;
}

const login = (page, username) => sc.familyLogin(page, username);

/** Put the page in the background (or back), as the browser does when its tab is hidden. */
function setHidden(page, hidden) {
  return page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** The service worker's notifications as plain objects (optionally only one tag). */
function notifications(page, tag) {
  return page.evaluate(async (t) => {
    const reg = await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 3000, null))]);
    if (!reg) throw new Error('no active service worker');
    const list = await reg.getNotifications(t ? { tag: t } : {});
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction, data: n.data }));
  }, tag || null);
}

async function waitForNotification(page, tag, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const list = await notifications(page, tag);
    if (list.length) return list;
    if (Date.now() > end) return [];
    await page.waitForTimeout(100);
  }
}

/** Tones started and the loudest sample seen over `ms` (sampled every 40 ms). */
function listenToRing(page, ms) {
  return page.evaluate(async (wait) => {
    const ring = window.__samvaerRing;
    const before = ring.tones();
    let loudest = 0;
    for (let t = 0; t < wait; t += 40) {
      loudest = Math.max(loudest, ring.peak());
      await new Promise((r) => setTimeout(r, 40));
    }
    return { audio: window.__samvaerRing.audio, ringing: window.__samvaerRing.ringing, before, after: ring.tones(), loudest };
  }, ms);
}

function pngSize(buf) {
  const sig = buf.subarray(0, 8).toString('hex') === '89504e470d0a1a0a';
  return sig ? [buf.readUInt32BE(16), buf.readUInt32BE(20)] : null;
}

async function scenario(base) {
  const ctx = {};
  let mia;
  let andrei;

  await runner.check('the manifest names the app and its SVG and PNG icons, all served with their types', async () => {
    const res = await fetch(`${base}/manifest.json`);
    expect(res.status === 200 && /json/.test(res.headers.get('content-type')), `manifest: ${res.status} ${res.headers.get('content-type')}`);
    const m = await res.json();
    expect(m.name === 'Samvaer' && m.short_name && m.start_url === '/' && m.display === 'standalone', `manifest: ${JSON.stringify(m)}`);
    expect(/^#[0-9a-f]{6}$/i.test(m.theme_color) && /^#[0-9a-f]{6}$/i.test(m.background_color), 'manifest colours');
    const want = { 'image/svg+xml': 'any', 'image/png': ['192x192', '512x512'] };
    for (const icon of m.icons) {
      const r = await fetch(new URL(icon.src, `${base}/`));
      const type = r.headers.get('content-type');
      expect(r.status === 200 && type === icon.type, `${icon.src}: ${r.status} ${type}`);
      const body = Buffer.from(await r.arrayBuffer());
      if (icon.type === 'image/png') {
        const [w, h] = pngSize(body) || [];
        expect(`${w}x${h}` === icon.sizes, `${icon.src} is ${w}x${h}, manifest says ${icon.sizes}`);
      } else {
        expect(/<svg[\s>]/.test(body.toString()), `${icon.src} is not SVG`);
      }
    }
    const types = new Set(m.icons.map((i) => (i.type === 'image/png' ? i.sizes : i.type)));
    for (const need of ['image/svg+xml', ...want['image/png']]) expect(types.has(need), `no icon ${need}`);
    const html = await (await fetch(`${base}/`)).text();
    expect(/<link rel="manifest" href="manifest.json">/.test(html), 'index.html does not link the manifest');
  });

  await runner.check('mia logs in; the service worker takes the page and caches the app shell; Chromium finds it installable', async () => {
    ctx.mia = await newContext(base);
    mia = await openPage(ctx.mia, 'mia', `${base}/`);
    await login(mia, 'mia');
    const shell = await mia.evaluate(async () => {
      for (let i = 0; i < 50 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 100));
      const names = await caches.keys();
      const name = names.find((n) => n.startsWith('samvaer-shell-'));
      const paths = name ? (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname) : [];
      return { controlled: !!navigator.serviceWorker.controller, names, paths };
    });
    expect(shell.controlled, 'the page is not controlled by the service worker');
    const cdp = await ctx.mia.newCDPSession(mia);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.url.endsWith('/manifest.json') && manifest.errors.length === 0, `manifest: ${JSON.stringify(manifest.errors)}`);
    // Playwright's contexts are off-the-record profiles, which never install apps ("in-incognito"): any other reason
    // is about the app (manifest fields, icons, service worker).
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    const errors = installabilityErrors.filter((e) => e.errorId !== 'in-incognito');
    expect(errors.length === 0, `Chromium would not install it: ${JSON.stringify(errors)}`);
    await cdp.detach();
    for (const p of ['/index.html', '/app.js', '/app.css', '/manifest.json', '/js/conn.js', '/js/ring.js', '/js/notify.js',
      '/js/call.js', '/icons/icon-192.png']) {
      expect(shell.paths.includes(p), `${p} is not in the shell cache (${shell.paths.join(' ')})`);
    }
  });

  await runner.check('the session survives closing the page: a new page opens signed in', async () => {
    const token = await mia.evaluate(() => localStorage.getItem('samvaer.token'));
    expect(token && token.length > 20, 'no session token in localStorage');
    await mia.close();
    mia = await openPage(ctx.mia, 'mia', `${base}/`);
    await mia.getByTestId('me-name').waitFor({ state: 'visible' });
    await mia.getByTestId('contact-1').waitFor({ state: 'visible' });
    expect((await mia.getByTestId('me-name').textContent()) === 'Mia', 'signed in as someone else');
    expect(await mia.getByTestId('login-username').isHidden(), 'the login form is showing');
  });

  await runner.check('andrei is asked about notifications only after login, and only by a button', async () => {
    ctx.andrei = await newContext(base, { notifications: false });
    andrei = await openPage(ctx.andrei, 'andrei', `${base}/`);
    expect(await andrei.getByTestId('notify-card').isHidden(), 'the notification card shows before login');
    expect((await andrei.evaluate(() => Notification.permission)) === 'default', 'permission was asked on page load');
    await login(andrei, 'andrei');
    await andrei.getByTestId('notify-card').waitFor({ state: 'visible' });
    await ctx.andrei.grantPermissions(['notifications'], { origin: base }); // stands in for the person's "Allow"
    await andrei.getByTestId('notify-enable').click();
    await andrei.getByTestId('notify-card').waitFor({ state: 'hidden' });
    // Then the app asks the server for its push key: "on" once the server has push, "off:<why>" until then.
    await andrei.waitForFunction(() => /^(on|off:)/.test(document.body.dataset.push || ''));
    console.log(`  push: ${await andrei.evaluate(() => document.body.dataset.push)}`);
  });

  let callId = null;
  await runner.check('a call to mia\'s hidden page rings: tones playing, vibration, and "Dad is calling"', async () => {
    sc.setTerms(1, CALL_TERMS);
    await mia.evaluate(() => {
      window.__vibrations = [];
      navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };
    });
    await setHidden(mia, true);
    await andrei.evaluate(() => { location.hash = '#/chat/1'; });
    await andrei.getByTestId('chat-call').waitFor({ state: 'visible' });
    await andrei.getByTestId('chat-call').click();
    await mia.locator('body[data-ringing="yes"]').waitFor({ state: 'attached' });
    callId = await mia.evaluate(() => window.__samvaerRing.callId);
    const heard = await listenToRing(mia, 2500);
    expect(heard.audio === 'running', `the ringtone's AudioContext is ${heard.audio}`);
    expect(heard.after - heard.before >= 2, `tones played over 2.5 s: ${heard.before} -> ${heard.after}`);
    expect(heard.loudest > 0.05, `the ringtone is silent (peak ${heard.loudest})`);
    const list = await waitForNotification(mia, `call-${callId}`);
    expect(list.length === 1, `notifications for call-${callId}: ${JSON.stringify(await notifications(mia))}`);
    expect(list[0].title === 'Dad is calling', `notification title: ${list[0].title}`);
    expect(list[0].requireInteraction, 'the call notification goes away by itself');
    const vib = await mia.evaluate(() => window.__vibrations);
    expect(vib.some((p) => Array.isArray(p) && p.length > 1), `no vibration pattern: ${JSON.stringify(vib)}`);
  });

  await runner.check('andrei gives up: the ringing and its notification stop', async () => {
    await andrei.getByTestId('call-hangup').click();
    await mia.locator('#view-call[data-state="ended"][data-reason="cancelled"]').waitFor({ state: 'attached' });
    await mia.locator('body[data-ringing="no"]').waitFor({ state: 'attached' });
    await mia.waitForTimeout(300);
    const after = await listenToRing(mia, 2500);
    expect(!after.ringing && after.after === after.before, `still ringing: ${JSON.stringify(after)}`);
    expect(after.loudest < 0.001, `still sounding (peak ${after.loudest})`);
    const end = Date.now() + 3000;
    while ((await notifications(mia, `call-${callId}`)).length && Date.now() < end) await mia.waitForTimeout(100);
    expect((await notifications(mia, `call-${callId}`)).length === 0, 'the call notification is still there');
    const vib = await mia.evaluate(() => window.__vibrations);
    expect(vib[vib.length - 1] === 0, `vibration not stopped: ${JSON.stringify(vib)}`);
    await mia.getByTestId('call-done').click();
    await andrei.getByTestId('call-done').click();
  });

  await runner.check('a message to the hidden page notifies who wrote, never the text; visible again clears it', async () => {
    const text = `Secret bedtime story ${Date.now()}`;
    await andrei.getByTestId('chat-input').fill(text);
    await andrei.getByTestId('chat-send').click();
    const list = await waitForNotification(mia, 'msg-1');
    expect(list.length === 1, `no message notification: ${JSON.stringify(await notifications(mia))}`);
    expect(list[0].title === 'New message from Dad', `title: ${list[0].title}`);
    expect(!JSON.stringify(list[0]).includes('bedtime'), `the notification shows the text: ${JSON.stringify(list[0])}`);
    await setHidden(mia, false);
    const end = Date.now() + 3000;
    while ((await notifications(mia, 'msg-1')).length && Date.now() < end) await mia.waitForTimeout(100);
    expect((await notifications(mia, 'msg-1')).length === 0, 'the message notification stayed after the app came back');
    const quiet = `Seen at once ${Date.now()}`;
    await andrei.getByTestId('chat-input').fill(quiet);
    await andrei.getByTestId('chat-send').click();
    await mia.evaluate(() => { location.hash = '#/chat/1'; });
    await bubble(mia, quiet, { any: true }).waitFor();
    expect((await notifications(mia)).length === 0, 'a visible page got a notification');
  });

  await runner.check('a call to the visible page rings without a notification; "Not now" silences it', async () => {
    await andrei.getByTestId('chat-call').click();
    await mia.locator('body[data-ringing="yes"]').waitFor({ state: 'attached' });
    const id = await mia.evaluate(() => window.__samvaerRing.callId);
    expect(id !== callId, 'the same call id twice');
    const heard = await listenToRing(mia, 1200);
    expect(heard.after > heard.before && heard.loudest > 0.05, `not ringing: ${JSON.stringify(heard)}`);
    expect((await notifications(mia, `call-${id}`)).length === 0, 'a visible page got a call notification');
    // Read the ringing state in the same click dispatch, after the app's own handlers (before any server answer).
    await mia.evaluate(() => document.getElementById('call-decline').addEventListener('click', () => {
      window.__ringingAtTap = document.body.dataset.ringing;
    }, { once: true }));
    await mia.getByTestId('call-decline').click();
    const atTap = await mia.evaluate(() => window.__ringingAtTap);
    expect(atTap === 'no', `still ringing at the tap on "Not now" (${atTap})`);
    await mia.locator('#view-call[data-state="ended"][data-reason="declined"]').waitFor({ state: 'attached' });
    await mia.getByTestId('call-done').click();
    await andrei.locator('#view-call[data-state="ended"]').waitFor({ state: 'attached' });
    await andrei.getByTestId('call-done').click();
  });

  await runner.check('a push delivered to the service worker shows a notification without message text', async () => {
    const cdp = await ctx.mia.newCDPSession(mia);
    const registrations = new Map();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      for (const r of e.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    const end = Date.now() + 3000;
    while (!registrations.has(`${base}/`) && Date.now() < end) await mia.waitForTimeout(50);
    const registrationId = registrations.get(`${base}/`);
    expect(registrationId, `no service worker registration for ${base}/: ${[...registrations.keys()]}`);
    const push = (payload) => cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data: JSON.stringify(payload) });
    // As the server sends it; the stray "text" stands for a careless sender: the worker shows only title and body.
    await push({ kind: 'message', title: 'New message from Dad', body: '', tag: 'msg-1', url: '/#/chat/1', text: 'Secret pancake recipe' });
    const msg = await waitForNotification(mia, 'msg-1');
    expect(msg.length === 1 && msg[0].title === 'New message from Dad', `message push: ${JSON.stringify(msg)}`);
    expect(!JSON.stringify(msg[0]).includes('pancake'), `the push notification shows the text: ${JSON.stringify(msg[0])}`);
    expect(msg[0].data && msg[0].data.url === '/#/chat/1', `url: ${JSON.stringify(msg[0].data)}`);
    await push({ kind: 'call', title: 'Dad is calling', body: 'Open Samvaer to answer.', tag: 'call-99', url: '/' });
    const call = await waitForNotification(mia, 'call-99');
    expect(call.length === 1 && call[0].title === 'Dad is calling' && call[0].requireInteraction, `call push: ${JSON.stringify(call)}`);
    await mia.evaluate(async () => (await (await navigator.serviceWorker.getRegistration()).getNotifications()).forEach((n) => n.close()));
    await cdp.detach();
  });

  await runner.check('tapping a message notification brings the open app to that conversation', async () => {
    await mia.getByTestId('chat-back').click();
    await mia.waitForFunction(() => location.hash === '#/');
    const worker = ctx.mia.serviceWorkers().find((w) => w.url() === `${base}/sw.js`);
    expect(worker, `no service worker to talk to: ${ctx.mia.serviceWorkers().map((w) => w.url())}`);
    // Headless has no notification to tap, so the worker gets the click event a tap would fire (untrusted, so
    // its waitUntil refuses and focus() is not allowed: what it posts to the page is the part checked here).
    await worker.evaluate(async () => {
      await self.registration.showNotification('New message from Dad', { tag: 'msg-1', data: { url: '/#/chat/1' } });
      const [notification] = await self.registration.getNotifications({ tag: 'msg-1' });
      try { self.dispatchEvent(new NotificationEvent('notificationclick', { notification })); } catch (e) { /* waitUntil */ }
    });
    await mia.waitForFunction(() => location.hash === '#/chat/1');
    await mia.getByTestId('chat-input').waitFor({ state: 'visible' });
    expect((await notifications(mia, 'msg-1')).length === 0, 'the tapped notification is still there');
  });

  await runner.check('logging out forgets the session in every tab; a dead token is forgotten too', async () => {
    const again = await openPage(ctx.andrei, 'andrei-2', `${base}/`);
    await again.getByTestId('me-name').waitFor({ state: 'visible' });
    await andrei.getByTestId('chat-back').click();
    await andrei.getByTestId('logout').click();
    await andrei.getByTestId('login-username').waitFor({ state: 'visible' });
    expect((await andrei.evaluate(() => localStorage.getItem('samvaer.token'))) === null, 'the token is still stored');
    await again.getByTestId('login-username').waitFor({ state: 'visible' }); // the other tab follows
    await andrei.close(); // one tab from here: a token set below would restart the other tab too
    await again.evaluate(() => localStorage.setItem('samvaer.token', 'not-a-token-0123456789abcdef0123456789'));
    await again.reload();
    await again.getByTestId('login-error').waitFor({ state: 'visible' });
    expect((await again.evaluate(() => localStorage.getItem('samvaer.token'))) === null, 'a refused token is kept');
  });

  await sc.expectCleanShutdown();

  await runner.check('with the server gone the app opens from its cache and says it is reconnecting', async () => {
    await mia.reload();
    await mia.locator('body[data-ready="yes"]').waitFor({ state: 'attached' });
    await mia.getByTestId('conn-status').waitFor({ state: 'visible' });
    await mia.getByText('Reconnecting').waitFor({ state: 'visible', timeout: 5000 });
    const fresh = await openPage(ctx.mia, 'mia-offline', `${base}/#/chat/1`);
    await fresh.locator('body[data-ready="yes"]').waitFor({ state: 'attached' });
    await fresh.getByText('Reconnecting').waitFor({ state: 'visible', timeout: 5000 });
    expect(await fresh.evaluate(() => !!navigator.serviceWorker.controller), 'not served by the service worker');
    // A browser that never visited has nothing to show: the check above is the cache, not a lucky server.
    const stranger = await newContext(base);
    const page = await stranger.newPage();
    let failed = false;
    try { await page.goto(`${base}/`); } catch (err) { failed = /ERR_CONNECTION_REFUSED/.test(err.message); }
    expect(failed, 'a browser that never visited got a page with the server stopped');
  });
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer();
  await sc.launchBrowser();
  await scenario(sc.url);
});
