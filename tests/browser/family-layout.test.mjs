// Browser test: every family-app screen on a phone, in Romanian and in Danish, with long names: no page wider than
// the screen and every control wholly on screen at 320/360/390/414 px, portrait and landscape (lib/layout.mjs), and
// no serious accessibility violation (axe-core, lib/a11y.mjs). Along the way it checks what the screens say: the
// relationship first and large, the ringing screen with the caller's picture, pause asked with a picture, no Call
// button for a contact who cannot be called, the contact's own words for a pause, and a label (not a frozen picture)
// when the other side hides their face or goes sound only, driven by the server's call.sending.

import fs from 'node:fs';
import path from 'node:path';
import { createScenario, PATHS } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { rawSession } from './lib/calls.mjs';
import { forEachViewport, expectLayout } from './lib/layout.mjs';
import { expectAccessible } from './lib/a11y.mjs';

const CALLS = {
  channels: { text: 'allowed', voice_call: 'allowed', video_call: 'allowed' },
  limits: { min_gap_minutes: 120 }, // a second call is refused: the refusal screen
  supervision: { recording_allowed: true, listen_in_needs_consent: false }, // the recording question and label
};
// Long names, long relationships: what a real family has.
const PEOPLE = [
  ['ana', 'child', 'Ana-Maria Constantinescu'],
  ['andrei', 'contact', 'Andrei Popescu-Vasilescu'],
  ['ecaterina', 'contact', 'Ecaterina Bălănescu-Rădulescu'],
  ['radu', 'contact', 'Radu Constantinescu'],
  ['ioana', 'contact', 'Ioana Mărgărit'],
  ['signe', 'supervisor', 'Signe Dahl'],
];
// Per language: the relationships as the family writes them and a word the screens must show.
const LANGS = {
  ro: { locale: 'ro-RO', dad: 'Tata', gran: 'Străbunica Ecaterina', uncle: 'Unchiul Radu', aunt: 'Mătușa Ioana' },
  da: { locale: 'da-DK', dad: 'Far', gran: 'Oldemor Ecaterina', uncle: 'Morbror Radu', aunt: 'Moster Ioana' },
};

const sc = createScenario(import.meta.url, { label: 'family-layout', watchdogMs: 560000, password: 'samvaer-layout' });
const { runner, shot } = sc;

/** The screen at all eight phone sizes, then axe at the smallest. */
async function phoneScreen(page, label, opts = {}) {
  await forEachViewport(page, async (vp) => {
    await expectLayout(page, `${label} ${vp.name}`, opts);
    if (vp.width === 568) await shot(page, `${label} landscape`.replace(/\W+/g, '-'));
  });
  await page.setViewportSize({ width: 320, height: 568 });
  await shot(page, label.replace(/\W+/g, '-'));
  await expectAccessible(page, `${label} 320x568`);
}

async function newPage(name, baseUrl, locale) {
  const page = await sc.newPage(name, `${baseUrl}/`, { viewport: { width: 390, height: 844 }, locale });
  await page.locator('body[data-ready="yes"]').waitFor({ state: 'attached' });
  return page;
}

const login = (page, username) => sc.familyLogin(page, username);

const visibleText = (page, testid) => page.getByTestId(testid).innerText();

/** The family app's own words in a language (web/i18n/LANG.json). */
const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(PATHS.web, 'i18n', `${lang}.json`), 'utf8'));

/** One language's family: the child, four contacts (calls with Dad; a suspension; a carer's pause). */
function makeFamily(lang, words) {
  const people = PEOPLE.map(([u, role, name]) => [`${u}-${lang}`, role, name]);
  const ids = sc.addPeople(people);
  const child = `ana-${lang}`;
  sc.addCase(child, 'Europe/Bucharest', [['--supervisor', `signe-${lang}`]]);
  const agree = (who, rel) => Number(sc.admin(['agreement', 'add', child, `${who}-${lang}`, '--relationship', rel]).trim());
  const aids = { dad: agree('andrei', words.dad), gran: agree('ecaterina', words.gran),
    uncle: agree('radu', words.uncle), aunt: agree('ioana', words.aunt) };
  sc.setTerms(aids.dad, CALLS);
  sc.admin(['agreement', 'suspend', String(aids.uncle), '--reason', 'layout test']);
  sc.admin(['pause', String(aids.aunt), '--as', 'elena', '--reason', 'layout test', '--hours', '4']);
  return { ids, aids, child, dad: `andrei-${lang}`, supervisor: `signe-${lang}` };
}

async function family(baseUrl, lang) {
  const words = LANGS[lang];
  const fam = makeFamily(lang, words);
  let child;
  let dad;

  const started = await runner.check(`${lang}: the login, invitation and pairing screens fit and read well`, async () => {
    child = await newPage(`child-${lang}`, baseUrl, words.locale);
    expect(await child.evaluate(() => document.documentElement.lang) === lang, 'the page speaks the browser\'s language');
    expect(await visibleText(child, 'login-submit') !== 'Let’s go', 'the login button is translated');
    await phoneScreen(child, `${lang} login`, { scrollers: 'main' });
    await child.evaluate(() => { location.hash = '#/join'; });
    await child.getByTestId('join-code').waitFor({ state: 'visible' });
    await phoneScreen(child, `${lang} join`, { scrollers: 'main' });
    await child.goto(`${baseUrl}/`);
    await child.getByTestId('pair-open').click();
    await child.getByTestId('pair-code').waitFor({ state: 'visible' });
    await phoneScreen(child, `${lang} pair`, { scrollers: 'main' });
    await child.getByTestId('pair-back').click();
  });
  if (!started) return;

  await runner.check(`${lang}: the child's contacts show who they are first and large, and fit`, async () => {
    await login(child, fam.child);
    const card = child.getByTestId(`contact-${fam.aids.dad}`);
    await card.waitFor();
    expect(await card.getByTestId('contact-title').innerText() === words.dad, 'the relationship is the title');
    const sizes = await card.evaluate((c) => ({
      title: parseFloat(getComputedStyle(c.querySelector('.contact-name')).fontSize),
      name: parseFloat(getComputedStyle(c.querySelector('.contact-fullname')).fontSize),
      full: c.querySelector('.contact-fullname').textContent,
    }));
    expect(sizes.title > sizes.name * 1.3 && sizes.full === 'Andrei Popescu-Vasilescu', `sizes: ${JSON.stringify(sizes)}`);
    const uncle = await child.getByTestId(`contact-${fam.aids.uncle}`).getByTestId('contact-status').innerText();
    const aunt = await child.getByTestId(`contact-${fam.aids.aunt}`).getByTestId('contact-status').innerText();
    expect(uncle.includes(words.uncle) && aunt.includes(words.aunt) && uncle !== aunt,
      `a suspension and a carer's pause read differently to the child: "${uncle}" / "${aunt}"`);
    await phoneScreen(child, `${lang} contacts`, { scrollers: 'main' });
  });

  await runner.check(`${lang}: the chat header keeps Back, Dad, Call and Pause whole at every width`, async () => {
    await child.getByTestId(`contact-${fam.aids.dad}`).click();
    await child.getByTestId('chat-call').waitFor({ state: 'visible' });
    await child.getByTestId('chat-pause').waitFor({ state: 'visible' });
    expect(await visibleText(child, 'chat-name') === words.dad, 'the chat is titled with the relationship');
    await child.getByTestId('chat-input').fill('Bună! Hej! Ce mai faci astăzi, dragul meu? '.repeat(3));
    await child.getByTestId('chat-send').click();
    await child.locator('[data-testid="bubble"][data-seq]').first().waitFor();
    await phoneScreen(child, `${lang} chat`, { scrollers: '.chat-log' });
  });

  await runner.check(`${lang}: a suspended contact's chat says why to the child, with no Call button`, async () => {
    await child.evaluate((aid) => { location.hash = `#/chat/${aid}`; }, fam.aids.uncle);
    await child.locator('#chat-reason[data-reason="agreement_suspended"]').waitFor({ state: 'visible' });
    expect(await child.getByTestId('chat-call').isHidden(), 'no Call button for a suspended contact');
    await phoneScreen(child, `${lang} chat suspended`, { scrollers: '.chat-log' });
    await child.evaluate((aid) => { location.hash = `#/chat/${aid}`; }, fam.aids.dad);
    await child.getByTestId('chat-pause').waitFor({ state: 'visible' });
  });

  await runner.check(`${lang}: Pause asks first, with Dad's picture; "No" keeps contact`, async () => {
    await child.getByTestId('chat-pause').click();
    const dialog = child.getByTestId('pause-dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.locator('.pause-dialog-face .avatar').count() === 1, 'the question shows the person\'s picture');
    expect((await visibleText(child, 'pause-dialog-title')).includes(words.dad), 'the question names Dad');
    await phoneScreen(child, `${lang} pause question`);
    await child.getByTestId('pause-dialog-no').click();
    await dialog.waitFor({ state: 'hidden' });
    await child.waitForTimeout(300);
    expect(await child.getByTestId('chat-pause').getAttribute('data-paused') === 'no', '"No" did not pause');
  });

  await runner.check(`${lang}: after "Yes", Dad sees only that Ana-Maria is not available, and no Call button`, async () => {
    dad = await newPage(`dad-${lang}`, baseUrl, words.locale);
    await login(dad, fam.dad);
    await child.getByTestId('chat-pause').click();
    await child.getByTestId('pause-dialog-yes').click();
    await child.locator('[data-testid="chat-pause"][data-paused="yes"]').waitFor();
    const card = dad.getByTestId(`contact-${fam.aids.dad}`);
    await card.locator('[data-testid="contact-status"][data-reason="not_available"]').waitFor();
    const text = await card.getByTestId('contact-status').innerText();
    expect(text.includes('Ana-Maria Constantinescu'), `the contact's words name the child: ${text}`);
    await phoneScreen(dad, `${lang} contacts of a contact`, { scrollers: 'main' });
    await card.click();
    await dad.locator('#chat-reason[data-reason="not_available"]').waitFor({ state: 'visible' });
    expect(await dad.getByTestId('chat-call').isHidden(), 'no Call button for a child who is not available');
    expect(await dad.getByTestId('chat-pause').isHidden(), 'a contact has no pause button');
    await phoneScreen(dad, `${lang} chat not available`, { scrollers: '.chat-log' });
    await child.getByTestId('chat-pause').click(); // turning back on needs no question
    await child.locator('[data-testid="chat-pause"][data-paused="no"]').waitFor();
    await dad.getByTestId('chat-call').waitFor({ state: 'visible' });
  });

  await runner.check(`${lang}: the devices screen of an adult fits`, async () => {
    await dad.evaluate(() => { location.hash = '#/devices'; });
    await dad.getByTestId('device-list').waitFor({ state: 'attached' });
    await dad.locator('[data-testid^="pair-for-"]').first().waitFor();
    await phoneScreen(dad, `${lang} devices`, { scrollers: 'main' });
    await dad.evaluate((aid) => { location.hash = `#/chat/${aid}`; }, fam.aids.dad);
    await dad.getByTestId('chat-call').waitFor({ state: 'visible' });
  });

  await runner.check(`${lang}: Dad calls; the ringing screen shows his picture and "${words.dad}" large; calling fits`, async () => {
    await dad.getByTestId('chat-call').click();
    await child.locator('#view-call[data-state="ringing"]').waitFor({ state: 'visible' });
    expect(await visibleText(child, 'call-title') === words.dad, 'the ringing title is the relationship');
    const face = await child.evaluate(() => {
      const f = document.querySelector('#call-face .avatar');
      const h = document.querySelector('#call-title');
      return f && { w: f.getBoundingClientRect().width, font: parseFloat(getComputedStyle(h).fontSize) };
    });
    expect(face && face.w >= 100 && face.font >= 30, `a big picture and a big name: ${JSON.stringify(face)}`);
    await phoneScreen(child, `${lang} ringing`);
    await phoneScreen(dad, `${lang} calling`);
  });

  await runner.check(`${lang}: in the call, Hang up and the other controls stay on screen at every size`, async () => {
    await child.getByTestId('call-accept').click();
    for (const p of [child, dad]) await p.locator('#view-call[data-state="active"]').waitFor({ state: 'visible' });
    await phoneScreen(child, `${lang} in call (child)`);
    await phoneScreen(dad, `${lang} in call (contact)`);
  });

  await runner.check(`${lang}: Dad hides his face: the child sees a label naming ${words.dad}, not a frozen picture`, async () => {
    await dad.getByTestId('call-audio-only').click();
    const label = child.getByTestId('call-remote-off');
    await label.waitFor({ state: 'visible' });
    expect((await label.innerText()).includes(words.dad), `the label names Dad: ${await label.innerText()}`);
    const shown = await child.evaluate(() => ({
      video: getComputedStyle(document.querySelector('#call-remote')).visibility,
      from: document.querySelector('#view-call').dataset.remoteSending,
    }));
    expect(shown.video === 'hidden' && shown.from === 'hidden', `the picture gives way to the label: ${JSON.stringify(shown)}`);
    await phoneScreen(child, `${lang} in call, face hidden`);
    await dad.getByTestId('call-audio-only').click();
    await label.waitFor({ state: 'hidden' });
  });

  await runner.check(`${lang}: the child goes sound only: Dad is told so in words`, async () => {
    await child.getByTestId('call-sound-only').click();
    const label = dad.getByTestId('call-remote-off');
    await label.waitFor({ state: 'visible' });
    expect(await dad.locator('#view-call').getAttribute('data-remote-sending') === 'sound_only', 'sound only from the server');
    expect((await label.innerText()).includes('Ana-Maria'), `the label names the child: ${await label.innerText()}`);
    await phoneScreen(dad, `${lang} in call, sound only`);
  });

  // Recording (PROTOCOL.md §9): a supervisor joins the call (listen-in) and asks to record; the contact is asked,
  // the child never; once Dad says yes everyone sees the label. The supervisor has no screen here: a raw session.
  const words2 = catalog(lang);
  let supervisor = null;
  await runner.check(`${lang}: a supervisor asks to record: Dad is asked with Yes and No, the child is not; both fit`, async () => {
    supervisor = await sc.newPage(`supervisor-${lang}`, '/manifest.json');
    const sup = await rawSession(supervisor, fam.supervisor, sc.password);
    const live = await sup.request('calls.live');
    expect(live.ok && live.result.calls.length === 1, `calls.live: ${JSON.stringify(live)}`);
    const callId = live.result.calls[0].call_id;
    const joined = await sup.request('call.join', { call_id: callId });
    expect(joined.ok, `call.join: ${JSON.stringify(joined)}`);
    const asked = await sup.request('call.record', { call_id: callId, on: true });
    expect(asked.ok, `call.record: ${JSON.stringify(asked)}`);
    const ask = dad.getByTestId('call-record-ask');
    await ask.waitFor({ state: 'visible' });
    expect(await dad.locator('#call-record-ask-text').innerText() === words2['call.recording.ask'], 'the question in the app\'s language');
    expect(await visibleText(dad, 'call-record-yes') === words2['call.recording.yes'], 'Yes in the app\'s language');
    expect(await visibleText(dad, 'call-record-no') === words2['call.recording.no'], 'No in the app\'s language');
    const requested = child.locator('[data-testid="call-recording"][data-recording="requested"]');
    await requested.waitFor({ state: 'visible' });
    expect(await requested.innerText() === words2['call.recording.requested'], `the child's label: ${await requested.innerText()}`);
    expect(await child.getByTestId('call-record-ask').isHidden(), 'the child is asked to consent');
    await phoneScreen(dad, `${lang} recording question`);
    await phoneScreen(child, `${lang} in call, recording asked`);
  });

  await runner.check(`${lang}: Dad says yes: the call is recorded and both see the recording label; it fits`, async () => {
    await dad.getByTestId('call-record-yes').click();
    await dad.getByTestId('call-record-ask').waitFor({ state: 'hidden' });
    for (const p of [child, dad]) {
      const on = p.locator('[data-testid="call-recording"][data-recording="on"]');
      await on.waitFor({ state: 'visible' });
      expect(await on.innerText() === words2['call.recording.on'], `the label: ${await on.innerText()}`);
    }
    await phoneScreen(child, `${lang} in call, recorded (child)`);
    await phoneScreen(dad, `${lang} in call, recorded (contact)`);
  });

  await runner.check(`${lang}: the call ends; the end screen and the refusal of a call too soon fit`, async () => {
    await child.getByTestId('call-hangup').click();
    for (const p of [child, dad]) await p.locator('#view-call[data-state="ended"]').waitFor({ state: 'visible' });
    await phoneScreen(child, `${lang} call ended`);
    await dad.getByTestId('call-done').click();
    await child.getByTestId('call-done').click();
    await dad.getByTestId('chat-call').click();
    await dad.locator('#view-call[data-state="refused"][data-reason="limit_min_gap"]').waitFor({ state: 'visible' });
    await phoneScreen(dad, `${lang} call refused`);
    await dad.getByTestId('call-done').click();
  });

  for (const p of [child, dad, supervisor]) if (p) await p.context().close();
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer();
  await sc.launchBrowser();
  for (const lang of Object.keys(LANGS)) await family(sc.url, lang);
});
