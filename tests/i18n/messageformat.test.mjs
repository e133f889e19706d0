// messageformat.test.mjs: unit.i18n_messageformat: the family app's and console's message formatter (web/js/messageformat.js)
// and i18n.js (lookup, fallback, language choice, zone-labelled times), in Node with full ICU, table-driven.
import assert from 'node:assert/strict';
import { parseMessage, formatMessage, messageArguments, MessageError } from '../../web/js/messageformat.js';
import { pickLocale, useCatalog, t, fmtDateTime, fmtTime, fmtDate, fmtZone, locale } from '../../web/js/i18n.js';

let failed = 0;
function check(name, fn) {
  try {
    fn();
  } catch (err) {
    failed++;
    console.error(`FAIL ${name}: ${err.message}`);
  }
}

const unread = '{count, plural, =0 {No new messages} one {# new message} other {# new messages}}';
const unreadRo = '{count, plural, =0 {Niciun mesaj nou} one {Un mesaj nou} few {# mesaje noi} other {# de mesaje noi}}';
const FORMATS = [
  // [name, locale, message, args, expected]
  ['plain text', 'en', 'Hello!', {}, 'Hello!'],
  ['simple argument', 'en', 'Call {name}', { name: 'Dad' }, 'Call Dad'],
  ['argument twice', 'en', '{a} and {a}', { a: 'x' }, 'x and x'],
  ['missing argument shows its name', 'en', 'Hi {name}', {}, 'Hi {name}'],
  ['number argument', 'en', '{n, number} bytes', { n: 12345 }, '12,345 bytes'],
  ['number in Danish', 'da', '{n, number} byte', { n: 12345.5 }, '12.345,5 byte'],
  ['integer style', 'en', '{n, number, integer}', { n: 2.7 }, '3'],
  ['percent style', 'en', '{n, number, percent}', { n: 0.25 }, '25%'],
  ['plural =0', 'en', unread, { count: 0 }, 'No new messages'],
  ['plural one', 'en', unread, { count: 1 }, '1 new message'],
  ['plural other', 'en', unread, { count: 1000 }, '1,000 new messages'],
  ['Romanian one', 'ro', unreadRo, { count: 1 }, 'Un mesaj nou'],
  ['Romanian few (2)', 'ro', unreadRo, { count: 2 }, '2 mesaje noi'],
  ['Romanian few (19)', 'ro', unreadRo, { count: 19 }, '19 mesaje noi'],
  ['Romanian other (20)', 'ro', unreadRo, { count: 20 }, '20 de mesaje noi'],
  ['Romanian few (101)', 'ro', unreadRo, { count: 101 }, '101 mesaje noi'],
  ['plural offset', 'en', '{n, plural, offset:1 =0 {nobody} =1 {{who}} one {{who} and # other} other {{who} and # others}}',
    { n: 3, who: 'Ana' }, 'Ana and 2 others'],
  ['plural offset exact match uses the value', 'en', '{n, plural, offset:1 =1 {only {who}} other {# more}}', { n: 1, who: 'Ana' }, 'only Ana'],
  ['selectordinal', 'en', '{n, selectordinal, one {#st} two {#nd} few {#rd} other {#th}} call', { n: 22 }, '22nd call'],
  ['select', 'en', '{g, select, female {her} male {his} other {their}} phone', { g: 'female' }, 'her phone'],
  ['select falls to other', 'en', '{g, select, female {her} other {their}}', { g: 'x' }, 'their'],
  ['select nested in plural', 'en', '{n, plural, one {{g, select, female {She has} other {They have}} # call} other {# calls}}',
    { n: 1, g: 'female' }, 'She has 1 call'],
  ['# outside plural is text', 'en', 'Room #4', {}, 'Room #4'],
  ["'' is an apostrophe", 'en', "It''s {name}", { name: 'Ana' }, "It's Ana"],
  ['lone apostrophe is literal (Italian)', 'it', "Chiama l'app {x}", { x: 'ora' }, "Chiama l'app ora"],
  ['quoted braces', 'en', "Type '{name}' here", { name: 'x' }, 'Type {name} here'],
  ["quoted '#' in plural", 'en', "{n, plural, other {'#'# done}}", { n: 2 }, '#2 done'],
  ['spaces round the parts', 'en', '{ n ,plural,one{one}other{many} }', { n: 5 }, 'many'],
];
for (const [name, lang, msg, args, want] of FORMATS) {
  check(name, () => assert.equal(formatMessage(lang, msg, args), want));
}

const BAD = [
  ['unclosed argument', 'Hi {name'],
  ['stray close', 'Hi }'],
  ['no name', 'Hi {}'],
  ['bad name', 'Hi {first name}'],
  ['unknown type', '{n, money}'],
  ['date not supported', '{d, date, short}'],
  ['plural without other', '{n, plural, one {x}}'],
  ['select without other', '{g, select, female {x}}'],
  ['unknown plural keyword', '{n, plural, some {x} other {y}}'],
  ['selector twice', '{n, plural, one {a} one {b} other {c}}'],
  ['unclosed option', '{n, plural, one {a} other {b}'],
  ['bad offset', '{n, plural, offset:x other {b}}'],
  ['bad number style', '{n, number, currency}'],
];
for (const [name, msg] of BAD) {
  check(`refuses: ${name}`, () => assert.throws(() => parseMessage(msg), MessageError));
}

check('argument names and kinds', () => {
  const args = messageArguments(parseMessage('{who} {n, plural, one {# {what}} other {{g, select, other {#}}}}'));
  assert.deepEqual([...args.keys()].sort(), ['g', 'n', 'what', 'who']);
  assert.deepEqual([...args.get('n')], ['plural']);
});

check('language from navigator.languages', () => {
  assert.equal(pickLocale(['ro-RO', 'en-US']), 'ro');
  assert.equal(pickLocale(['de-DE', 'da']), 'da');
  assert.equal(pickLocale(['nb-NO']), 'en');
  assert.equal(pickLocale(['ES']), 'es');
  assert.equal(pickLocale([]), 'en');
});

check('t: the language, then English, then the key', () => {
  useCatalog('ro', { 'chat.send': 'Trimite', 'chat.unread': unreadRo }, { 'chat.send': 'Send', 'chat.only_en': 'Only {x}' });
  assert.equal(locale(), 'ro');
  assert.equal(t('chat.send'), 'Trimite');
  assert.equal(t('chat.unread', { count: 3 }), '3 mesaje noi');
  assert.equal(t('chat.only_en', { x: 'here' }), 'Only here');
  assert.equal(t('chat.nowhere'), 'chat.nowhere');
});

const MS = Date.UTC(2026, 10, 18, 17, 40); // 18 Nov 2026 17:40 UTC = 19:40 in Bucharest, 18:40 in Copenhagen
check('times are in the given zone and labelled', () => {
  useCatalog('en', {});
  assert.equal(fmtTime(MS, 'Europe/Bucharest'), '7:40 PM GMT+2');
  assert.equal(fmtTime(MS, 'Europe/Bucharest', { hour12: false }), '19:40 GMT+2');
  assert.equal(fmtDateTime(MS, 'Europe/Bucharest'), 'Nov 18, 2026, 7:40 PM GMT+2');
  assert.equal(fmtDate(MS, 'Pacific/Auckland'), 'Nov 19, 2026'); // already the 19th there
  assert.equal(fmtZone('Europe/Bucharest', 'longGeneric', MS), 'Eastern European Time');
  useCatalog('da', {});
  assert.equal(fmtTime(MS, 'Europe/Copenhagen'), '18.40 CET');
  assert.equal(fmtDateTime(MS, 'Europe/Copenhagen', { zoneName: false }), '18. nov. 2026, 18.40');
  assert.equal(fmtZone('Europe/Bucharest', 'longGeneric', MS), 'Østeuropæisk tid');
  useCatalog('ro', {});
  assert.equal(fmtDateTime(MS, 'Europe/Bucharest'), '18 nov. 2026, 19:40 EET');
  assert.equal(fmtDateTime(Date.UTC(2026, 6, 1, 12), 'Europe/Bucharest'), '1 iul. 2026, 15:00 EEST'); // summer time
});

if (failed) {
  console.error(`messageformat: ${failed} failed`);
  process.exit(1);
}
console.log(`messageformat: ${FORMATS.length + BAD.length + 5} checks passed`);
