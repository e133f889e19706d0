// Browser test: a Danish caseworker's console against a real samvaer. The browser speaks Danish and sits in New York;
// the child lives in Bucharest. Every console screen (and the continuity report) must read in Danish, show times in
// the child's zone with the zone on the label, name people instead of ids, count calls in the report as its CSV
// does, and pass axe-core with no serious or critical violation.

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';
import { expectAccessible } from './lib/a11y.mjs';

const PASSWORD = 'samvaer-demo';
const CHILD_ZONE = 'Europe/Bucharest'; // mia's case in the demo family
const BROWSER_ZONE = 'America/New_York';

const sc = createScenario(import.meta.url, { label: 'console-i18n', tmpPrefix: 'samvaer-console-da-', watchdogMs: 150000 });
const { runner } = sc;
const login = (page, username) => sc.signIn(page, username);
const shot = (page, name) => sc.shot(page, name, { fullPage: true });

/** "HH:MM" and "HH.MM" of the instant in a zone, 24-hour (Danish writes 10.39). */
function clockIn(ms, zone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return [`${p.hour}:${p.minute}`, `${p.hour}.${p.minute}`];
}

/** Every <time> the console shows: in the child's zone, its wall-clock time, a zone label, not the browser's time. */
async function checkTimes(page, where, min = 1) {
  const times = await page.locator('main time.when').evaluateAll((ns) => ns.map((n) => ({ iso: n.getAttribute('datetime'), zone: n.dataset.zone, text: n.textContent, title: n.title })));
  expect(times.length >= min, `${where}: ${times.length} times shown, expected at least ${min}`);
  for (const tm of times) {
    const ms = Date.parse(tm.iso);
    expect(tm.zone === CHILD_ZONE, `${where}: a time in ${tm.zone}, not the child's zone`);
    const child = clockIn(ms, CHILD_ZONE);
    expect(child.some((c) => tm.text.includes(c)), `${where}: "${tm.text}" does not show the child's time ${child[0]}`);
    expect(/EET|EEST|OEZ|OESZ|GMT\+[23]|UTC\+[23]|østeuropæisk/i.test(tm.text), `${where}: "${tm.text}" has no zone label`);
    // the second zone, where it helps: the reader's own device time in the tooltip
    const here = clockIn(ms, BROWSER_ZONE);
    expect(tm.title.startsWith(CHILD_ZONE) && tm.title.includes('På din enhed') && here.some((c) => tm.title.includes(c)),
      `${where}: tooltip "${tm.title}" does not give the time on this device (${here[0]})`);
  }
  return times.length;
}

/** A Danish browser in New York at the console (a loaded CI machine can be slow to serve the first page). */
function newPage(name) {
  return sc.newPage(name, '/admin/', { viewport: { width: 1100, height: 900 }, locale: 'da-DK', timezoneId: BROWSER_ZONE,
    navigationTimeout: 30000 });
}

/** Andrei calls Mia over two raw sessions (no media needed): she answers, they talk ~2 s, he hangs up. */
function answeredCall(page, agreementId) {
  return page.evaluate(async ({ aid, password }) => {
    const open = (username) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws`, 'samvaer.v1');
      const waits = new Map();
      let next = 1;
      const call = (type, params) => new Promise((res) => { const id = next++; waits.set(id, res); ws.send(JSON.stringify({ id, type, ...params })); });
      ws.onmessage = (ev) => { const m = JSON.parse(ev.data); if (m.id !== undefined && waits.has(m.id)) waits.get(m.id)(m); };
      ws.onerror = reject;
      ws.onopen = async () => { const r = await call('auth.login', { username, password }); if (r.ok) resolve({ ws, call }); else reject(new Error(JSON.stringify(r))); };
    });
    const dad = await open('andrei');
    const mia = await open('mia');
    const started = await dad.call('call.start', { agreement_id: aid, video: false });
    if (!started.ok) return { step: 'start', answer: started };
    await new Promise((r) => setTimeout(r, 300));
    const accepted = await mia.call('call.accept', { call_id: started.result.call_id });
    if (!accepted.ok) return { step: 'accept', answer: accepted };
    await new Promise((r) => setTimeout(r, 2200));
    const hung = await dad.call('call.hangup', { call_id: started.result.call_id });
    dad.ws.close();
    mia.ws.close();
    return { step: 'done', answer: hung };
  }, { aid: agreementId, password: PASSWORD });
}

async function api(page, p) {
  return page.evaluate((url) => fetch(url, { headers: { Authorization: `Bearer ${sessionStorage.getItem('samvaer.console.token')}` } })
    .then((r) => (url.includes('format=csv') ? r.text() : r.json())), p);
}

async function scenario(base) {
  let stopped = false;
  const step = async (name, fn) => {
    if (stopped) return;
    if (!(await runner.check(name, fn))) { stopped = true; console.log('  (stopping the scenario after the first failure)'); }
  };
  const consoleUrl = `${base}/admin/`;
  const ana = await newPage('ana');
  let caseId = 0;
  let dadAid = 0;
  let childId = 0;

  await step('the sign-in page is in Danish and accessible', async () => {
    await ana.getByTestId('login-submit').waitFor();
    expect((await ana.evaluate(() => document.documentElement.lang)) === 'da', 'the page is not marked lang="da"');
    expect((await ana.getByTestId('login-submit').textContent()).trim() === 'Log ind', `sign-in button "${await ana.getByTestId('login-submit').textContent()}"`);
    await expectAccessible(ana, 'sign-in');
  });

  await step('ana (caseworker) sees her caseload in Danish, with the child\'s zone named', async () => {
    await login(ana, 'ana');
    await ana.getByTestId('caseload').waitFor();
    expect((await ana.locator('h1').first().textContent()).trim() === 'Sager', `caseload title "${await ana.locator('h1').first().textContent()}"`);
    expect((await ana.getByTestId('nav-approvals').textContent()).includes('Godkendelser'), 'menu not in Danish');
    const card = ana.locator('[data-testid^="case-"]', { hasText: 'Mia' }).first();
    caseId = Number((await card.getAttribute('data-testid')).replace('case-', ''));
    const zone = card.getByTestId('case-zone');
    expect((await zone.getAttribute('data-zone')) === CHILD_ZONE, 'case zone');
    expect((await zone.textContent()).includes(`barnets tidszone: ${CHILD_ZONE}`), `zone line "${await zone.textContent()}"`);
    const cases = await api(ana, '/api/cases');
    const mine = (Array.isArray(cases) ? cases : cases.cases).find((c) => c.id === caseId);
    childId = mine.child.id;
    dadAid = mine.agreements.find((a) => a.contact.username === 'andrei').id;
    await expectAccessible(ana, 'caseload');
    await shot(ana, 'da01-caseload');
  });

  await step('text follows the browser\'s text size (rem units) and keyboard focus is ringed', async () => {
    const size = () => ana.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
    const cdp = await ana.context().newCDPSession(ana);
    const before = await size();
    const h1 = () => ana.evaluate(() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize));
    const h1Before = await h1();
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 24, fixed: 20 } });
    const after = await size();
    const h1After = await h1();
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 16, fixed: 13 } });
    expect(Math.abs(after / before - 1.5) < 0.01 && Math.abs(h1After / h1Before - 1.5) < 0.01,
      `root ${before}px -> ${after}px, heading ${h1Before}px -> ${h1After}px for a 16 -> 24 px browser setting`);
    await ana.getByTestId('nav-approvals').focus();
    await ana.keyboard.press('Shift+Tab');
    await ana.keyboard.press('Tab');
    const ring = await ana.evaluate(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), id: document.activeElement.dataset.testid }; });
    expect(ring.id === 'nav-approvals' && ring.style !== 'none' && ring.width >= 2, `focus ring ${JSON.stringify(ring)}`);
  });

  await step('Andrei and Mia have an answered call (for the report and the audit trail)', async () => {
    const r = await answeredCall(ana, dadAid);
    expect(r.step === 'done', `the call stopped at ${r.step}: ${JSON.stringify(r.answer)}`);
  });

  await step('the case page: Danish, accessible, breadcrumbs by name', async () => {
    await ana.goto(`${consoleUrl}#/case/${caseId}`);
    await ana.getByTestId('case-page').waitFor();
    const crumbs = (await ana.getByTestId('crumbs').textContent()).trim();
    expect(crumbs.includes('Mia') && !/Case \d|Sag \d/.test(crumbs), `breadcrumbs "${crumbs}"`);
    await expectAccessible(ana, 'case page');
  });

  await step('the agreement page: times in Bucharest time, labelled, whatever the browser\'s zone', async () => {
    await ana.goto(`${consoleUrl}#/agreement/${dadAid}`);
    await ana.getByTestId('agreement-page').waitFor();
    const crumbs = (await ana.getByTestId('crumbs').textContent()).trim();
    expect(crumbs.includes('Mia') && crumbs.includes('Andrei') && !/Agreement \d|Aftale \d/.test(crumbs), `breadcrumbs "${crumbs}"`);
    expect((await ana.locator('h2').first().textContent()).trim() === 'Gældende vilkår', 'agreement headings not in Danish');
    await checkTimes(ana, 'agreement page', 2); // the demo's two past pauses
    await expectAccessible(ana, 'agreement page');
    await shot(ana, 'da02-agreement');
  });

  await step('the editor: time and date pickers; a missing time is refused in Danish words next to the field', async () => {
    await ana.goto(`${consoleUrl}#/case/${caseId}/new`);
    await ana.getByTestId('new-agreement-page').waitFor();
    await expectAccessible(ana, 'new agreement');
    await ana.getByTestId('contact-username').fill('ioana');
    await ana.getByTestId('relationship').fill('Veninde');
    await ana.getByTestId('weekly-add').click();
    expect((await ana.locator('input[data-field="windows.weekly[0].start"]').getAttribute('type')) === 'time', 'no time picker');
    await ana.locator('input[data-field="windows.weekly[0].end"]').fill('18:00');
    await ana.getByTestId('editor-submit').click();
    const err = ana.locator('input[data-field="windows.weekly[0].start"] + [data-testid="field-error"]');
    await err.waitFor();
    expect((await err.textContent()).trim() === 'Vælg et tidspunkt.', `field message "${await err.textContent()}"`);
    const top = (await ana.getByTestId('form-error').textContent()).trim();
    expect(top.includes('Fra (Hver uge, række 1)') && !/HH:MM|windows\./.test(top), `form message "${top}"`);
    await expectAccessible(ana, 'new agreement with an error');
    await shot(ana, 'da03-editor-error');
    await ana.locator('input[data-field="windows.weekly[0].start"]').fill('16:00');
    await ana.getByTestId('editor-submit').click();
    await ana.getByTestId('agreement-page').waitFor();
    expect((await ana.getByTestId('agreement-status').textContent()).trim() === 'venter på godkendelse', 'status not in Danish');
  });

  await step('elena (carer) approves it in her Danish inbox; her agreement page with the pause form is accessible', async () => {
    const elena = await newPage('elena');
    await login(elena, 'elena');
    await elena.getByTestId('caseload').waitFor();
    await elena.getByTestId('nav-approvals').click();
    const item = elena.locator('[data-testid^="approval-"]', { hasText: 'Ioana' }).first();
    await item.waitFor();
    const title = (await item.locator('h2').textContent()).trim();
    expect(title.startsWith('Ny aftale: Mia og Ioana Marin (Veninde)'), `inbox title "${title}"`);
    await checkTimes(elena, 'approvals inbox', 1);
    await expectAccessible(elena, 'approvals with a proposal');
    await item.getByTestId('approve').click();
    await item.getByTestId('decision-done').waitFor();
    await elena.goto(`${consoleUrl}#/agreement/${dadAid}`);
    await elena.getByTestId('pause-form').waitFor();
    await expectAccessible(elena, 'agreement page (carer, pause form)');
    await elena.context().close();
  });

  await step('inboxes (approvals, notices, held messages) are Danish and accessible', async () => {
    for (const [nav, page, title] of [['nav-approvals', 'approvals-page', 'Venter på din godkendelse'], ['nav-notices', 'notices-page', 'Meddelelser'],
      ['nav-held', 'held-page', 'Beskeder tilbageholdt til gennemsyn']]) {
      await ana.getByTestId(nav).click();
      await ana.getByTestId(page).waitFor();
      expect((await ana.locator('h1').first().textContent()).trim() === title, `${page} title "${await ana.locator('h1').first().textContent()}"`);
      await expectAccessible(ana, page);
    }
  });

  await step('the audit trail: sentences in Danish, names, Bucharest times', async () => {
    await ana.goto(`${consoleUrl}#/audit/${caseId}`);
    await ana.getByTestId('audit-page').waitFor();
    expect((await ana.getByTestId('verify-result').getAttribute('data-ok')) === 'yes', 'chain does not verify');
    const call = ana.locator('[data-testid^="audit-"][data-kind="call"]').first();
    await call.waitFor();
    const said = (await call.getByTestId('audit-detail').textContent()).trim();
    expect(/^Taleopkaldet varede [\d,.]+ min\./.test(said), `the call reads "${said}"`);
    expect(!/[{}]|answered|duration_s/.test(said), `raw detail shown: "${said}"`);
    const pause = ana.locator('[data-testid^="audit-"][data-kind="terms_changed"] td a').first();
    const named = (await pause.textContent()).trim();
    expect(/^(Andrei|Radu|Lena|Ioana) \w+ \(.+\)$/.test(named), `the agreement column shows "${named}", not a name`);
    const members = await ana.locator('[data-kind="case"] [data-testid="audit-detail"]').allTextContents();
    expect(members.some((l) => l.trim() === 'Sofie Holm kom med i sagen som tilsynsførende.'), `case entries: ${members.join(' | ')}`);
    await checkTimes(ana, 'audit trail', 10);
    await expectAccessible(ana, 'audit trail');
    await shot(ana, 'da04-audit');
  });

  await step('invitations, devices and data protection pages are accessible', async () => {
    for (const [hash, page] of [['invite', 'invites-page'], ['devices', 'devices-page'], ['privacy', 'privacy-page']]) {
      await ana.goto(`${consoleUrl}#/case/${caseId}/${hash}`);
      await ana.getByTestId(page).waitFor();
      await expectAccessible(ana, page);
    }
    expect((await ana.getByTestId('retention-save').textContent()).trim() === 'Gem perioderne', 'privacy page not in Danish');
  });

  await step('the continuity report counts the call as its CSV does, in Danish, zone labelled', async () => {
    await ana.goto(`${base}/admin/report.html?child=${childId}`);
    await ana.locator('[data-testid="agreement-report"]').first().waitFor();
    expect((await ana.evaluate(() => document.documentElement.lang)) === 'da', 'the report is not Danish');
    const note = await ana.getByTestId('report-note').textContent();
    expect(!/not counted|ikke talt/i.test(note) && note.includes('opkald'), `report note "${note}"`);
    expect((await ana.getByTestId('report-meta').textContent()).includes(CHILD_ZONE), 'the report does not name the zone');
    const csv = (await api(ana, `/api/reports/${childId}?weeks=6&format=csv`)).trim().split(/\r?\n/);
    const cols = csv[0].split(',');
    const rows = csv.slice(1).map((l) => l.split(','));
    const at = (name) => cols.indexOf(name);
    let total = 0;
    for (const section of await ana.locator('[data-testid="agreement-report"]').all()) {
      const aid = await section.getAttribute('data-agreement');
      expect(await section.getByTestId('report-calls-chart').count() === 1, `agreement ${aid}: no calls chart`);
      for (const week of await section.getByTestId('report-week').all()) {
        const start = await week.getAttribute('data-week');
        const row = rows.find((r) => r[at('agreement_id')] === aid && r[at('week_start')] === start);
        expect(row, `agreement ${aid} week ${start} missing from the CSV`);
        const calls = (await week.getByTestId('week-calls').textContent()).trim();
        const minutes = (await week.getByTestId('week-call-minutes').textContent()).trim();
        expect(calls === row[at('calls')] && minutes === row[at('call_minutes')],
          `agreement ${aid} week ${start}: page ${calls} calls/${minutes} min, CSV ${row[at('calls')]}/${row[at('call_minutes')]}`);
        total += Number(calls);
      }
    }
    expect(total >= 1, 'the answered call is not counted');
    await expectAccessible(ana, 'continuity report');
    await shot(ana, 'da05-report');
  });

  await step('olav (operator) sees only the chain check; andrei (contact) is told the console is not for him', async () => {
    const olav = await newPage('olav');
    await login(olav, 'olav');
    await olav.getByTestId('verify-page').waitFor();
    expect((await olav.locator('h1').first().textContent()).trim() === 'Revisionskæden', 'verify page not in Danish');
    await olav.getByTestId('verify-result').waitFor();
    await expectAccessible(olav, 'audit chain (operator)');
    await olav.context().close();
    const andrei = await newPage('andrei');
    await login(andrei, 'andrei');
    await andrei.locator('h1', { hasText: 'Ikke for denne konto' }).waitFor();
    await expectAccessible(andrei, 'not for this account');
    await andrei.context().close();
  });

  await step('sofie (supervisor) sees live calls in Danish; the page is accessible', async () => {
    const sofie = await newPage('sofie');
    await login(sofie, 'sofie');
    await sofie.getByTestId('caseload').waitFor();
    await sofie.getByTestId('nav-calls').click();
    await sofie.getByTestId('live-calls').waitFor();
    expect((await sofie.locator('h1').first().textContent()).trim() === 'Igangværende opkald', 'live calls not in Danish');
    await expectAccessible(sofie, 'live calls');
    await sofie.context().close();
  });
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer({ console: true });
  await sc.launchBrowser();
  await scenario(sc.url);
});
