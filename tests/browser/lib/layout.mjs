// layout.mjs: phone-layout checks for browser tests: the four phone widths (320, 360, 390, 414 px) in portrait and
// landscape, and a measure of the page at each: the document must not be wider than the screen, and every visible
// control (button, link, field, anything focusable) must be wholly on screen with its text not cut off.
//
//   import { PHONE_VIEWPORTS, forEachViewport, expectLayout } from './lib/layout.mjs';
//   await forEachViewport(page, async (vp) => expectLayout(page, `chat ${vp.name}`, { scrollers: '.chat-log' }));
//
// A control inside a scroller (opts.scrollers: an element whose content scrolls on purpose, like a message list)
// may lie below or above the screen, as long as it fits across it; with opts.documentScrolls the same holds for the
// whole page (a long contact list). Everything else must be on screen as it is shown: Hang up below the bottom of
// the screen is a failure. Off-screen helpers (skip links, .visually-hidden) are left out, and so is opts.ignore.

/** Phone sizes (CSS px) in portrait and landscape: 320x568, 360x740, 390x844, 414x896. */
export const PHONE_VIEWPORTS = [
  [320, 568], [360, 740], [390, 844], [414, 896],
].flatMap(([w, h]) => [
  { name: `${w}x${h} portrait`, width: w, height: h },
  { name: `${h}x${w} landscape`, width: h, height: w },
]);

const CONTROLS = 'button, a[href], input:not([type=hidden]), select, textarea, summary, video[controls], audio[controls],'
  + ' [role=button], [role=link], [role=checkbox], [role=switch], [role=tab], [role=menuitem], [tabindex]:not([tabindex="-1"])';
const CUT_TEXT = 'button, a[href], [role=button], [role=tab], summary, h1, h2, h3, label, [data-layout-text]';
const IGNORE = '.skip, .visually-hidden, [data-layout-ignore]';

/** Set each viewport in turn (portrait and landscape at the four widths) and run fn(viewport); restores the size. */
export async function forEachViewport(page, fn, viewports = PHONE_VIEWPORTS) {
  const before = page.viewportSize();
  try {
    for (const vp of viewports) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await fn(vp);
    }
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * What is wrong with the layout now, as sentences naming the element (an empty list when all is well).
 * opts: scrollers (selector of elements whose content scrolls on purpose), documentScrolls (the page may scroll
 * vertically), ignore (selector of elements to leave out), slack (px of rounding allowed, default 1).
 */
export async function layoutProblems(page, opts = {}) {
  return page.evaluate(({ controls, cutText, ignore, scrollers, documentScrolls, slack }) => {
    const problems = [];
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    const describe = (el) => {
      const id = el.id ? `#${el.id}` : '';
      const test = el.dataset && el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : '';
      const cls = !id && !test && el.classList.length ? `.${[...el.classList].join('.')}` : '';
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `<${el.tagName.toLowerCase()}${id}${test}${cls}>${text ? ` "${text}"` : ''}`;
    };
    const visible = (el) => {
      if (el.closest(ignore)) return false;
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1;
    };
    const scrollerOf = (el) => (scrollers ? el.parentElement && el.parentElement.closest(scrollers) : null);

    const docWidth = Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0);
    if (docWidth > vw + slack) {
      const wide = [...document.body.querySelectorAll('*')].filter((el) => visible(el) && el.getBoundingClientRect().right > vw + slack)
        .filter((el, _, all) => !all.includes(el.parentElement)).slice(0, 5).map(describe);
      problems.push(`the page is ${docWidth} px wide on a ${vw} px screen (too wide: ${wide.join(', ') || 'unknown'})`);
    }
    if (scrollers) {
      for (const s of document.querySelectorAll(scrollers)) {
        if (visible(s) && s.scrollWidth > s.clientWidth + slack) problems.push(`${describe(s)} scrolls sideways (${s.scrollWidth} px in ${s.clientWidth} px)`);
      }
    }
    for (const el of document.querySelectorAll(controls)) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      const where = `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`;
      if (r.left < -slack || r.right > vw + slack) problems.push(`${describe(el)} sticks out sideways (${where} on ${vw}x${vh})`);
      const scroller = scrollerOf(el);
      if (scroller) {
        const s = scroller.getBoundingClientRect();
        if (s.top < -slack || s.bottom > vh + slack) problems.push(`${describe(el)}: its scroller ${describe(scroller)} is not on screen`);
      } else if (!documentScrolls && (r.top < -slack || r.bottom > vh + slack)) {
        problems.push(`${describe(el)} is off screen (${where} on ${vw}x${vh})`);
      }
    }
    for (const el of document.querySelectorAll(cutText)) {
      if (!visible(el) || el.closest('input, textarea, select')) continue;
      if (el.scrollWidth > el.clientWidth + slack && el.clientWidth > 0 && getComputedStyle(el).overflowX !== 'visible') {
        problems.push(`${describe(el)} has its text cut (${el.scrollWidth} px of text in ${el.clientWidth} px)`);
      } else if (el.scrollWidth > el.clientWidth + slack && el.clientWidth > 0) {
        const r = el.getBoundingClientRect();
        const overflowRight = r.left + el.scrollWidth;
        if (overflowRight > vw + slack) problems.push(`${describe(el)} has text running off the screen`);
        else problems.push(`${describe(el)} has text running out of its box (${el.scrollWidth} px of text in ${el.clientWidth} px)`);
      }
    }
    return problems;
  }, {
    controls: CONTROLS, cutText: CUT_TEXT, ignore: opts.ignore ? `${IGNORE}, ${opts.ignore}` : IGNORE,
    scrollers: opts.scrollers || '', documentScrolls: !!opts.documentScrolls, slack: opts.slack ?? 1,
  });
}

/** Throw unless layoutProblems finds nothing; `label` names the screen and size in the message. */
export async function expectLayout(page, label, opts = {}) {
  const problems = await layoutProblems(page, opts);
  if (problems.length) throw new Error(`${label}: ${problems.length} layout problem(s)\n    ${problems.join('\n    ')}`);
}
