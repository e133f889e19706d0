// a11y.mjs: the automated accessibility check for browser tests: runs axe-core (npm) in a page, in the state the
// test put it in, and fails on every serious or critical violation (contrast, names of controls, labels, ARIA ...).
//
//   import { expectAccessible } from './lib/a11y.mjs';
//   await expectAccessible(page, 'contacts at 320 px');            // throws listing each violation and where
//   const v = await axeViolations(page, { include: '#view-chat' });  // the list, to assert on yourself

import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Impacts that fail a test unless the caller says otherwise. */
export const FAILING_IMPACTS = ['serious', 'critical'];

async function injectAxe(page) {
  // page.evaluate goes through the DevTools protocol, so a page's Content-Security-Policy cannot block it
  const present = await page.evaluate(() => typeof window.axe === 'object');
  if (!present) await page.evaluate(AXE_SOURCE);
}

/**
 * axe-core's violations in the page now, at the given impacts (default serious and critical), as
 * [{id, impact, help, helpUrl, nodes: [{target, summary, html}]}].
 * opts: include / exclude (CSS selectors or arrays of them), impacts, disableRules (rule ids, each needs a reason
 * in the calling test), tags (default: WCAG 2.0/2.1/2.2 A and AA plus best practices).
 */
export async function axeViolations(page, opts = {}) {
  await injectAxe(page);
  const impacts = opts.impacts || FAILING_IMPACTS;
  const context = {};
  if (opts.include) context.include = [].concat(opts.include).map((s) => [s]);
  if (opts.exclude) context.exclude = [].concat(opts.exclude).map((s) => [s]);
  const options = {
    resultTypes: ['violations'],
    runOnly: { type: 'tag', values: opts.tags || ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    rules: Object.fromEntries((opts.disableRules || []).map((id) => [id, { enabled: false }])),
  };
  const result = await page.evaluate(async ([ctx, o]) => {
    const r = await window.axe.run(Object.keys(ctx).length ? ctx : document, o);
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 160) })),
    }));
  }, [context, options]);
  return result.filter((v) => impacts.includes(v.impact));
}

/** Violations as lines a person can act on: rule, impact, what to fix, and up to five elements. */
export function formatViolations(violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`${v.impact} ${v.id}: ${v.help} (${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'})`);
    for (const n of v.nodes.slice(0, 5)) {
      lines.push(`    ${n.target}  ${n.html}`);
      if (n.summary) lines.push(`      ${n.summary.replace(/\n\s*/g, ' ')}`);
    }
  }
  return lines.join('\n');
}

/** Throw unless the page has no violation at the failing impacts; `label` names the screen in the message. */
export async function expectAccessible(page, label, opts = {}) {
  const violations = await axeViolations(page, opts);
  if (violations.length) {
    throw new Error(`${label}: ${violations.length} accessibility violation(s)\n${formatViolations(violations)}`);
  }
}
