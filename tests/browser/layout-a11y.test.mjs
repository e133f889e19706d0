// Browser test: the two checks other browser tests lean on (lib/layout.mjs, lib/a11y.mjs) catch what they promise:
// a page that is in order passes at all eight phone sizes, and a page with the faults issue 16 saw (a page wider
// than the phone, Hang up below the bottom of the screen, a Call button cut to "C", a Pause label spilling out of
// its box, a button without a name, grey-on-white text) fails with each fault named. Static pages, no server.

import fs from 'node:fs';
import path from 'node:path';
import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { PHONE_VIEWPORTS, forEachViewport, layoutProblems, expectLayout } from './lib/layout.mjs';
import { axeViolations, expectAccessible } from './lib/a11y.mjs';

const sc = createScenario(import.meta.url, { label: 'layout-a11y', tmpPrefix: 'samvaer-layout-', watchdogMs: 90000 });
const { runner, tmp } = sc;

const HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title>';
const GOOD = `${HEAD}<style>
  html { font-size: 100%; } body { margin: 0; font-family: sans-serif; color: #1a1a1a; background: #fff; }
  .top { display: flex; flex-wrap: wrap; gap: .5rem; padding: .5rem; align-items: center; }
  .name { flex: 1 1 8rem; min-width: 0; overflow-wrap: anywhere; margin: 0; font-size: 1.25rem; }
  .log { height: 40vh; overflow-y: auto; }
  .log a { display: block; padding: .75rem; }
  .bottom { position: fixed; bottom: 0; left: 0; right: 0; display: flex; justify-content: center; padding: .5rem; background: #fff; }
  button { font: inherit; padding: .5rem 1rem; }
  .skip { position: absolute; left: -999px; } .skip:focus { left: 8px; }
</style></head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><button type="button">Back</button><h1 class="name">Andrei Popescu-Constantinescu</h1>
  <button type="button">Call</button><button type="button">Pause</button></header>
<main id="main"><div class="log" data-testid="log">${Array.from({ length: 30 }, (_, i) => `<a href="#m${i}">Message ${i + 1}</a>`).join('')}</div></main>
<div class="bottom"><button type="button">Hang up</button></div>
</body></html>`;
const BAD = `${HEAD}<style>
  body { margin: 0; font-family: sans-serif; }
  .wide { width: 430px; background: #eee; }
  .call { width: 1.3rem; overflow: hidden; white-space: nowrap; padding: 0; }
  .pause { width: 2rem; white-space: nowrap; padding: 0; }
  .hangup { position: absolute; top: 900px; left: 10px; }
  .pale { color: #bbb; }
</style></head><body>
<main><div class="wide">A normal-length name and a header too wide for a phone</div>
<button type="button" class="call">Call</button> <button type="button" class="pause">Pause</button>
<button type="button" class="hangup">Hang up</button>
<button type="button" data-testid="nameless"><svg width="16" height="16"></svg></button>
<p class="pale">Grey text on white that few can read</p></main>
</body></html>`;

await sc.run(async () => {
  const site = path.join(tmp, 'site');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'good.html'), GOOD);
  fs.writeFileSync(path.join(site, 'bad.html'), BAD);
  await sc.serveStatic(site);
  await sc.launchBrowser();
  const context = await sc.browser.newContext();
  context.setDefaultTimeout(8000);
  const page = await sc.openPage(context, 'page', '/', { noGoto: true });

  await runner.check('eight phone sizes: 320/360/390/414 wide, portrait and landscape', async () => {
    expect(PHONE_VIEWPORTS.length === 8, 'eight');
    const seen = [];
    await page.goto(`${sc.url}/good.html`);
    await forEachViewport(page, async (vp) => { seen.push(await page.evaluate(() => `${innerWidth}x${innerHeight}`)); });
    expect(seen.join() === '320x568,568x320,360x740,740x360,390x844,844x390,414x896,896x414', seen.join());
  });
  await runner.check('a page in order passes at every size, and axe finds nothing serious', async () => {
    await page.goto(`${sc.url}/good.html`);
    await forEachViewport(page, (vp) => expectLayout(page, `good ${vp.name}`, { scrollers: '.log' }));
    await expectAccessible(page, 'good');
  });
  await runner.check('without naming the scroller, its links below the screen are reported', async () => {
    await page.goto(`${sc.url}/good.html`);
    await page.setViewportSize({ width: 320, height: 568 });
    const problems = await layoutProblems(page);
    expect(problems.some((p) => /<a> "Message 30" is off screen/.test(p)), problems.join('\n'));
  });
  await runner.check('the faults issue 16 saw are each found, at 390x844', async () => {
    await page.goto(`${sc.url}/bad.html`);
    await page.setViewportSize({ width: 390, height: 844 });
    const problems = await layoutProblems(page);
    const want = [/the page is 430 px wide on a 390 px screen \(too wide: <div\.wide>/, /<button\.hangup> "Hang up" is off screen/,
      /<button\.call> "C.*" has its text cut/, /<button\.pause> "Pause" has text running out of its box/];
    for (const w of want) expect(problems.some((p) => w.test(p)), `${w} not in:\n${problems.join('\n')}`);
    const axe = await axeViolations(page);
    const ids = axe.map((v) => v.id);
    expect(ids.includes('button-name'), `button-name not in ${ids}`);
    expect(ids.includes('color-contrast'), `color-contrast not in ${ids}`);
    const nameless = axe.find((v) => v.id === 'button-name');
    expect(nameless.nodes.some((n) => /nameless/.test(n.target + n.html)), 'the nameless button is the one named');
  });
  await runner.check('a document that may scroll lets controls below the screen pass, but not sideways ones', async () => {
    await page.goto(`${sc.url}/bad.html`);
    await page.setViewportSize({ width: 390, height: 844 });
    const problems = await layoutProblems(page, { documentScrolls: true });
    expect(!problems.some((p) => /Hang up/.test(p)), problems.join('\n'));
    expect(problems.some((p) => /430 px wide/.test(p)), 'still too wide');
  });
  await runner.check('expectLayout and expectAccessible throw with the screen named', async () => {
    let layoutErr = null;
    let axeErr = null;
    await expectLayout(page, 'bad 390', {}).catch((e) => { layoutErr = e; });
    await expectAccessible(page, 'bad screen').catch((e) => { axeErr = e; });
    expect(layoutErr && /^bad 390: \d+ layout problem/.test(layoutErr.message), String(layoutErr));
    expect(axeErr && /^bad screen: \d+ accessibility violation\(s\)\n(critical|serious) /.test(axeErr.message), String(axeErr));
  });
});
