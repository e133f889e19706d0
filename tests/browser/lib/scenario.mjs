// scenario.mjs: the start-up and tear-down every browser test shares: a loopback-only network namespace, a temp dir,
// a fresh data dir, the server, Chromium, pages with people logged in, and one clean ending (screenshots, summary,
// artifacts kept only on failure, exit code). A test file keeps only its own story.
//
//   import { createScenario } from './lib/scenario.mjs';
//   const sc = createScenario(import.meta.url, { label: 'call', watchdogMs: 85000 });
//   await sc.run(async () => {
//     sc.seedDemo();                                  // the demo family in sc.data; sc.admin([...]) runs samvaer-admin
//     sc.setTerms(1, { channels: { text: 'allowed', voice_call: 'allowed' } });
//     await sc.startServer({ console: true });        // sc.url; sc.stopServer() and startServer() again keep the port
//     await sc.launchBrowser();
//     const mia = await sc.newPage('mia');            // a context of its own, at sc.url + '/'
//     await sc.familyLogin(mia, 'mia');               // the login form, then the contact list loaded
//     await sc.check('mia sees ...', async () => { ... });
//     await sc.expectCleanShutdown();                 // the check that the server stops with 0 and no sanitizer report
//   });

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, runInLoopbackNamespace } from './browser.mjs';
import { freePort, seedDemo, startServer, makeTempDir } from './server.mjs';
import { createRunner, expect, guardProcess } from './harness.mjs';
import { adminRunner, addPeople, addCase, setTerms } from './accounts.mjs';
import { serveStatic } from './mock-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the tests find the programs and the two web apps (ctest sets the environment; else the build/ tree). */
export const PATHS = {
  web: process.env.SAMVAER_WEB || path.join(ROOT, 'web'),
  console: path.join(ROOT, 'admin/console'),
};

function program(env, name) {
  if (process.env[env]) return process.env[env];
  const built = path.join(ROOT, 'build', name);
  if (fs.existsSync(built)) return built;
  throw new Error('SAMVAER_BIN and SAMVAER_ADMIN must be set (ctest sets them)');
}

/**
 * One test's scenario. opts: label (the summary line's name), watchdogMs (the whole test's limit), tmpPrefix
 * (default samvaer-LABEL-), loopback (default true: re-run inside a loopback-only namespace first), password (what
 * logins and added people use; default the demo family's).
 */
export function createScenario(scriptUrl, opts) {
  const { label, watchdogMs, loopback = true, password = 'samvaer-demo' } = opts;
  if (loopback) runInLoopbackNamespace(fileURLToPath(scriptUrl)); // the outer process exits here
  const tmp = makeTempDir(opts.tmpPrefix || `samvaer-${label}-`);
  const shotDir = process.env.SAMVAER_SHOTS || path.join(tmp, 'shots');
  const runner = createRunner({ shotDir, label });
  const cleanups = []; // static sites, coturn ...: stopped last, newest first
  let browser = null;
  let port = 0;
  let starts = 0;

  const sc = {
    runner, tmp, shotDir, password,
    data: path.join(tmp, 'data'), // seedDemo() fills it; a test may `admin(['init'])` it instead
    server: null, // the running samvaer: {url, port, stop(), log()}
    url: null, // the server's (or a static site's) base URL
    get browser() { return browser; },
    get adminBin() { return program('SAMVAER_ADMIN', 'samvaer-admin'); },
    check: (name, fn) => runner.check(name, fn),

    /** samvaer-admin on this test's data dir: stdout, or throws with its stderr. */
    admin(args, input) { return adminRunner(sc.adminBin, sc.data)(args, input); },
    seedDemo() { return seedDemo(sc.adminBin, tmp); },
    addPeople(people) { return addPeople(sc.admin, people, password); },
    addCase(child, zone, links) { addCase(sc.admin, child, zone, links); },
    setTerms(aid, terms) { setTerms(sc.admin, tmp, aid, terms); },

    /**
     * Start samvaer on sc.data (the same port each time). o: console (serve the admin console), args (more command
     * line), quiet (no "server:" line). SAMVAER_VERBOSE=1 turns on debug logging.
     */
    async startServer(o = {}) {
      if (!port) port = await freePort();
      starts += 1;
      const extraArgs = [...(o.console ? ['--console-dir', PATHS.console] : []), ...(o.args || []),
        ...(process.env.SAMVAER_VERBOSE ? ['--log-level', 'debug'] : [])];
      sc.server = await startServer({ bin: program('SAMVAER_BIN', 'samvaer'), data: sc.data, web: PATHS.web, port,
        logFile: path.join(tmp, starts === 1 ? 'server.log' : `server-${starts}.log`), extraArgs });
      sc.url = sc.server.url;
      if (!o.quiet) console.log(`server: ${sc.url} (data ${sc.data}, logs in ${tmp})`);
      return sc.server;
    },
    /** SIGTERM the server; resolves with its exit info ({code, signal}). */
    async stopServer() {
      const s = sc.server;
      sc.server = null;
      return s ? s.stop() : null;
    },
    /** The check that ends most tests: the server exits 0 on SIGTERM, with no sanitizer report; `more(log)` adds. */
    expectCleanShutdown(more) {
      const server = sc.server;
      return runner.check('server shuts down cleanly on SIGTERM', async () => {
        const info = await sc.stopServer();
        expect(info.code === 0, `exit ${JSON.stringify(info)}`);
        expect(!/AddressSanitizer|runtime error/.test(server.log()), 'sanitizer report in the server log');
        if (more) more(server.log());
      });
    },
    /** Serve dir (plus {prefix: dir} mounts) over HTTP; sc.url becomes its base unless there is a server. */
    async serveStatic(dir, mounts) {
      const site = await serveStatic(dir, 0, mounts);
      cleanups.push(() => site.close());
      if (!sc.url) sc.url = site.url;
      return site;
    },
    /** Stop something with the test (coturn ...). */
    onCleanup(fn) { cleanups.push(fn); },

    async launchBrowser(extraArgs) {
      browser = await launchBrowser(extraArgs);
      return browser;
    },
    /** A clean profile. o: viewport (default 420x760), timeout (default 8000 ms), navigationTimeout, and any option
     * of playwright's browser.newContext (locale, timezoneId, userAgent, serviceWorkers ...). */
    async newContext(o = {}) {
      const { timeout = 8000, navigationTimeout, viewport = { width: 420, height: 760 }, ...rest } = o;
      const context = await browser.newContext({ viewport, ...rest });
      context.setDefaultTimeout(timeout);
      if (navigationTimeout) context.setDefaultNavigationTimeout(navigationTimeout);
      return context;
    },
    /** A page in context, named for logs and failure screenshots, at url (a path is taken from sc.url). o: dialogs
     * ('accept' them), consoleErrors (log the page's console errors), noGoto. */
    async openPage(context, name, url = '/', o = {}) {
      const page = await context.newPage();
      page.on('pageerror', (err) => console.log(`  [${name} page error] ${err.message}`));
      if (o.consoleErrors) page.on('console', (m) => { if (m.type() === 'error') console.log(`  [${name} console] ${m.text()}`); });
      if (o.dialogs === 'accept') page.on('dialog', (d) => d.accept());
      runner.addPage(name, page);
      if (!o.noGoto) await page.goto(/^\w+:/.test(url) ? url : `${sc.url}${url}`);
      return page;
    },
    /** openPage in a new context of its own (contextOpts as newContext's). */
    async newPage(name, url = '/', contextOpts = {}, pageOpts = {}) {
      return sc.openPage(await sc.newContext(contextOpts), name, url, pageOpts);
    },

    /** Fill and submit the login form (family app or console); waits for nothing. */
    async signIn(page, username, pass = password) {
      await page.getByTestId('login-username').fill(username);
      await page.getByTestId('login-password').fill(pass);
      await page.getByTestId('login-submit').click();
    },
    /** The family app's login, until the person's name shows and the contact list has loaded. */
    async familyLogin(page, username, pass = password) {
      await sc.signIn(page, username, pass);
      await page.getByTestId('me-name').waitFor({ state: 'visible' });
      await page.locator('#contact-list[aria-busy="false"]').waitFor({ state: 'attached' });
    },
    /** With SAMVAER_SHOTS=DIR, keep a picture of the screen for a look by eye. */
    async shot(page, name, o = {}) {
      if (process.env.SAMVAER_SHOTS) await page.screenshot({ path: path.join(shotDir, `${name}.png`), ...o });
    },

    /** Run the test: a throw outside a check fails it as "setup"; then clean up, print the summary and exit. */
    async run(main) {
      let code = 1;
      try {
        await main(sc);
      } catch (err) {
        runner.fail('setup', err);
      } finally {
        clearTimeout(watchdog);
        await cleanup();
        code = runner.summary();
        if (code !== 0) console.log(`artifacts: ${tmp}`);
        else fs.rmSync(tmp, { recursive: true, force: true });
      }
      process.exit(code);
    },
  };

  async function cleanup() {
    const closing = browser ? browser.close().catch(() => {}) : null;
    browser = null;
    if (closing) await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
    const info = await sc.stopServer();
    if (info && process.env.SAMVAER_VERBOSE) console.log(`server exit: ${JSON.stringify(info)}`);
    while (cleanups.length) await cleanups.pop()();
  }

  const watchdog = guardProcess(runner, cleanup, watchdogMs);
  return sc;
}
