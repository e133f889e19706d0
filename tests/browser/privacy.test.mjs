// Browser test: data protection in the console against a real samvaer (demo family) — ana (caseworker) opens mia's
// case, sets a one-week message period (the server's sweep then takes the five-week-old demo messages out of
// messages.log), and erases Andrei on a lawful request with its reference; the result names what went, his
// conversation's texts are gone from the log's bytes, and `samvaer-admin audit verify` stays intact. elena (carer)
// has no such page.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';

const DAY_MS = 86400000;

const sc = createScenario(import.meta.url, { label: 'privacy', watchdogMs: 90000 });
const { runner, tmp } = sc;
const newPage = (name, url) => sc.newPage(name, url, { viewport: { width: 1100, height: 900 }, timeout: 6000 });
const login = (page, username) => sc.signIn(page, username);

const logText = () => fs.readFileSync(path.join(sc.data, 'messages.log')).toString('utf8');

/** The message log's records (server/store/msglog.h): 12-byte header, then agreement, seq, sender, sent_at (int64),
 * key length (uint16), text length (uint32), key, text; little-endian. */
function records() {
  const b = fs.readFileSync(path.join(sc.data, 'messages.log'));
  const out = [];
  for (let off = 0; off + 12 <= b.length;) {
    const len = b.readUInt32LE(off + 4);
    const p = off + 12;
    const keyLen = b.readUInt16LE(p + 32);
    const textLen = b.readUInt32LE(p + 34);
    out.push({ agreement: Number(b.readBigInt64LE(p)), sentAt: Number(b.readBigInt64LE(p + 24)),
      text: b.toString('utf8', p + 38 + keyLen, p + 38 + keyLen + textLen) });
    off += 12 + len;
  }
  return out;
}

/** Texts of the records `pick` selects that no other record repeats (the demo reuses lines). */
function only(pick) {
  const all = records();
  const rest = new Set(all.filter((r) => !pick(r)).map((r) => r.text));
  return [...new Set(all.filter(pick).map((r) => r.text))].filter((t) => !rest.has(t));
}

async function until(what, pred, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}`);
}

async function scenario(base, admin) {
  let stopped = false;
  const step = async (name, fn) => {
    if (stopped) return;
    if (!(await runner.check(name, fn))) { stopped = true; console.log('  (stopping the scenario after the first failure)'); }
  };
  const ana = await newPage('ana', `${base}/admin/`);

  await step('ana sets a one-week message period and the sweep removes the old messages from the log', async () => {
    const old = only((r) => r.sentAt < Date.now() - 7 * DAY_MS);
    expect(old.length > 0, 'the demo has messages older than a week in messages.log');
    await login(ana, 'ana');
    await ana.getByTestId('caseload').waitFor();
    await ana.locator('[data-testid^="case-"]', { hasText: 'Mia' }).first().getByTestId('privacy-link').click();
    await ana.getByTestId('privacy-page').waitFor();
    await ana.getByTestId('retention-messages_days').fill('7');
    await ana.getByTestId('retention-save').click();
    const saved = await ana.getByTestId('retention-saved').textContent();
    expect(saved.includes('7 days'), `the console confirms: ${saved}`);
    await until('the sweep to rewrite messages.log', () => !old.some((t) => logText().includes(t)));
  });

  await step('ana downloads Andrei\'s data as a zip (subject access): his conversation and agreement are in it', async () => {
    const option = await ana.getByTestId('export-person').locator('option', { hasText: 'Andrei' }).getAttribute('value');
    await ana.getByTestId('export-person').selectOption(option);
    await ana.getByTestId('export-reference').fill('SAR 2026/54');
    await ana.getByTestId('export-submit').click();
    await ana.getByTestId('export-ready').waitFor();
    const name = await ana.getByTestId('export-link').getAttribute('download');
    expect(name === 'samvaer-export-andrei.zip', `the file is named after him: ${name}`);
    const bytes = await ana.getByTestId('export-link').evaluate(async (a) => Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer())));
    const file = path.join(tmp, name);
    fs.writeFileSync(file, Buffer.from(bytes));
    const py = spawnSync('python3', ['-c', 'import json,sys,zipfile; d=json.loads(zipfile.ZipFile(sys.argv[1]).read("export.json")); '
      + 'print(json.dumps({"user": d["account"]["username"], "agreements": [a["id"] for a in d["agreements"]], "texts": [m["text"] for m in d["messages"]]}))', file], { encoding: 'utf8' });
    expect(py.status === 0, `the download is a zip with export.json: ${py.stderr}`);
    const got = JSON.parse(py.stdout);
    const his = only((r) => r.agreement === 1);
    expect(got.user === 'andrei' && got.agreements.join() === '1', `his account and agreement: ${py.stdout.slice(0, 200)}`);
    expect(his.every((t) => got.texts.includes(t)), 'every message of his conversation is in the export');
  });

  await step('ana erases Andrei with the request\'s reference: his conversation leaves the log, the audit verifies', async () => {
    const his = only((r) => r.agreement === 1);
    expect(his.length > 0, 'his recent messages are in the log');
    const option = await ana.getByTestId('erase-person').locator('option', { hasText: 'Andrei' }).getAttribute('value');
    await ana.getByTestId('erase-person').selectOption(option);
    await ana.getByTestId('erase-reference').fill('SAR 2026/55');
    await ana.getByTestId('erase-submit').click();
    const stay = await ana.getByTestId('erase-done').count();
    expect(stay === 0, 'nothing is erased before the confirmation box is ticked');
    await ana.getByTestId('erase-confirm').check();
    await ana.getByTestId('erase-submit').click();
    const done = await ana.getByTestId('erase-done').textContent();
    expect(/Erased: \d+ messages? in 1 conversation\b/.test(done), `the console says what went: ${done}`);
    expect(!his.some((t) => logText().includes(t)), 'his conversation is gone from the bytes of messages.log');
    const v = spawnSync(admin, ['--data', sc.data, 'audit', 'verify'], { encoding: 'utf8' });
    expect(v.status === 0 && v.stdout.includes('chain intact'), `audit verify: ${v.stdout}${v.stderr}`);
    const list = spawnSync(admin, ['--data', sc.data, 'audit', 'list', '--limit', '1000'], { encoding: 'utf8' }).stdout;
    expect(list.includes('"reference":"SAR 2026/55"') && !list.includes('andrei'), 'the erasure is audited; no detail names him');
  });

  await step('elena (carer) sees no data-protection link, and the page shows her no forms', async () => {
    const elena = await newPage('elena', `${base}/admin/`);
    await login(elena, 'elena');
    await elena.getByTestId('caseload').waitFor();
    expect(await elena.getByTestId('privacy-link').count() === 0, 'no link for a carer');
    await elena.goto(`${base}/admin/#/case/1/privacy`);
    await elena.getByTestId('privacy-page').waitFor();
    expect(await elena.getByTestId('erase-form').count() === 0 && await elena.getByTestId('retention-form').count() === 0,
      'no retention or erasure form');
  });
}

await sc.run(async () => {
  sc.seedDemo();
  await sc.startServer({ console: true, args: ['--retention-sweep-s', '1'] });
  await sc.launchBrowser();
  await scenario(sc.url, sc.adminBin);
});
