// Browser test: web/js/i18n.js in Chromium, as the family app and the console load it: the language comes from the
// browser (ro-RO -> Romanian, a language we lack -> English), data-i18n text and data-i18n-attr attributes are
// filled, Romanian plurals follow Intl.PluralRules, a key a translation lacks falls back to English, setLocale
// switches at once (and fires i18n:change), is remembered across a reload, and '' returns to the browser's language;
// times show in the named zone with its label. The page and its catalogs are written to a temporary directory next
// to copies of the two modules, so the test needs no server build.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB_JS = path.join(HERE, '../../web/js');

const sc = createScenario(import.meta.url, { label: 'i18n', watchdogMs: 60000 });
const { runner, tmp } = sc;

const CATALOGS = {
  en: { 'demo.title': 'Hello', 'demo.unread': '{count, plural, one {# new message} other {# new messages}}',
    'demo.send': 'Send to {name}', 'demo.only_en': 'English only' },
  ro: { 'demo.title': 'Bună ziua', 'demo.unread': '{count, plural, one {Un mesaj nou} few {# mesaje noi} other {# de mesaje noi}}',
    'demo.send': 'Trimite lui {name}' },
  da: { 'demo.title': 'Hej', 'demo.unread': '{count, plural, one {# ny besked} other {# nye beskeder}}', 'demo.send': 'Send til {name}' },
  it: {}, es: {},
};
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>i18n</title>
<script type="module">
  import * as i18n from '/js/i18n.js';
  window.i18n = i18n;
  window.changes = [];
  document.addEventListener('i18n:change', (e) => window.changes.push(e.detail.locale));
  await i18n.initI18n('/i18n/');
  window.ready = true;
</script></head><body>
<h1 data-i18n="demo.title">Hello</h1>
<p id="fallback" data-i18n="demo.only_en"></p>
<button id="send" data-i18n-attr="aria-label:demo.send title:demo.send" data-i18n-args='{"name":"Bunica"}'>→</button>
</body></html>`;

function writeSite(dir) {
  fs.mkdirSync(path.join(dir, 'js'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'i18n'), { recursive: true });
  for (const f of ['i18n.js', 'messageformat.js']) fs.copyFileSync(path.join(WEB_JS, f), path.join(dir, 'js', f));
  for (const [lang, cat] of Object.entries(CATALOGS)) fs.writeFileSync(path.join(dir, 'i18n', `${lang}.json`), JSON.stringify(cat));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
}

async function open(context) {
  const page = await sc.openPage(context, `page${Math.random().toString(36).slice(2, 6)}`, '/');
  await page.waitForFunction(() => window.ready === true);
  return page;
}

const MS = Date.UTC(2026, 10, 18, 17, 40);

await sc.run(async () => {
  const site = path.join(tmp, 'site');
  writeSite(site);
  await sc.serveStatic(site);
  await sc.launchBrowser();
  const ro = await sc.browser.newContext({ locale: 'ro-RO' });
  ro.setDefaultTimeout(8000);
  const page = await open(ro);

  await runner.check('a ro-RO browser gets Romanian, with lang="ro"', async () => {
    expect(await page.textContent('h1') === 'Bună ziua', `h1: ${await page.textContent('h1')}`);
    expect(await page.getAttribute('html', 'lang') === 'ro', 'lang attribute');
    expect(await page.getAttribute('#send', 'aria-label') === 'Trimite lui Bunica', 'aria-label with its argument');
    expect(await page.getAttribute('#send', 'title') === 'Trimite lui Bunica', 'title with its argument');
  });
  await runner.check('Romanian plurals (one, few, other) and the English fallback', async () => {
    const got = await page.evaluate(() => [1, 2, 20, 101].map((count) => window.i18n.t('demo.unread', { count })));
    expect(JSON.stringify(got) === JSON.stringify(['Un mesaj nou', '2 mesaje noi', '20 de mesaje noi', '101 mesaje noi']), got.join(' | '));
    expect(await page.textContent('#fallback') === 'English only', 'a key the Romanian catalog lacks shows in English');
  });
  await runner.check('setLocale switches at once, fires i18n:change, and is remembered', async () => {
    await page.evaluate(() => window.i18n.setLocale('da'));
    expect(await page.textContent('h1') === 'Hej', 'h1 in Danish');
    expect(await page.getAttribute('html', 'lang') === 'da', 'lang="da"');
    expect((await page.evaluate(() => window.changes)).join() === 'ro,da', 'i18n:change fired for each');
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    expect(await page.textContent('h1') === 'Hej', 'Danish again after a reload');
    await page.evaluate(() => window.i18n.setLocale(''));
    expect(await page.textContent('h1') === 'Bună ziua', "'' follows the browser again");
    expect(await page.evaluate(() => window.i18n.chosenLocale()) === '', 'no language chosen');
  });
  await runner.check('the last language asked for wins, even when an earlier one loads slower', async () => {
    await page.route('**/i18n/da.json', async (route) => {
      await new Promise((r) => setTimeout(r, 600));
      await route.continue();
    });
    await page.evaluate(() => Promise.all([window.i18n.setLocale('da'), window.i18n.setLocale('ro')]));
    expect(await page.textContent('h1') === 'Bună ziua', `h1: ${await page.textContent('h1')}`);
    expect(await page.evaluate(() => window.i18n.locale()) === 'ro', 'locale() is ro');
    await page.unroute('**/i18n/da.json');
  });
  await runner.check('times in the child\'s zone, labelled', async () => {
    const s = await page.evaluate((ms) => window.i18n.fmtDateTime(ms, 'Europe/Bucharest'), MS);
    expect(s === '18 nov. 2026, 19:40 EET', s);
  });
  const de = await sc.browser.newContext({ locale: 'de-DE' });
  const page2 = await open(de);
  await runner.check('a language without a catalog falls back to English', async () => {
    expect(await page2.textContent('h1') === 'Hello', await page2.textContent('h1'));
    expect(await page2.getAttribute('html', 'lang') === 'en', 'lang="en"');
  });
});
