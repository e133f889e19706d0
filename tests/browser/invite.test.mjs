// Browser test: an invitation end to end against a real samvaer (demo family) — elena (carer) invites a relative in
// the console and gets a code, link and QR code; the relative opens the link in a second browser context and joins
// with a new account; she waits (mia sees nothing of her) until ana (caseworker) approves in the console; then the
// relative and mia exchange a first message, each seeing the other's text. A grandmother then joins on her phone
// without a password (a device credential), closes the app and opens it again: still signed in.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { bubble } from './lib/bubbles.mjs';

const AUTH_TIMEOUT_S = 2; // the server closes a socket that has not logged in after this: the join form outlives it
const CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/;

const sc = createScenario(import.meta.url, { label: 'invite', watchdogMs: 120000 });
const { runner } = sc;
const login = (page, username) => sc.signIn(page, username);
const shot = (page, name) => sc.shot(page, name, { fullPage: true });

// ---- helpers over data-testid attributes ----

const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';

function newPage(name, url, viewport = { width: 1100, height: 900 }, userAgent = undefined) {
  return sc.newPage(name, url, { viewport, timeout: 6000, ...(userAgent ? { userAgent } : {}) });
}

const familyContact = (page, name) => page.locator(`[data-testid^="contact-"][data-name*="${name}" i]`);

async function send(page, text) {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
}

// ---- the scenario ----

async function scenario(base) {
  const stamp = (Date.now() % 100000).toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[d]);
  const username = `maria${stamp}`;
  const hello = `Ciao Mia, sono la mamma ${stamp}`;
  const reply = `Hi Mum ${stamp}`;
  let stopped = false;
  const step = async (name, fn) => {
    if (stopped) return;
    if (!(await runner.check(name, fn))) { stopped = true; console.log('  (stopping the scenario after the first failure)'); }
  };
  const elena = await newPage('elena', `${base}/admin/`);
  let link = '';
  let code = '';
  let maria = null;
  let mia = null;
  let ana = null;

  await step('elena (carer) invites "Maria, Mother" for mia in the console: code, link and QR shown', async () => {
    await login(elena, 'elena');
    await elena.getByTestId('caseload').waitFor();
    const card = elena.locator('[data-testid^="case-"]', { hasText: 'Mia' }).first();
    await card.getByTestId('invite-link-page').click();
    await elena.getByTestId('invites-page').waitFor();
    await elena.getByTestId('invite-name').fill('Maria');
    await elena.getByTestId('invite-relationship').fill('Mother');
    await elena.getByTestId('invite-language').selectOption('it');
    await elena.getByTestId('invite-submit').click();
    await elena.getByTestId('invite-result').waitFor();
    code = (await elena.getByTestId('invite-code').textContent()).trim();
    expect(CODE_RE.test(code), `the code is three groups of four readable characters: ${code}`);
    link = await elena.getByTestId('invite-link').getAttribute('href');
    expect(link === `${base}/#join=${code}`, `the link opens the family app with the code: ${link}`);
    const qrWidth = await elena.getByTestId('invite-qr').evaluate((img) => img.complete ? img.naturalWidth : 0);
    expect(qrWidth > 100, `the QR code image renders (${qrWidth} px wide)`);
    const row = elena.locator('[data-testid^="invite-"][data-state]', { hasText: 'Maria' });
    await row.first().waitFor();
    expect(await row.first().getAttribute('data-state') === 'open', 'the list shows the invitation open');
    expect(!(await elena.getByTestId('invites-list').textContent()).includes(code.slice(5)), 'the list never shows the secret part');
    await shot(elena, 'i01-invitation');
  });

  await step('mia is logged in to the family app and does not see Maria', async () => {
    mia = await newPage('mia', `${base}/`, { width: 420, height: 760 });
    await login(mia, 'mia');
    await mia.getByTestId('me-name').waitFor({ state: 'visible' });
    await mia.locator('#contact-list[aria-busy="false"]').waitFor({ state: 'attached' });
    await familyContact(mia, 'Andrei').first().waitFor();
    expect((await familyContact(mia, 'Maria').count()) === 0, 'Maria is listed before she joined');
  });

  await step('Maria opens the link in her own browser, creates an account and waits for approval', async () => {
    maria = await newPage('maria', link, { width: 420, height: 760 });
    await maria.getByTestId('join').waitFor();
    const intro = maria.getByTestId('join-intro');
    await intro.waitFor();
    const text = await intro.textContent();
    for (const word of ['Elena Popescu', 'Mia', 'Mother']) expect(text.includes(word), `the invitation says ${word}: ${text}`);
    expect(await maria.getByTestId('join-name').inputValue() === 'Maria', 'her name is filled in from the invitation');
    expect(await maria.getByTestId('join-language').inputValue() === 'it', 'the suggested language is selected');
    await maria.getByTestId('join-name').fill('Maria Rossi');
    await maria.getByTestId('join-username').fill(username);
    await maria.getByTestId('join-password').fill('maria-password-1');
    await shot(maria, 'i02a-join');
    await maria.waitForTimeout(AUTH_TIMEOUT_S * 1000 + 1200); // reading the form: the server closed her socket
    await maria.getByTestId('join-submit').click();
    await maria.getByTestId('waiting').waitFor();
    expect((await maria.getByTestId('waiting-text').textContent()).includes('Mia'), 'the waiting screen names the child');
    await shot(maria, 'i02-waiting');
  });

  await step('the code cannot be used twice, and mia still sees nothing of Maria', async () => {
    const again = await newPage('again', `${base}/#join=${code.toLowerCase()}`, { width: 420, height: 760 });
    await again.getByTestId('join-error').waitFor();
    expect(await again.getByTestId('join-error').getAttribute('data-code') === 'invite_used', 'reuse refused with invite_used');
    await again.close();
    await mia.waitForTimeout(300);
    expect((await familyContact(mia, 'Maria').count()) === 0, 'Maria reached the child before approval');
  });

  await step('ana (caseworker) sees Maria in the approvals inbox and approves', async () => {
    ana = await newPage('ana', `${base}/admin/`);
    await login(ana, 'ana');
    await ana.getByTestId('caseload').waitFor();
    await ana.getByTestId('nav-approvals').click();
    await ana.getByTestId('approvals-page').waitFor();
    const item = ana.locator('[data-testid^="approval-"]', { hasText: 'Maria Rossi' });
    await item.first().waitFor();
    expect((await item.count()) === 1, `${await item.count()} proposals for Maria in the inbox`);
    expect((await item.textContent()).includes('Mother'), 'the inbox item shows the relationship');
    await item.getByTestId('approve').click();
    await item.getByTestId('decision-done').waitFor();
    await shot(ana, 'i03-approved');
  });

  await step('Maria\'s app moves on by itself: Mia is in her contacts and she writes first', async () => {
    const mine = familyContact(maria, 'Mia');
    await mine.first().waitFor({ timeout: 5000 });
    await maria.waitForFunction(() => document.querySelector('[data-testid^="contact-"][data-name*="Mia"]')?.dataset.canWrite === 'yes');
    await mine.first().click();
    await send(maria, hello);
    await bubble(maria, hello).waitFor();
  });

  await step('mia sees Maria appear, reads her message and answers; Maria sees the answer', async () => {
    const her = familyContact(mia, 'Maria');
    await her.first().waitFor({ timeout: 5000 });
    await her.first().click();
    await bubble(mia, hello).waitFor();
    await send(mia, reply);
    await bubble(mia, reply).waitFor();
    await bubble(maria, reply).waitFor();
    await shot(mia, 'i04-mia');
    await shot(maria, 'i05-maria');
  });

  await step('elena\'s list shows the invitation used', async () => {
    await elena.reload();
    await elena.getByTestId('invites-page').waitFor();
    const row = elena.locator('[data-testid^="invite-"][data-state]', { hasText: 'Maria' }).first();
    await row.waitFor();
    expect(await row.getAttribute('data-state') === 'used', `state ${await row.getAttribute('data-state')}`);
  });

  await step('ioana, already logged in to the family app, opens another invitation and joins with her account', async () => {
    await elena.getByTestId('invite-name').fill('Ioana');
    await elena.getByTestId('invite-relationship').fill('Godmother');
    await elena.getByTestId('invite-submit').click();
    await elena.locator('[data-testid="invite-result"]', { hasText: 'Ioana' }).waitFor();
    const link2 = await elena.getByTestId('invite-link').getAttribute('href');
    const ioana = await newPage('ioana', `${base}/`, { width: 420, height: 760 });
    await login(ioana, 'ioana');
    await ioana.getByTestId('me-name').waitFor({ state: 'visible' });
    await ioana.goto(link2);
    const asMe = ioana.getByTestId('join-as-me');
    await asMe.waitFor();
    expect((await asMe.textContent()).includes('Ioana Marin'), `offers her own account: ${await asMe.textContent()}`);
    expect(await ioana.getByTestId('join-username').isHidden(), 'no new-account form when logged in');
    await asMe.click();
    await ioana.getByTestId('waiting').waitFor();
    await elena.reload();
    await elena.getByTestId('invites-page').waitFor();
    const row = elena.locator('[data-testid^="invite-"][data-state]', { hasText: 'Godmother' }).first();
    await row.waitFor();
    expect(await row.getAttribute('data-state') === 'used', `state ${await row.getAttribute('data-state')}`);
  });

  await step('a grandmother joins on her phone without a password, closes the app, opens it again: still signed in', async () => {
    await elena.getByTestId('invite-name').fill('Ileana');
    await elena.getByTestId('invite-relationship').fill('Grandmother');
    await elena.getByTestId('invite-submit').click();
    await elena.locator('[data-testid="invite-result"]', { hasText: 'Ileana' }).waitFor();
    const link3 = await elena.getByTestId('invite-link').getAttribute('href');
    const phone = await newPage('ileana', link3, { width: 400, height: 800 }, PHONE_UA);
    await phone.getByTestId('join-intro').waitFor();
    expect(await phone.getByTestId('join-way-device').isChecked(), 'on a phone, "stay signed in on this device" is the default');
    expect(await phone.getByTestId('join-password').isHidden(), 'no password asked for on that choice');
    expect(await phone.getByTestId('join-device-name').inputValue() === 'Phone', 'the device is called Phone');
    await phone.getByTestId('join-username').fill(`ileana${stamp}`);
    await shot(phone, 'i06-join-phone');
    await phone.getByTestId('join-submit').click();
    await phone.getByTestId('waiting').waitFor();
    const kept = await phone.evaluate(() => localStorage.getItem('samvaer.device'));
    expect(/^[0-9a-f]{64}$/.test(kept || ''), `the phone keeps its device credential: ${kept}`);
    // only the credential may sign her in again: drop the session token, close the app, open it again
    await phone.evaluate(() => localStorage.removeItem('samvaer.token'));
    const context = phone.context();
    await phone.close();
    const again = await sc.openPage(context, 'ileana-again', `${base}/`);
    await again.getByTestId('me-name').waitFor({ state: 'visible' });
    expect((await again.getByTestId('me-name').textContent()).includes('Ileana'), 'signed in as Ileana');
    expect(await again.getByTestId('login-username').isHidden(), 'no login form');
    const token = await again.evaluate(() => localStorage.getItem('samvaer.token'));
    expect(/^[0-9a-f]{64}$/.test(token || ''), 'a new session from the credential');
    await shot(again, 'i07-reopened');
  });
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer({ console: true, args: ['--auth-timeout-s', String(AUTH_TIMEOUT_S)] });
  await sc.launchBrowser();
  await scenario(sc.url);
});
