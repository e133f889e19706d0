// checker.test.mjs: unit.i18n_checker: the catalog check (tests/i18n/catalogs.mjs) finds each kind of problem it
// promises, on small apps written to a temporary directory, and finds none in an app that is in order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkApp, canonical, LOCALES } from './catalogs.mjs';

const GOOD = {
  'home.title': 'Hello',
  'home.unread': '{count, plural, one {# message} other {# messages}}',
  'home.send_label': 'Send',
  'refusal.busy': 'Busy',
};
const RO_UNREAD = '{count, plural, one {# mesaj} few {# mesaje} other {# de mesaje}}';
const CODE = `
  import { t } from '/js/i18n.js';
  el.textContent = t('home.title');
  el.textContent = t("home.unread", { count: n });
  // i18n-prefix: refusal.
  const r = t(\`refusal.\${code}\`);
`;
const HTML = '<button data-i18n-attr="aria-label:home.send_label title:home.send_label">x</button>';

let dirs = [];
/** An app in a fresh directory: catalogs per language (the good ones changed by `edit`) and source files. */
function makeApp({ edit = () => {}, code = CODE, html = HTML, raw = {}, xmacros, c } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'i18n-check-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'i18n'));
  fs.mkdirSync(path.join(dir, 'src'));
  for (const lang of LOCALES) {
    const cat = { ...GOOD };
    if (lang === 'ro') cat['home.unread'] = RO_UNREAD;
    if (edit(lang, cat) === null) continue; // edit returns null: no file for this language
    fs.writeFileSync(path.join(dir, 'i18n', `${lang}.json`), raw[lang] ?? canonical(cat));
  }
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), code);
  fs.writeFileSync(path.join(dir, 'src', 'index.html'), html);
  if (c) fs.writeFileSync(path.join(dir, 'src', 'server.c'), c);
  const app = { name: 'test', catalogs: path.join(dir, 'i18n'), sources: [path.join(dir, 'src')] };
  if (xmacros) {
    fs.writeFileSync(path.join(dir, 'errors.h'), xmacros);
    app.xmacros = [{ file: path.join(dir, 'errors.h'), list: 'ERRS', prefix: 'refusal.', skip: ['ok'] }];
  }
  return app;
}

const CASES = [
  // [name, app options, pattern one problem must match (null: no problem at all)]
  ['an app in order', {}, null],
  ['a key the code uses is in no catalog', { code: `${CODE}\nt('home.subtitle');` }, /home\.subtitle: used in .*app\.js but in no catalog/],
  ['a key used only in HTML is in no catalog', { html: `${HTML}<h1 data-i18n="home.heading"></h1>` }, /home\.heading: used in .*index\.html/],
  ['a key one language lacks', { edit: (l, c) => { if (l === 'da') delete c['home.title']; } }, /home\.title: missing in da/],
  ['a key nothing uses', { edit: (l, c) => { c['home.old'] = 'Old'; } }, /home\.old: in the catalogs but used nowhere/],
  ['a message that does not parse', { edit: (l, c) => { if (l === 'it') c['home.title'] = 'Ciao {nome'; } }, /it\.json: home\.title: does not parse/],
  ['argument names differ between languages', { edit: (l, c) => { if (l === 'es') c['home.unread'] = '{n, plural, one {# mensaje} other {# mensajes}}'; } },
    /home\.unread: arguments differ: en has count:plural, es has n:plural/],
  ['an argument used as a different kind', { edit: (l, c) => { if (l === 'da') c['home.unread'] = '{count} beskeder'; } },
    /home\.unread: arguments differ/],
  ['Romanian without its "few" form', { edit: (l, c) => { if (l === 'ro') c['home.unread'] = '{count, plural, one {# mesaj} other {# de mesaje}}'; } },
    /ro\.json: home\.unread: ro needs the plural form "few" \(for counts like 0\)/],
  ['a plural form the language does not have', { edit: (l, c) => { if (l === 'da') c['home.unread'] = '{count, plural, one {# besked} few {# beskeder} other {# beskeder}}'; } },
    /da\.json: home\.unread: "few" is not a plural form of da/],
  ['Romanian with cedilla letters', { edit: (l, c) => { if (l === 'ro') c['home.title'] = 'Bună ziua, aşteptaţi'; } }, /comma below/],
  ['a catalog not sorted', { raw: { en: '{\n  "home.unread": "{count, plural, one {# message} other {# messages}}",\n  "home.title": "Hello",\n  "home.send_label": "Send",\n  "refusal.busy": "Busy"\n}\n' } },
    /en\.json: not canonical/],
  ['a catalog that is not JSON', { raw: { da: '{"home.title": "Hej",}' } }, /da\.json: not JSON/],
  ['a catalog file missing', { edit: (l, c) => (l === 'es' ? null : c) }, /es\.json: missing/],
  ['a value that is not a string', { raw: { it: '{\n  "home.send_label": "Invia",\n  "home.title": 3,\n  "home.unread": "{count, plural, one {# messaggio} other {# messaggi}}",\n  "refusal.busy": "Occupato"\n}\n' } },
    /home\.title: the message is not a string/],
  ['a key without an area', { edit: (l, c) => { c.title = 'x'; }, code: `${CODE}\nt('title');` }, /"title" is not a key/],
  ['a declared prefix no key has', { code: `${CODE}\n// i18n-prefix: gone.\n` }, /i18n-prefix gone\.: no catalog key has it/],
  ['an error code without its message', { xmacros: '#define ERRS(X) \\\n\tX(OK, "ok", "ok") \\\n\tX(BUSY, "busy", "Busy") \\\n\tX(LATE, "late", "Late")\n' },
    /refusal\.late: used in .*errors\.h ERRS but in no catalog/],
  ['an error code list in order', { xmacros: '#define ERRS(X) \\\n\tX(OK, "ok", "ok") \\\n\tX(BUSY, "busy", "Busy")\n' }, null],
  ['a key listed in an i18n-keys comment', { code: `${CODE}\n/* i18n-keys: home.later home.title */`, }, /home\.later: used in .*app\.js but in no catalog/],
  ['a C call to i18n_ with a key no catalog has', { c: 'x = i18n_format(session_lang(s), "home.gone", &a, 1, b, n);\n' },
    /home\.gone: used in .*server\.c but in no catalog/],
  ['a C call to i18n_ with a key the catalogs have', { c: 'i18n_text(lang, "home.title", "Hello", b, n);\n' }, null],
  ['an HTTP refusal in C whose code has no error message', { c: 'return refuse(res, 404, "gone_away", "Gone.");\n' },
    /error\.gone_away: used in .*server\.c but in no catalog/],
  ['a refusal code set on an answer in C', { c: 'p->code = "too_late";\n' }, /error\.too_late: used in .*server\.c/],
  ['an error code list with numbers before the code', { xmacros: '#define ERRS(X) \\\n\tX(OK, 0, "ok", 200, "ok") \\\n\tX(LATE, -1, "late", 500, "Late")\n' },
    /refusal\.late: used in .*errors\.h ERRS but in no catalog/],
  ['a key kept by a literal in a table', { edit: (l, c) => { c['home.kept'] = 'Kept'; }, code: `${CODE}\nconst K = { a: 'home.kept' };` }, null],
];

let failed = 0;
for (const [name, opts, want] of CASES) {
  const problems = checkApp(makeApp(opts));
  try {
    if (want === null) assert.deepEqual(problems, []);
    else assert.ok(problems.some((p) => want.test(p)), `expected ${want}, got:\n    ${problems.join('\n    ')}`);
  } catch (err) {
    failed++;
    console.error(`FAIL ${name}: ${err.message}`);
  }
}
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
if (failed) {
  console.error(`checker: ${failed} of ${CASES.length} failed`);
  process.exit(1);
}
console.log(`checker: ${CASES.length} cases passed`);
