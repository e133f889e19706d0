// Browser test: a child's tablet paired from the console — the carer makes a pairing code in the console, a second
// browser context (the tablet) opens the pairing link, names itself and is signed in; closing and reopening the page,
// and restarting the server, keep it signed in (device credential in localStorage, never a password); the carer's
// family app shows a code too; revoking the device in the console sends the tablet back to the pairing screen.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';

const PASSWORD = 'samvaer-demo';
const CODE_RE = /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;

const sc = createScenario(import.meta.url, { label: 'devices', watchdogMs: 90000 });
const { runner } = sc;
const newPage = (context, name, url) => sc.openPage(context, name, url, { dialogs: 'accept' });
const shot = (page, name) => sc.shot(page, name, { fullPage: true });

async function signedInAsMia(page) {
  await page.waitForFunction(() => document.body.dataset.view === 'contacts', null, { timeout: 8000 });
  const name = await page.getByTestId('me-name').textContent();
  expect(name === 'Mia', `signed in as ${name}, want Mia`);
  expect(await page.getByTestId('login-username').isHidden(), 'no login form');
}

async function scenario(base) {
  const consoleCtx = await sc.newContext({ viewport: { width: 1100, height: 900 }, timeout: 6000 });
  const tabletCtx = await sc.newContext({ viewport: { width: 800, height: 1000 }, timeout: 6000 });
  let code = '';
  let carer;

  await runner.check('the carer makes a pairing code for mia in the console (code and QR shown large)', async () => {
    carer = await newPage(consoleCtx, 'console', `${base}/admin/`);
    await sc.signIn(carer, 'elena');
    await carer.locator('[data-child="mia"]').getByTestId('devices-link').click();
    const mia = carer.getByTestId('person-mia');
    await mia.getByTestId('pair-new').click();
    code = (await mia.getByTestId('pair-code').textContent()).trim();
    expect(CODE_RE.test(code), `a readable code: ${code}`);
    const qr = await mia.locator('svg.pair-qr path').count();
    expect(qr === 1, 'a QR image beside the code');
    const link = await mia.getByTestId('pair-link').getAttribute('href');
    expect(link === `${base}/#pair=${code}`, `the pairing link ${link}`);
    await shot(carer, 'console-pair-code');
  });

  let tablet;
  await runner.check('the tablet opens the pairing link, names itself and is signed in as mia', async () => {
    tablet = await newPage(tabletCtx, 'tablet', `${base}/#pair=${code}`);
    await tablet.waitForFunction(() => document.body.dataset.view === 'pair');
    expect(await tablet.getByTestId('pair-code').inputValue() === code, 'the code comes from the link');
    await shot(tablet, 'tablet-pair-screen');
    await tablet.getByTestId('pair-name').fill('Mia’s tablet');
    await tablet.getByTestId('pair-submit').click();
    await signedInAsMia(tablet);
    const stored = await tablet.evaluate(() => ({ cred: localStorage.getItem('samvaer.device'), all: JSON.stringify(localStorage) }));
    expect(/^[0-9a-f]{64}$/.test(stored.cred || ''), 'a device credential in localStorage');
    expect(!stored.all.includes(PASSWORD), 'no password stored');
  });

  await runner.check('closed and reopened, the tablet is still signed in', async () => {
    await tablet.close();
    tablet = await newPage(tabletCtx, 'tablet-again', `${base}/`);
    await signedInAsMia(tablet);
  });

  await runner.check('after a server restart the tablet signs in again by itself', async () => {
    await tablet.close();
    await sc.stopServer();
    await sc.startServer({ console: true });
    // a new browser session: sessionStorage (the old token) is gone with the tab, the credential stays
    tablet = await newPage(tabletCtx, 'tablet-restart', `${base}/`);
    await signedInAsMia(tablet);
  });

  await runner.check('the console lists the tablet with its name and last use', async () => {
    await carer.reload();
    const rows = carer.getByTestId('person-mia').getByTestId('device-row');
    await rows.first().waitFor();
    expect(await rows.count() === 1, `${await rows.count()} devices for mia`);
    expect((await rows.first().textContent()).includes('Mia’s tablet'), 'named as the tablet named itself');
    expect((await rows.first().getByTestId('device-last-seen').textContent()) !== 'never', 'last seen shown');
    await shot(carer, 'console-devices');
  });

  await runner.check('the carer’s family app shows a pairing code for mia', async () => {
    const app = await newPage(consoleCtx, 'carer-app', `${base}/`);
    await app.getByTestId('login-username').fill('Elena'); // any case
    await app.getByTestId('login-password').fill(PASSWORD);
    await app.getByTestId('login-submit').click();
    await app.getByTestId('devices-open').click();
    await app.getByTestId('pair-for-mia').click();
    await app.getByTestId('pair-shown').waitFor();
    const shown = (await app.getByTestId('pair-code-big').textContent()).trim();
    expect(CODE_RE.test(shown) && shown !== code, `a new code in the app: ${shown}`);
    expect(await app.locator('[data-testid="pair-qr"] svg path').count() === 1, 'with its QR');
    const listed = await app.getByTestId('device-list').textContent();
    expect(listed.includes('Mia’s tablet'), `mia's devices listed in the app: ${listed}`);
    await app.close();
  });

  await runner.check('a password reset in the console: temporary password shown, andrei told at his next login', async () => {
    const andrei = carer.getByTestId('person-andrei');
    await andrei.getByTestId('reset-password').click();
    const temp = (await andrei.getByTestId('temporary-password').textContent()).trim();
    expect(CODE_RE.test(temp), `a readable temporary password: ${temp}`);
    // andrei's own phone: a browser profile of its own (the app keeps one signed-in account per profile)
    const andreiCtx = await sc.browser.newContext({ viewport: { width: 420, height: 800 } });
    const app = await newPage(andreiCtx, 'andrei-app', `${base}/`);
    await app.getByTestId('login-username').fill('ANDREI');
    await app.getByTestId('login-password').fill(PASSWORD);
    await app.getByTestId('login-submit').click();
    await app.getByTestId('login-error').waitFor();
    expect((await app.getByTestId('login-error').getAttribute('data-code')) === 'bad_credentials', 'old password refused');
    await app.getByTestId('login-password').fill(temp);
    await app.getByTestId('login-submit').click();
    await app.getByTestId('notice').waitFor();
    const text = await app.getByTestId('notice').textContent();
    expect(text.includes('password was reset'), `the notice: ${text}`);
    await app.close();
  });

  await runner.check('revoked in the console, the tablet is back at the pairing screen within 2 s', async () => {
    await carer.getByTestId('person-mia').getByTestId('device-revoke').click();
    const t0 = Date.now();
    await tablet.waitForFunction(() => document.body.dataset.view === 'pair', null, { timeout: 3000 });
    const ms = Date.now() - t0;
    console.log(`  tablet at the pairing screen ${ms} ms after the click`);
    expect(ms < 2000, `took ${ms} ms`);
    expect(await tablet.evaluate(() => localStorage.getItem('samvaer.device')) === null, 'credential forgotten');
    await carer.getByTestId('person-mia').getByTestId('no-devices').waitFor();
  });
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer({ console: true });
  await sc.launchBrowser();
  await scenario(sc.url);
});
