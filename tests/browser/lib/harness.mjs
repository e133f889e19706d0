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
