// messageformat.js: the project's own ICU MessageFormat parser and formatter ({name}, number, plural with `#` and
// `=N`, selectordinal, select), the subset every catalog (web, console, server) may use; Intl does the locale rules.
//
// Syntax (ICU, apostrophe mode DOUBLE_OPTIONAL, as libicu's umsg on the server reads the server catalogs):
//   text        literal; '' is one apostrophe; '{…}' quotes syntax characters; a lone ' is literal ("l'app")
//   {name}                      the argument as text
//   {name, number[, integer|percent]}
//   {name, plural, [offset:N] =0 {…} one {…} other {…}}   `#` inside is the number (minus the offset)
//   {name, selectordinal, one {#st} two {#nd} few {#rd} other {#th}}
//   {name, select, female {…} male {…} other {…}}          `other` is required in plural and select
// Date and time arguments are not supported: format them with i18n.js fmtDateTime (which labels the zone) and pass
// the text, so every time on screen says which zone it is in.

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORD = /^(=-?\d+(\.\d+)?|zero|one|two|few|many|other)$/;
const SELECTOR = /^[A-Za-z0-9_-]+$/;

/** A message that does not parse: `message` says what and where (offset into the source). */
export class MessageError extends Error {
  constructor(what, source, at) {
    super(`${what} at ${at} in "${source}"`);
    this.what = what;
    this.at = at;
  }
}

class Parser {
  constructor(src) {
    this.src = src;
    this.i = 0;
  }

  fail(what, at = this.i) { throw new MessageError(what, this.src, at); }

  space() { while (this.i < this.src.length && /\s/.test(this.src[this.i])) this.i++; }

  /** A run of characters up to one of `stops` (after trimming spaces round it). */
  word(stops) {
    this.space();
    const start = this.i;
    while (this.i < this.src.length && !stops.includes(this.src[this.i]) && !/\s/.test(this.src[this.i])) this.i++;
    const w = this.src.slice(start, this.i);
    this.space();
    return w;
  }

  expect(c) {
    if (this.src[this.i] !== c) this.fail(this.i >= this.src.length ? `expected "${c}" before the end` : `expected "${c}"`);
    this.i++;
  }

  /** Parts of a message up to an unmatched `}` (nested) or the end (top level). inPlural: `#` is the number. */
  message(nested, inPlural) {
    const parts = [];
    let text = '';
    const flush = () => { if (text) parts.push(text); text = ''; };
    for (;;) {
      if (this.i >= this.src.length) {
        if (nested) this.fail('a "{" is not closed');
        break;
      }
      const c = this.src[this.i];
      if (c === '}') {
        if (!nested) this.fail('a "}" has no "{"');
        break;
      }
      if (c === '{') {
        flush();
        parts.push(this.argument());
      } else if (c === '#' && inPlural) {
        flush();
        parts.push({ pound: true });
        this.i++;
      } else if (c === "'") {
        text += this.apostrophe(inPlural);
      } else {
        text += c;
        this.i++;
      }
    }
    flush();
    return parts;
  }

  /** '' is ', '{…}' quotes up to the next lone ', any other ' is itself. */
  apostrophe(inPlural) {
    const next = this.src[this.i + 1];
    if (next === "'") {
      this.i += 2;
      return "'";
    }
    if (next !== '{' && next !== '}' && !(next === '#' && inPlural)) {
      this.i++;
      return "'";
    }
    let out = '';
    this.i++;
    for (;;) {
      if (this.i >= this.src.length) return out; // ICU: an unclosed quote runs to the end
      const c = this.src[this.i];
      if (c === "'") {
        if (this.src[this.i + 1] === "'") {
          out += "'";
          this.i += 2;
          continue;
        }
        this.i++;
        return out;
      }
      out += c;
      this.i++;
    }
  }

  argument() {
    const open = this.i;
    this.i++; // {
    const name = this.word(',}');
    if (!NAME.test(name)) this.fail(name ? `"${name}" is not an argument name` : 'an argument has no name', open);
    if (this.src[this.i] === '}') {
      this.i++;
      return { arg: name };
    }
    this.expect(',');
    const type = this.word(',}');
    if (type === 'number') return this.number(name);
    if (type === 'plural' || type === 'selectordinal') return this.plural(name, type === 'selectordinal');
    if (type === 'select') return this.select(name);
    if (type === 'date' || type === 'time') this.fail(`"${type}" arguments are not used here: pass fmtDateTime text`, open);
    return this.fail(type ? `unknown argument type "${type}"` : 'an argument type is missing', open);
  }

  number(name) {
    let style = '';
    if (this.src[this.i] === ',') {
      this.i++;
      style = this.word('}');
      if (style !== 'integer' && style !== 'percent') this.fail(`unknown number style "${style}"`);
    }
    this.expect('}');
    return { arg: name, type: 'number', style };
  }

  /** `sel {msg} sel {msg} … }` for plural and select; returns the options object. */
  options(keyword, inPlural) {
    const options = {};
    for (;;) {
      this.space();
      if (this.src[this.i] === '}') break;
      const at = this.i;
      const key = this.word('{}');
      if (!key) this.fail('an option has no selector');
      if (!keyword.test(key)) this.fail(`"${key}" is not a selector here`, at);
      if (key in options) this.fail(`"${key}" is chosen twice`, at);
      this.expect('{');
      options[key] = this.message(true, inPlural);
      this.expect('}');
    }
    this.i++; // }
    if (!('other' in options)) this.fail('"other" is missing');
    return options;
  }

  plural(name, ordinal) {
    let offset = 0;
    this.expect(',');
    const save = this.i;
    const first = this.word('{}');
    if (first.startsWith('offset:')) {
      const n = first.slice(7) || this.word('{}');
      if (!/^\d+$/.test(n)) this.fail('offset must be a whole number', save);
      offset = Number(n);
    } else {
      this.i = save;
    }
    return { arg: name, type: ordinal ? 'selectordinal' : 'plural', offset, options: this.options(KEYWORD, true) };
  }

  select(name) {
    this.expect(',');
    return { arg: name, type: 'select', options: this.options(SELECTOR, false) };
  }
}

/** Parse a message into parts (strings and argument objects); throws MessageError. */
export function parseMessage(src) {
  if (typeof src !== 'string') throw new MessageError('a message must be a string', String(src), 0);
  const p = new Parser(src);
  return p.message(false, false);
}

/** The argument names a parsed message uses (a Map name -> the kinds it is used as: text, number, plural, select). */
export function messageArguments(parts, into = new Map()) {
  for (const part of parts) {
    if (typeof part === 'string' || part.pound) continue;
    const kinds = into.get(part.arg) || new Set();
    kinds.add(part.type || 'text');
    into.set(part.arg, kinds);
    if (part.options) for (const sub of Object.values(part.options)) messageArguments(sub, into);
  }
  return into;
}

/** Plural selectors a parsed message uses, per plural argument: [{arg, ordinal, keys: [...]}]. */
export function pluralSelectors(parts, into = []) {
  for (const part of parts) {
    if (typeof part === 'string' || part.pound || !part.options) continue;
    if (part.type !== 'select') into.push({ arg: part.arg, ordinal: part.type === 'selectordinal', keys: Object.keys(part.options) });
    for (const sub of Object.values(part.options)) pluralSelectors(sub, into);
  }
  return into;
}

const cache = new Map(); // "locale|kind" -> Intl object

function intl(locale, kind, make) {
  const key = `${locale}|${kind}`;
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key);
}

function formatNumber(locale, value, style) {
  const opts = style === 'integer' ? { maximumFractionDigits: 0 } : style === 'percent' ? { style: 'percent' } : {};
  return intl(locale, `n${style}`, () => new Intl.NumberFormat(locale, opts)).format(value);
}

function choosePlural(locale, part, value) {
  const exact = `=${value}`;
  if (exact in part.options) return part.options[exact];
  const type = part.type === 'selectordinal' ? 'ordinal' : 'cardinal';
  const rules = intl(locale, `p${type}`, () => new Intl.PluralRules(locale, { type }));
  const category = rules.select(value - part.offset);
  return part.options[category] || part.options.other;
}

function formatParts(locale, parts, args, number) {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if (part.pound) out += formatNumber(locale, number, '');
    else out += formatArgument(locale, part, args);
  }
  return out;
}

function formatArgument(locale, part, args) {
  const value = args ? args[part.arg] : undefined;
  if (value === undefined || value === null) return `{${part.arg}}`; // visible, never a crash
  if (!part.type) return typeof value === 'number' ? formatNumber(locale, value, '') : String(value);
  if (part.type === 'number') return formatNumber(locale, Number(value), part.style);
  if (part.type === 'select') {
    const key = String(value);
    return formatParts(locale, part.options[key] || part.options.other, args);
  }
  const n = Number(value);
  return formatParts(locale, choosePlural(locale, part, n), args, n - part.offset);
}

/** Format parsed parts (or a source string) in a locale with named arguments. */
export function formatMessage(locale, message, args) {
  const parts = typeof message === 'string' ? parseMessage(message) : message;
  return formatParts(locale, parts, args, 0);
}
