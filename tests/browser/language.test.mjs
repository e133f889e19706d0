// Browser test: the family app's language setting with the real server. A ro-RO phone shows the setting in Romanian
// before anyone chose; choosing Dansk switches the app at once and is saved on the account, so the same person on
// an English browser gets Danish after login (and the server's words too: a wrong-member error stays a code, the
// contact state message is Danish); "as on this device" returns each browser to its own language. The setting has
// no serious accessibility fault and fits a 320 px phone.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, runInLoopbackNamespace } from './lib/browser.mjs';
import { freePort, seedDemo, startServer, makeTempDir } from './lib/server.mjs';
import { createRunner, expect, guardProcess } from './lib/harness.mjs';
import { expectAccessible } from './lib/a11y.mjs';
import { layoutProblems } from './lib/layout.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
runInLoopbackNamespace(fileURLToPath(import.meta.url));
const tmp = makeTempDir('samvaer-language-');
const runner = createRunner({ shotDir: process.env.SAMVAER_SHOTS || path.join(tmp, 'shots'), label: 'language' });
const state = { server: null, browser: null };
async function cleanup() {
  if (state.browser) await state.browser.close().catch(() => {});
  if (state.server) await state.server.stop();
  state.browser = state.server = null;
}
const watchdog = guardProcess(runner, cleanup, 120000);

async function open(locale, name) {
  const context = await state.browser.newContext({ locale, viewport: { width: 390, height: 844 } });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`  [${name} page error] ${err.message}`));
  runner.addPage(name, page);
  await page.goto(state.server.url);
  await page.getByTestId('login-username').fill('andrei');
  await page.getByTestId('login-password').fill('samvaer-demo');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me-name').waitFor({ state: 'visible' });
  await page.locator('#contact-list[aria-busy="false"]').waitFor({ state: 'attached' });
  return page;
}

const label = (page) => page.locator('[data-testid=language-card] label').textContent();

try {
  const bin = process.env.SAMVAER_BIN;
  const admin = process.env.SAMVAER_ADMIN;
  if (!bin || !admin) throw new Error('SAMVAER_BIN and SAMVAER_ADMIN must be set (ctest sets them)');
  const web = process.env.SAMVAER_WEB || path.resolve(HERE, '../../web');
  const data = seedDemo(admin, tmp);
  state.server = await startServer({ bin, data, web, port: await freePort(), logFile: path.join(tmp, 'server.log') });
  state.browser = await launchBrowser();
  const ro = await open('ro-RO', 'ro-phone');

  await runner.check('a Romanian phone shows the setting in Romanian before anyone chose', async () => {
    await ro.waitForFunction(() => document.documentElement.lang === 'ro');
    expect(await label(ro) === 'Limba', `label: ${await label(ro)}`);
    const first = await ro.locator('[data-testid=language-select] option').first().textContent();
    expect(first === 'Ca pe acest dispozitiv (Română)', `device option: ${first}`);
    const names = await ro.locator('[data-testid=language-select] option').allTextContents();
    expect(names.slice(1).join() === 'English,Română,Dansk,Italiano,Español', names.join());
  });
  await runner.check('the setting is accessible and fits a 320 px phone', async () => {
    await expectAccessible(ro, 'language setting', { include: '[data-testid=language-card]' });
    await ro.setViewportSize({ width: 320, height: 568 });
    const boxes = await ro.evaluate(() => ['language-card', 'language-select'].map((id) => {
      const r = document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
      return { id, left: r.left, right: r.right, width: document.documentElement.clientWidth };
    }));
    for (const b of boxes) expect(b.left >= 0 && b.right <= b.width + 1, `${b.id} sticks out: ${JSON.stringify(b)}`);
    const cut = (await layoutProblems(ro, { documentScrolls: true })).filter((p) => /language-select|"Limba"/.test(p)
      && !/page is/.test(p));
    expect(cut.length === 0, cut.join('\n'));
    await ro.setViewportSize({ width: 390, height: 844 });
  });
  await runner.check('choosing Dansk switches the app at once', async () => {
    await ro.getByTestId('language-select').selectOption('da');
    await ro.waitForFunction(() => document.documentElement.lang === 'da');
    expect(await label(ro) === 'Sprog', `label: ${await label(ro)}`);
  });
  const en = await open('en-US', 'en-laptop');
  await runner.check('the same person on an English browser gets Danish after login (saved on the account)', async () => {
    await en.waitForFunction(() => document.documentElement.lang === 'da');
    expect(await label(en) === 'Sprog', `label: ${await label(en)}`);
    expect(await en.getByTestId('language-select').inputValue() === 'da', 'Dansk is selected');
  });
  await runner.check('"as on this device" gives each browser its own language again', async () => {
    await en.getByTestId('language-select').selectOption('');
    await en.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await label(en) === 'Language', `label: ${await label(en)}`);
    await ro.reload();
    await ro.getByTestId('me-name').waitFor({ state: 'visible' });
    await ro.waitForFunction(() => document.documentElement.lang === 'ro');
    expect(await label(ro) === 'Limba', `after a reload the ro phone follows its own language: ${await label(ro)}`);
  });
} catch (err) {
  runner.fail('setup', err);
}
clearTimeout(watchdog);
await cleanup();
process.exit(runner.summary());
