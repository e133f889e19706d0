// Browser test: the admin console (/admin/) and the family app together against a real samvaer — a caseworker
// creates an agreement with a window open now, the carer approves it, the contact can write; a change to a
// closed window is approved and the contact is refused with outside_window. SAMVAER_MOCK=1: console only, mocked API.

import { createScenario, PATHS } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { bubble } from './lib/bubbles.mjs';
import { createConsoleWorld, installConsoleMock } from './lib/console-mock.mjs';

const MOCK = process.env.SAMVAER_MOCK === '1';
const ZONE = 'Europe/Bucharest'; // mia's case in the demo family

const sc = createScenario(import.meta.url, { label: 'console', watchdogMs: 85000, loopback: !MOCK });
const { runner } = sc;
const login = (page, username) => sc.signIn(page, username);
const shot = (page, name) => sc.shot(page, name, { fullPage: true });

// ---- wall-clock windows in the child's zone ----

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** {day: 'mon'..'sun', hhmm: 'HH:MM'} of the instant `ms` in `zone`. */
export function zoned(ms, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { day: parts.weekday.slice(0, 3).toLowerCase(), hhmm: `${parts.hour}:${parts.minute}` };
}

/** A weekly window from now+fromMin to now+toMin; it belongs to the day it starts on (it may cross midnight). */
export function windowAround(now, fromMin, toMin, zone = ZONE) {
  const start = zoned(now + fromMin * 60000, zone);
  const end = zoned(now + toMin * 60000, zone);
  if (!DAYS.includes(start.day)) throw new Error(`weekday ${start.day}`);
  return { day: start.day, start: start.hhmm, end: end.hhmm };
}

/** Whether `text` shows the wall-clock time HH:MM, written 24-hour or 12-hour as the locale does. */
export function hasClock(text, hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  const h12 = String(((h + 11) % 12) + 1).padStart(2, '0');
  return text.includes(hhmm) || text.includes(`${h12}:${String(m).padStart(2, '0')}`);
}

// ---- helpers over data-testid attributes ----

async function newPage(name, url, world) {
  const context = await sc.newContext({ viewport: { width: 1100, height: 900 }, timeout: 6000 });
  if (world) await installConsoleMock(context, world);
  return sc.openPage(context, name, url);
}

/** Fill weekly window row i of the editor. */
async function fillWindow(page, i, w) {
  await page.locator(`select[data-field="windows.weekly[${i}].day"]`).selectOption(w.day);
  await page.locator(`input[data-field="windows.weekly[${i}].start"]`).fill(w.start);
  await page.locator(`input[data-field="windows.weekly[${i}].end"]`).fill(w.end);
}

/** Approve the waiting proposal for `who` in the carer's inbox. */
async function approveInInbox(page, who, check) {
  await page.getByTestId('nav-approvals').click();
  await page.getByTestId('approvals-page').waitFor();
  const item = page.locator('[data-testid^="approval-"]', { hasText: who });
  await item.first().waitFor();
  expect((await item.count()) === 1, `${await item.count()} proposals for ${who} in the inbox`);
  if (check) await check(item);
  await item.getByTestId('approval-note').fill('Agreed at the family meeting.');
  await item.getByTestId('approve').click();
  await item.getByTestId('decision-done').waitFor();
}

/** Visible form controls with no accessible name (no <label>, aria-label or aria-labelledby). */
function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((n) => n.offsetParent !== null && n.type !== 'hidden')
    .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.getAttribute('aria-labelledby'))
    .map((n) => n.dataset.field || n.dataset.testid || n.name || n.tagName));
}

const familyContact = (page, name) => page.locator(`[data-testid^="contact-"][data-name*="${name}" i]`);

/** Send a text over the page's own session on an extra socket; resolves with the answer frame. */
function rawSend(page, aid, text) {
  return page.evaluate(async ({ agreementId, body }) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'samvaer.v1');
    const answers = new Map();
    ws.onmessage = (ev) => { const m = JSON.parse(ev.data); if (answers.has(m.id)) answers.get(m.id)(m); };
    const call = (id, frame) => new Promise((resolve) => { answers.set(id, resolve); ws.send(JSON.stringify({ id, ...frame })); });
    await new Promise((resolve) => { ws.onopen = resolve; });
    await call(1, { type: 'auth.resume', token: localStorage.getItem('samvaer.token') });
    const answer = await call(2, { type: 'msg.send', agreement_id: agreementId, text: body, client_key: `console-test-${Date.now()}` });
    ws.close();
    return answer;
  }, { agreementId: aid, body: text });
}

// ---- the scenario ----

async function scenario(base, world) {
  // letters only, so the contact-detail screening never mistakes it for a phone number
  const stamp = (Date.now() % 100000).toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[d]);
  const heldText = `Call me on 0722 123 456 ${stamp}`;
  let stopped = false;
  const step = async (name, fn) => {
    if (stopped) return;
    if (!(await runner.check(name, fn))) { stopped = true; console.log('  (stopping the scenario after the first failure)'); }
  };
  const consoleUrl = `${base}/admin/`;
  const ana = await newPage('ana', consoleUrl, world);
  let caseId = 0;
  let aid = 0;

  await step('ana logs into the console and sees mia in her caseload', async () => {
    await login(ana, 'ana');
    await ana.getByTestId('caseload').waitFor();
    const card = ana.locator('[data-testid^="case-"]', { hasText: 'Mia' });
    await card.first().waitFor();
    caseId = Number((await card.first().getAttribute('data-testid')).replace('case-', ''));
    expect(caseId > 0, 'no case id');
    expect(await card.first().locator('[data-testid^="agreement-"][data-status]').count() >= 2, 'mia\'s agreements not listed');
    const cases = await ana.evaluate(() => fetch('/api/cases', { headers: { Authorization: `Bearer ${sessionStorage.getItem('samvaer.console.token')}` } }).then((r) => r.json()));
    const miaCase = (Array.isArray(cases) ? cases : cases.cases).find((c) => c.id === caseId);
    expect((await childOf(ana, caseId)) === String(miaCase.child.id), 'the report link does not name mia\'s account');
    await shot(ana, 'c01-caseload');
  });

  await step('a missing time is refused in plain words next to that field', async () => {
    await ana.locator(`[data-testid="case-${caseId}"] [data-testid="new-agreement"]`).click();
    await ana.getByTestId('new-agreement-page').waitFor();
    expect((await ana.locator('[data-testid="terms-form"]').getAttribute('data-zone')) === ZONE, 'the editor does not name the child\'s zone');
    expect((await ana.getByTestId('editor-zone').textContent()).includes(ZONE), 'the editor does not say which zone its times are in');
    expect(await ana.locator('input[type="time"][data-field="windows.weekly[0].start"]').count() === 0, 'a window row before adding one');
    await ana.getByTestId('contact-username').fill('ioana');
    await ana.getByTestId('relationship').fill('Family friend');
    await ana.getByTestId('weekly-add').click();
    expect((await ana.locator('input[data-field="windows.weekly[0].start"]').getAttribute('type')) === 'time', 'the start is not a time picker');
    expect((await ana.locator('input[data-field="validity.from"]').getAttribute('type')) === 'date', 'the start date is not a date picker');
    await ana.locator('select[data-field="windows.weekly[0].day"]').selectOption('mon');
    await ana.locator('input[data-field="windows.weekly[0].end"]').fill('18:00');
    await ana.getByTestId('editor-submit').click();
    const input = ana.locator('input[data-field="windows.weekly[0].start"]');
    const err = ana.locator('input[data-field="windows.weekly[0].start"] + [data-testid="field-error"]');
    await err.waitFor();
    const words = (await err.textContent()).trim();
    expect(words === 'Choose a time.', `field message "${words}"`);
    const top = (await ana.getByTestId('form-error').textContent()).trim();
    expect(/From \(Every week, row 1\)/.test(top), `the form's message does not name the field in words: "${top}"`);
    expect(!/HH:MM|windows\.|weekly\[/.test(top + words), `developer wording shown: "${top}"`);
    expect((await err.getAttribute('data-for')).endsWith('windows.weekly[0].start'), `error for ${await err.getAttribute('data-for')}`);
    expect((await input.getAttribute('aria-invalid')) === 'true', 'input not marked invalid');
    expect((await input.getAttribute('aria-describedby')) === (await err.getAttribute('id')), 'message not tied to the input');
    expect((await ana.getByTestId('form-status').getAttribute('data-code')) === 'invalid_terms', 'code is not invalid_terms');
    expect((await ana.getByTestId('field-error').count()) === 1, 'more than one field message');
    const bare = await unlabelled(ana);
    expect(bare.length === 0, `form controls without a label: ${bare.join(', ')}`);
    await shot(ana, 'c02-invalid-time');
  });

  const open = windowAround(Date.now(), -60, 120);
  await step(`ana creates an agreement with ioana, window open now (${open.day} ${open.start}-${open.end} ${ZONE})`, async () => {
    await fillWindow(ana, 0, open);
    await ana.locator('input[data-field="privacy.screen_contact_details"]').check();
    await ana.getByTestId('editor-submit').click();
    await ana.locator('[data-testid="agreement-page"], [data-testid="case-page"]').first().waitFor();
    if (await ana.getByTestId('agreement-page').count()) {
      aid = Number(await ana.getByTestId('agreement-page').getAttribute('data-agreement-id'));
    } else {
      aid = Number((await ana.locator('[data-testid^="agreement-"][data-contact="ioana"]').getAttribute('data-testid')).replace('agreement-', ''));
    }
    expect(aid > 0, 'no agreement id');
    await ana.goto(`${consoleUrl}#/agreement/${aid}`);
    await ana.getByTestId('agreement-page').waitFor();
    expect((await ana.getByTestId('agreement-status').getAttribute('data-status')) === 'pending', 'not pending');
    await ana.locator('[data-testid^="proposal-"][data-status="pending"]').waitFor();
    await shot(ana, 'c03-created-pending');
  });

  const elena = await newPage('elena', consoleUrl, world);
  await step('elena (carer) approves it in her inbox and it becomes active', async () => {
    await login(elena, 'elena');
    await elena.getByTestId('caseload').waitFor();
    await elena.locator('[data-testid="count-approvals"][data-n="1"]').waitFor();
    await shot(elena, 'c04-inbox');
    await approveInInbox(elena, 'Ioana');
    await ana.reload();
    await ana.locator('[data-testid="agreement-status"][data-status="active"]').waitFor();
  });

  let ioana = null;
  let mia = null;
  if (!MOCK) {
    await step('in the family app ioana sees mia, can write, and mia receives it', async () => {
      ioana = await newPage('ioana', `${base}/`);
      mia = await newPage('mia', `${base}/`);
      await login(ioana, 'ioana');
      await login(mia, 'mia');
      await familyContact(ioana, 'mia').waitFor();
      expect((await familyContact(ioana, 'mia').getAttribute('data-can-write')) === 'yes', 'ioana cannot write');
      await familyContact(ioana, 'mia').click();
      const hello = `Hello Mia from Ioana ${stamp}`;
      await ioana.getByTestId('chat-input').fill(hello);
      await ioana.getByTestId('chat-send').click();
      await bubble(ioana, hello).waitFor();
      await familyContact(mia, 'ioana').click();
      await bubble(mia, hello).waitFor();
      // the child writes inside the window too
      const reply = `Hi Ioana from Mia ${stamp}`;
      await mia.getByTestId('chat-input').fill(reply);
      await mia.getByTestId('chat-send').click();
      await bubble(ioana, reply).waitFor();
    });

    await step('a text with a phone number is held (screening on), not delivered', async () => {
      const answer = await rawSend(ioana, aid, heldText);
      expect(answer.ok && answer.result && answer.result.held === true, `send answer ${JSON.stringify(answer)}`);
      await mia.waitForTimeout(400);
      expect((await mia.getByText(heldText).count()) === 0, 'mia received a held message');
    });

    await step('sofie (supervisor) reviews held messages: releasing one delivers it', async () => {
      const sofie = await newPage('sofie', consoleUrl);
      await login(sofie, 'sofie');
      await sofie.getByTestId('caseload').waitFor();
      await sofie.getByTestId('nav-held').click();
      await sofie.getByTestId('held-page').waitFor();
      if (await sofie.getByTestId('held-unavailable').count()) {
        console.log('  (GET /api/messages/held is not on this server yet: the release is not tested)');
        await shot(sofie, 'c05b-held-unavailable');
        return;
      }
      const item = sofie.locator('[data-testid^="held-"][data-state="held"]', { hasText: heldText });
      await item.waitFor();
      await shot(sofie, 'c05b-held');
      await item.getByTestId('held-release').click();
      await sofie.getByTestId('held-done').waitFor();
      await bubble(mia, heldText).waitFor();
      await sofie.context().close();
    });
  }

  const closed = windowAround(Date.now(), 180, 240);
  await step(`ana proposes a closed window (${closed.day} ${closed.start}-${closed.end}); the old terms stay meanwhile`, async () => {
    await ana.getByTestId('propose-change').click();
    await ana.getByTestId('propose-page').waitFor();
    expect((await ana.locator('tr[data-testid="weekly-row"]').count()) === 1, 'the current window is not prefilled');
    expect((await ana.locator('input[data-field="windows.weekly[0].start"]').inputValue()) === open.start, 'prefilled start differs');
    await fillWindow(ana, 0, closed);
    await ana.getByTestId('editor-submit').click();
    await ana.getByTestId('agreement-page').waitFor();
    await ana.locator('[data-testid^="proposal-"][data-status="pending"]').waitFor();
    expect((await ana.getByTestId('agreement-status').getAttribute('data-status')) === 'active', 'agreement left active state');
    expect(hasClock(await ana.getByTestId('sum-weekly').first().textContent(), open.start), 'terms in force changed before approval');
    if (ioana) {
      await ioana.waitForTimeout(300);
      expect(!(await ioana.getByTestId('chat-send').isDisabled()), 'ioana blocked before the change was approved');
    }
    await shot(ana, 'c05-change-pending');
  });

  await step('elena approves the change; ioana cannot write now and sees the next opening', async () => {
    await approveInInbox(elena, 'Ioana', async (item) => {
      const diff = await item.getByTestId('diff-weekly').textContent();
      expect(hasClock(diff, open.start) && hasClock(diff, closed.start), `the inbox does not show the window change: ${diff}`);
      await shot(elena, 'c05c-inbox-change');
    });
    await ana.reload();
    await ana.getByTestId('agreement-page').waitFor();
    expect(hasClock(await ana.getByTestId('sum-weekly').first().textContent(), closed.start), 'new terms not in force');
    if (!ioana) return;
    const reason = ioana.getByTestId('chat-reason');
    await reason.waitFor({ state: 'visible', timeout: 4000 });
    expect((await reason.getAttribute('data-reason')) === 'outside_window', `reason ${await reason.getAttribute('data-reason')}`);
    expect(/again/i.test(await reason.textContent()), `no next opening in "${await reason.textContent()}"`);
    expect(await ioana.getByTestId('chat-send').isDisabled(), 'send still enabled');
    const answer = await rawSend(ioana, aid, `Outside the window ${stamp}`);
    expect(!answer.ok && answer.error && answer.error.code === 'outside_window', `send answer ${JSON.stringify(answer)}`);
    await shot(ioana, 'c06-ioana-closed');
    // and the child cannot write outside the window either
    const miaReason = mia.getByTestId('chat-reason');
    await miaReason.waitFor({ state: 'visible', timeout: 4000 });
    expect((await miaReason.getAttribute('data-reason')) === 'outside_window', `mia's reason ${await miaReason.getAttribute('data-reason')}`);
    expect(await mia.getByTestId('chat-send').isDisabled(), 'mia can still send');
    const miaAnswer = await rawSend(mia, aid, `Mia outside the window ${stamp}`);
    expect(!miaAnswer.ok && miaAnswer.error && miaAnswer.error.code === 'outside_window', `mia's send answer ${JSON.stringify(miaAnswer)}`);
  });

  await step('elena pauses andrei in an emergency; ana sees the notice and marks it read', async () => {
    await elena.getByTestId('nav-cases').click();
    await elena.locator('[data-testid^="agreement-"][data-contact="andrei"] [data-testid="agreement-link"]').first().click();
    await elena.getByTestId('pause-form').waitFor();
    await elena.getByTestId('pause-reason').fill('Mia is ill this week');
    await elena.getByTestId('pause-hours').fill('24');
    await elena.getByTestId('pause-form-submit').click();
    await elena.locator('[data-testid="pauses"] li[data-active="yes"]').waitFor();
    await shot(elena, 'c07-paused');
    await ana.getByTestId('nav-notices').click();
    const unread = ana.locator('[data-testid^="notice-"][data-read="no"]');
    await unread.first().waitFor();
    const before = await unread.count();
    await unread.first().getByTestId('notice-mark-read').click();
    await ana.locator('[data-testid^="notice-"][data-read="yes"]').first().waitFor();
    expect((await unread.count()) === before - 1, 'notice still unread');
    await shot(ana, 'c08-notices');
  });

  await step('the audit view lists the case\'s changes and the chain verifies', async () => {
    await ana.goto(`${consoleUrl}#/audit/${caseId}`);
    await ana.getByTestId('audit-page').waitFor();
    expect((await ana.getByTestId('verify-result').getAttribute('data-ok')) === 'yes', await ana.getByTestId('verify-result').textContent());
    expect((await ana.locator('[data-testid^="audit-"][data-kind]').count()) >= 3, 'too few audit entries');
    for (const kind of MOCK ? [] : ['agreement_created', 'proposal', 'approval', 'terms_changed', 'pause', 'refusal']) {
      expect((await ana.locator(`[data-testid^="audit-"][data-kind="${kind}"]`).count()) > 0, `no ${kind} entry in the audit view`);
    }
    await shot(ana, 'c09-audit');
  });
}

async function childOf(page, caseId) {
  const href = await page.locator(`[data-testid="case-${caseId}"] [data-testid="report-link"]`).getAttribute('href');
  return new URLSearchParams(href.split('?')[1]).get('child');
}

await sc.run(async () => {
  let world = null;
  if (MOCK) {
    world = createConsoleWorld();
    await sc.serveStatic(PATHS.web, { '/admin/': PATHS.console });
  } else {
    sc.seedDemo();
    await sc.startServer({ console: true });
  }
  await sc.launchBrowser();
  await scenario(sc.url, world);
});
