// Tiny test runner for the browser tests: named checks, screenshots on failure, one summary line.

import fs from 'node:fs';
import path from 'node:path';

export function createRunner({ shotDir, label = 'browser' }) {
  const pages = new Map(); // name -> page, for screenshots on failure
  let passed = 0;
  let failed = 0;

  async function screenshotAll(tag) {
    fs.mkdirSync(shotDir, { recursive: true });
    for (const [name, page] of pages) {
      if (page.isClosed()) continue;
      const file = path.join(shotDir, `${tag}-${name}.png`.replace(/[^\w.-]+/g, '_'));
      try {
        await page.screenshot({ path: file, timeout: 3000 });
        console.log(`  screenshot: ${file}`);
      } catch (e) { /* the page may be gone */ }
    }
  }

  return {
    addPage(name, page) { pages.set(name, page); },
    /** Run one named check; a failure is recorded and screenshotted, never thrown. */
    async check(name, fn) {
      const t0 = Date.now();
      try {
        await fn();
        passed += 1;
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
        return true;
      } catch (err) {
        failed += 1;
        console.log(`FAIL ${name}: ${(err && err.stack) || err}`);
        await screenshotAll(`fail-${passed + failed}`);
        return false;
      }
    },
    /** Record a failure that happened outside a check (setup). */
    fail(name, err) {
      failed += 1;
      console.log(`FAIL ${name}: ${(err && err.stack) || err}`);
    },
    screenshotAll,
    summary() {
      console.log(`${label}: ${passed} passed, ${failed} failed`);
      return failed === 0 && passed > 0 ? 0 : 1;
    },
  };
}

/** Throw unless cond. */
export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Clean up on SIGINT/SIGTERM, and fail the whole test (screenshots, cleanup, exit) if it runs past `ms`.
 * Returns the watchdog timer, to clear when the test ends in time.
 */
export function guardProcess(runner, cleanup, ms) {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => { await cleanup(); process.exit(1); });
  }
  return setTimeout(async () => {
    runner.fail('watchdog', new Error(`the whole test took longer than ${ms} ms`));
    await runner.screenshotAll('watchdog');
    await cleanup();
    process.exit(runner.summary());
  }, ms);
}
