// catalogs.mjs: the catalog check behind unit.i18n_catalogs: for each app (family web app, console, server) it reads
// the five catalogs and the app's source, and lists every problem: a catalog missing or not written canonically
// (flat, keys sorted, one per line), a message that does not parse, a key one language lacks, a key the code uses
// but no catalog has, a key nothing uses, argument names that differ between languages, plural forms a language
// does not have or needs, and Romanian written with cedilla letters (ş ţ) instead of comma-below (ș ț).
//
// How code uses keys (what the scan finds):
//   t('area.key', …)                       JS: the first argument a plain string literal
//   data-i18n="area.key"                   HTML or JS strings; also data-i18n-attr="aria-label:area.key title:…"
//   i18n_text(lang, "area.key", …)         C (server): any i18n_… call whose second argument is a literal
//   refuse(res, 404, "code", …)            C: an HTTP refusal of /files/ or /media/ (also up__error, p->code = "…"),
//                                          localized by code: it uses error.<code>
//   i18n-keys: area.a area.b               a comment listing keys code builds at run time
//   i18n-prefix: refusal.                  a comment: every key with this prefix is used (codes from the server)
// A string literal in the code equal to a key also counts as a use of it (for the unused check only), so a table
// of keys in code needs no comment. The server's error.<code> and policy.<code> keys come from the X-macro lists in
// proto/errors.h, server/policy/policy.h and server/mediaproc/mediaproc.h: every code needs its message.

import fs from 'node:fs';
import path from 'node:path';
import { parseMessage, messageArguments, pluralSelectors } from '../../web/js/messageformat.js';

export const LOCALES = ['en', 'ro', 'da', 'it', 'es'];
const KEY = /^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)+$/;
const QUOTED = /(['"`])([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_-]+)+)\1/g;

/** The apps of this repository: where their catalogs and their code are. */
export function repoApps(root) {
  return [
    { name: 'web', catalogs: path.join(root, 'web/i18n'), sources: [path.join(root, 'web')],
      exclude: ['web/i18n/', 'web/js/i18n.js', 'web/js/messageformat.js'] },
    { name: 'console', catalogs: path.join(root, 'admin/console/i18n'), sources: [path.join(root, 'admin/console')],
      exclude: ['admin/console/i18n/'] },
    { name: 'server', catalogs: path.join(root, 'server/i18n'), sources: [path.join(root, 'server')], xmacros: [
        { file: path.join(root, 'proto/errors.h'), list: 'PROTO_ERRORS', prefix: 'error.', skip: ['ok'] },
        { file: path.join(root, 'server/policy/policy.h'), list: 'POLICY_REASONS', prefix: 'policy.' },
        { file: path.join(root, 'server/mediaproc/mediaproc.h'), list: 'MEDIAPROC_ERRORS', prefix: 'error.', skip: ['ok'] },
      ] },
  ];
}

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (/\.(m?js|html|c|h)$/.test(entry.name)) out.push(p);
  }
  return out;
}

/** Codes of an X-macro list: X(NAME, "code", ...) lines inside `#define LIST(X)`. */
export function xmacroCodes(text, list) {
  const start = text.indexOf(`#define ${list}(X)`);
  if (start < 0) return [];
  const body = [];
  for (const line of text.slice(start).split('\n')) {
    body.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  return [...body.join('\n').matchAll(/X\(\s*\w+\s*,\s*(?:-?\d+\s*,\s*)?"([a-z0-9_]+)"/g)].map((m) => m[1]);
}

/** Keys the source text uses for certain (`used`), declares by prefix, and mentions as literals. */
export function scanSource(text, isC) {
  const used = new Set();
  const prefixes = new Set();
  const mentioned = new Set();
  const add = (set, k) => { if (k) set.add(k.trim()); };
  if (isC) {
    for (const m of text.matchAll(/\bi18n_\w+\s*\((?:[^,;()]|\([^();]*\))*,\s*"([^"]+)"/g)) add(used, m[1]);
    // the HTTP refusals of /files/ and /media/ (server/uploads: refuse(res, status, "code", ...)), localized by code
    for (const m of text.matchAll(/\b(?:refuse|up__error)\s*\(\s*&?\w+\s*,\s*\d+\s*,\s*"([a-z0-9_]+)"/g)) add(used, `error.${m[1]}`);
    for (const m of text.matchAll(/->code\s*=\s*"([a-z0-9_]+)"/g)) add(used, `error.${m[1]}`);
  } else {
    for (const m of text.matchAll(/(?<![\w$])t\(\s*(['"`])([^'"`$]+?)\1/g)) add(used, m[2]);
    for (const m of text.matchAll(/data-i18n['"]?\s*[=:]\s*(\\?['"])([^'"\\]+)\1/g)) add(used, m[2]);
    for (const m of text.matchAll(/dataset\.i18n\s*=\s*(['"])([^'"]+)\1/g)) add(used, m[2]);
    for (const m of text.matchAll(/data-i18n-attr['"]?\s*[=:]\s*(\\?['"])([^'"\\]+)\1/g)) {
      for (const pair of m[2].trim().split(/\s+/)) add(used, pair.slice(pair.indexOf(':') + 1));
    }
  }
  for (const m of text.matchAll(/i18n-keys:([^\n]*)/g)) {
    for (const k of m[1].replace(/-->|\*\//g, ' ').trim().split(/[\s,]+/)) if (KEY.test(k)) used.add(k);
  }
  for (const m of text.matchAll(/i18n-prefix:\s*([a-z][\w.-]*\.)/g)) prefixes.add(m[1]);
  for (const m of text.matchAll(QUOTED)) mentioned.add(m[2]);
  return { used, prefixes, mentioned };
}

function relative(root, p) { return root ? path.relative(root, p) : p; }

function readCatalogs(app, problems, root) {
  const catalogs = {};
  for (const lang of LOCALES) {
    const file = path.join(app.catalogs, `${lang}.json`);
    const where = relative(root, file);
    if (!fs.existsSync(file)) {
      problems.push(`${where}: missing (every app has ${LOCALES.join(', ')})`);
      catalogs[lang] = {};
      continue;
    }
    const text = fs.readFileSync(file, 'utf8');
    let data;
    try {
      data = JSON.parse(text);
    } catch (err) {
      problems.push(`${where}: not JSON (${err.message})`);
      catalogs[lang] = {};
      continue;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      problems.push(`${where}: not a JSON object`);
      catalogs[lang] = {};
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string') problems.push(`${where}: ${k}: the message is not a string`);
      if (!KEY.test(k)) problems.push(`${where}: "${k}" is not a key (area.name: lower-case area, a dot, a name)`);
    }
    if (text !== canonical(data)) problems.push(`${where}: not canonical (keys sorted, one per line; run tests/i18n/check-catalogs.mjs --fix)`);
    catalogs[lang] = data;
  }
  return catalogs;
}

/** A catalog as it is written: keys sorted, two-space indent, one per line, final newline. */
export function canonical(data) {
  const sorted = {};
  for (const k of Object.keys(data).sort()) sorted[k] = data[k];
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

function argsText(args) {
  return [...args.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([n, kinds]) => `${n}:${[...kinds].sort().join('/')}`).join(', ') || '(none)';
}

/** Plural checks for one parsed message in one language. */
function pluralProblems(lang, key, parts, where) {
  const problems = [];
  for (const sel of pluralSelectors(parts)) {
    const rules = new Intl.PluralRules(lang, { type: sel.ordinal ? 'ordinal' : 'cardinal' });
    const has = new Set(rules.resolvedOptions().pluralCategories);
    const named = sel.keys.filter((k) => !k.startsWith('='));
    for (const k of named) if (!has.has(k)) problems.push(`${where}: ${key}: "${k}" is not a plural form of ${lang} (it has ${[...has].join(', ')})`);
    const exact = new Set(sel.keys.filter((k) => k.startsWith('=')).map((k) => Number(k.slice(1))));
    const needed = new Set();
    for (let n = 0; n <= 1000; n++) if (!exact.has(n)) needed.add(rules.select(n));
    for (const c of needed) if (!named.includes(c)) problems.push(`${where}: ${key}: ${lang} needs the plural form "${c}" (for counts like ${firstOf(rules, c, exact)})`);
  }
  return problems;
}

function firstOf(rules, category, exact) {
  for (let n = 0; n <= 1000; n++) if (!exact.has(n) && rules.select(n) === category) return n;
  return '?';
}

function checkMessages(app, catalogs, problems, root) {
  const parsedArgs = {};
  for (const lang of LOCALES) {
    const where = relative(root, path.join(app.catalogs, `${lang}.json`));
    parsedArgs[lang] = {};
    for (const [key, src] of Object.entries(catalogs[lang])) {
      if (typeof src !== 'string') continue;
      let parts;
      try {
        parts = parseMessage(src);
      } catch (err) {
        problems.push(`${where}: ${key}: does not parse: ${err.message}`);
        continue;
      }
      if (!src.trim()) problems.push(`${where}: ${key}: the message is empty`);
      if (lang === 'ro' && /[şţŞŢ]/.test(src)) problems.push(`${where}: ${key}: Romanian is written with ș ț (comma below), not ş ţ`);
      parsedArgs[lang][key] = argsText(messageArguments(parts));
      problems.push(...pluralProblems(lang, key, parts, where));
    }
  }
  const all = new Set(LOCALES.flatMap((l) => Object.keys(catalogs[l])));
  for (const key of [...all].sort()) {
    const missing = LOCALES.filter((l) => !(key in catalogs[l]));
    if (missing.length) problems.push(`${app.name}: ${key}: missing in ${missing.join(', ')}`);
    const ref = LOCALES.find((l) => parsedArgs[l][key] !== undefined);
    for (const l of LOCALES) {
      if (ref && parsedArgs[l][key] !== undefined && parsedArgs[l][key] !== parsedArgs[ref][key]) {
        problems.push(`${app.name}: ${key}: arguments differ: ${ref} has ${parsedArgs[ref][key]}, ${l} has ${parsedArgs[l][key]}`);
      }
    }
  }
  return all;
}

function scanApp(app, root) {
  const used = new Map(); // key -> first file using it
  const prefixes = new Set();
  const mentioned = new Set();
  const skip = (app.exclude || []).map((e) => path.join(root || '', e));
  for (const dir of app.sources) {
    for (const file of walk(dir)) {
      if (skip.some((s) => file.startsWith(s))) continue;
      const scan = scanSource(fs.readFileSync(file, 'utf8'), /\.[ch]$/.test(file));
      for (const k of scan.used) if (!used.has(k)) used.set(k, relative(root, file));
      scan.prefixes.forEach((p) => prefixes.add(p));
      scan.mentioned.forEach((k) => mentioned.add(k));
    }
  }
  for (const x of app.xmacros || []) {
    const text = fs.readFileSync(x.file, 'utf8');
    const codes = xmacroCodes(text, x.list);
    if (!codes.length) throw new Error(`${x.file}: no ${x.list} list found`);
    for (const code of codes) if (!(x.skip || []).includes(code)) used.set(`${x.prefix}${code}`, `${relative(root, x.file)} ${x.list}`);
  }
  return { used, prefixes, mentioned };
}

/** Every problem of one app (an empty list when it is in order). */
export function checkApp(app, root) {
  const problems = [];
  const catalogs = readCatalogs(app, problems, root);
  const keys = checkMessages(app, catalogs, problems, root);
  const { used, prefixes, mentioned } = scanApp(app, root);
  for (const [key, file] of [...used].sort()) {
    if (!KEY.test(key)) problems.push(`${app.name}: ${file} uses "${key}", which is not a key`);
    else if (!keys.has(key)) problems.push(`${app.name}: ${key}: used in ${file} but in no catalog`);
  }
  for (const p of prefixes) {
    if (![...keys].some((k) => k.startsWith(p))) problems.push(`${app.name}: i18n-prefix ${p}: no catalog key has it`);
  }
  for (const key of [...keys].sort()) {
    const isUsed = used.has(key) || mentioned.has(key) || [...prefixes].some((p) => key.startsWith(p));
    if (!isUsed) problems.push(`${app.name}: ${key}: in the catalogs but used nowhere`);
  }
  return problems;
}

/** Rewrite an app's catalogs canonically (sorted keys); the messages are not changed. */
export function fixApp(app) {
  for (const lang of LOCALES) {
    const file = path.join(app.catalogs, `${lang}.json`);
    if (fs.existsSync(file)) fs.writeFileSync(file, canonical(JSON.parse(fs.readFileSync(file, 'utf8'))));
  }
}
