import { dictKeys, isDict, makeTuple } from './python-value.js';
import { makeDictView, pyRepr, pyStr } from './python-repr.js';
import { formatWithSpec } from './percent-format.js';
import { PyDate, PyDateTime, PyTimedelta } from './python-datetime.js';
import { pyEquals } from './python-ops.js';
import { strict } from './undefined.js';

type Method = (...args: unknown[]) => unknown;

/** Splits nunjucks' trailing keyword-argument object off a call's arguments. */
export function splitKwargs(args: unknown[]): { positional: unknown[]; kwargs: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (isDict(last) && Object.hasOwn(last, '__keywords')) {
    const { __keywords: _ignored, ...kwargs } = last;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: args, kwargs: {} };
}

function arg(args: unknown[], kwargs: Record<string, unknown>, index: number, name: string, fallback: unknown): unknown {
  if (Object.hasOwn(kwargs, name)) return strict(kwargs[name]);
  return index < args.length ? strict(args[index]) : fallback;
}

/** Python `str.split(sep=None, maxsplit=-1)`. Source: Python docs, `str.split`. */
export function pySplit(s: string, sep: unknown = null, maxsplit = -1): string[] {
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (maxsplit >= 0 && out.length >= maxsplit) {
        out.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const separator = String(sep);
  if (separator === '') throw new RangeError('empty separator');
  const parts = s.split(separator);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)];
}

/** Python's `s[start:end]` window of a str method's optional `start`/`end`, by code point, and its first argument. */
function window(s: string, args: unknown[]): [string[], string] {
  const { positional } = splitKwargs(args);
  const chars = Array.from(s);
  const n = chars.length;
  const clamp = (v: unknown, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    let i = Number(strict(v));
    if (i < 0) i += n;
    return Math.min(Math.max(i, 0), n);
  };
  return [chars.slice(clamp(positional[1], 0), clamp(positional[2], n)), pyStr(strict(positional[0]))];
}

/** `str.find`/`rfind`/`index`/`rindex(sub, start, end)`: a code-point index. */
function search(s: string, args: unknown[], fromEnd: boolean, raise: boolean): number {
  const { positional } = splitKwargs(args);
  const [chars, sub] = window(s, args);
  const startArg = positional[1];
  let offset = startArg === undefined || startArg === null ? 0 : Number(startArg);
  if (offset < 0) offset = Math.max(0, Array.from(s).length + offset);
  const text = chars.join('');
  const unit = fromEnd ? text.lastIndexOf(sub) : text.indexOf(sub);
  if (unit < 0) {
    if (raise) throw new RangeError('substring not found');
    return -1;
  }
  return offset + Array.from(text.slice(0, unit)).length;
}

/** `str.startswith`/`endswith(affix, start, end)`: the affix may be a tuple of them. */
function affix(s: string, args: unknown[], name: string, test: (text: string, affix: string) => boolean): boolean {
  const { positional, kwargs } = splitKwargs(args);
  const p = positional[0] ?? kwargs[name];
  const [chars] = window(s, [''].concat(positional.slice(1) as string[]));
  const text = chars.join('');
  return (Array.isArray(p) ? p : [p]).some((x) => test(text, pyStr(strict(x))));
}

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

/** Python `str.strip(chars=None)` and its left/right forms. */
export function pyStrip(s: string, chars: unknown, side: 'both' | 'left' | 'right' = 'both'): string {
  const cls = chars === null || chars === undefined ? '\\s' : escapeClass(String(chars));
  if (cls === '') return s;
  let out = s;
  if (side !== 'right') out = out.replace(new RegExp(`^[${cls}]+`, 'u'), '');
  if (side !== 'left') out = out.replace(new RegExp(`[${cls}]+$`, 'u'), '');
  return out;
}

/** Python `str.format()`: `{}`, `{0}`, `{name}`, `{name.attr}`, `{name[0]}`, `!r`/`!s` conversions, format specs (`{:>8}`, `{:.2f}`) and `{{ }}` escapes. Source: Python docs, "Format String Syntax". */
export function pyFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}:!]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (m, field: string | undefined, conversion: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const name = field ?? '';
    const [head = '', ...path] = name.split(/\.|(?=\[)/);
    let v: unknown = head === '' ? args[auto++] : /^\d+$/.test(head) ? args[Number(head)] : kwargs[head];
    for (const p of path) {
      const index = /^\[(.*)\]$/.exec(p);
      const key = index ? index[1]! : p;
      v = isDict(v) ? v[key] : Array.isArray(v) && /^\d+$/.test(key) ? v[Number(key)] : undefined;
    }
    v = strict(v, name);
    if (conversion === 'r' || conversion === 'a') v = pyRepr(v);
    else if (conversion === 's') v = pyStr(v);
    return spec === undefined || spec === '' ? pyStr(v) : formatWithSpec(v, spec);
  });
}

/** Python `str.replace(old, new, count=-1)`, by code point (an empty `old` inserts between characters). */
export function pyReplace(s: string, old: string, repl: string, count = -1): string {
  if (old === '') {
    const chars = Array.from(s);
    const n = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
    let out = '';
    for (let i = 0; i < chars.length; i++) out += (i < n ? repl : '') + chars[i];
    return out + (chars.length < n ? repl : '');
  }
  const parts = s.split(old);
  if (count < 0 || parts.length - 1 <= count) return parts.join(repl);
  return parts.slice(0, count + 1).join(repl) + old + parts.slice(count + 1).join(old);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Python `str.title()`: upper-case the first letter of every run of letters. */
export function pyTitle(s: string): string {
  return s.replace(/[\p{L}\p{M}]+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
}

function stringMethod(s: string, name: string): Method | undefined {
  const m: Record<string, Method> = {
    startswith: (...a) => affix(s, a, 'prefix', (t, x) => t.startsWith(x)),
    endswith: (...a) => affix(s, a, 'suffix', (t, x) => t.endsWith(x)),
    split: (...a) => { const { positional, kwargs } = splitKwargs(a); return pySplit(s, arg(positional, kwargs, 0, 'sep', null), Number(arg(positional, kwargs, 1, 'maxsplit', -1))); },
    rsplit: (...a) => {
      const { positional, kwargs } = splitKwargs(a);
      const sep = arg(positional, kwargs, 0, 'sep', null);
      const max = Number(arg(positional, kwargs, 1, 'maxsplit', -1));
      if (max < 0) return pySplit(s, sep);
      const parts = pySplit(s, sep);
      if (parts.length <= max + 1) return parts;
      const joiner = sep === null ? ' ' : String(sep);
      return [parts.slice(0, parts.length - max).join(joiner), ...parts.slice(parts.length - max)];
    },
    splitlines: () => s.split(/\r\n|\r|\n/).filter((x, i, all) => !(i === all.length - 1 && x === '')),
    strip: (chars = null) => pyStrip(s, chars),
    lstrip: (chars = null) => pyStrip(s, chars, 'left'),
    rstrip: (chars = null) => pyStrip(s, chars, 'right'),
    upper: () => s.toUpperCase(),
    lower: () => s.toLowerCase(),
    capitalize: () => capitalize(s),
    title: () => pyTitle(s),
    replace: (old, repl, count = -1) => pyReplace(s, pyStr(strict(old)), pyStr(strict(repl)), Number(count)),
    join: (items) => (strict(items) as unknown[]).map((x) => pyStr(x)).join(s),
    format: (...a) => { const { positional, kwargs } = splitKwargs(a); return pyFormat(s, positional, kwargs); },
    find: (...a) => search(s, a, false, false),
    rfind: (...a) => search(s, a, true, false),
    index: (...a) => search(s, a, false, true),
    rindex: (...a) => search(s, a, true, true),
    count: (...a) => {
      const [t, sub] = window(s, a);
      return sub === '' ? t.length + 1 : t.join('').split(sub).length - 1;
    },
    swapcase: () => Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
    casefold: () => s.toLowerCase().replace(/ß/g, 'ss'),
    partition: (sep) => { const p = pyStr(strict(sep)); if (p === '') throw new RangeError('empty separator'); const i = s.indexOf(p); return makeTuple(i < 0 ? [s, '', ''] : [s.slice(0, i), p, s.slice(i + p.length)]); },
    rpartition: (sep) => { const p = pyStr(strict(sep)); if (p === '') throw new RangeError('empty separator'); const i = s.lastIndexOf(p); return makeTuple(i < 0 ? ['', '', s] : [s.slice(0, i), p, s.slice(i + p.length)]); },
    removeprefix: (p) => (s.startsWith(pyStr(p)) ? s.slice(pyStr(p).length) : s),
    removesuffix: (p) => (pyStr(p) !== '' && s.endsWith(pyStr(p)) ? s.slice(0, s.length - pyStr(p).length) : s),
    expandtabs: (size = 8) => {
      let col = 0;
      let out = '';
      for (const c of s) {
        if (c === '\t') { const n = Number(size) > 0 ? Number(size) - (col % Number(size)) : 0; out += ' '.repeat(n); col += n; }
        else if (c === '\n' || c === '\r') { out += c; col = 0; }
        else { out += c; col++; }
      }
      return out;
    },
    isdecimal: () => /^\p{Nd}+$/u.test(s),
    isnumeric: () => /^[\p{Nd}\p{Nl}\p{No}]+$/u.test(s),
    isidentifier: () => /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(s),
    istitle: () => /\p{Lu}|\p{Lt}/u.test(s) && pyTitle(s) === s,
    isdigit: () => /^\d+$/u.test(s),
    isalpha: () => /^\p{L}+$/u.test(s),
    isalnum: () => /^[\p{L}\p{N}]+$/u.test(s),
    isspace: () => /^\s+$/u.test(s),
    islower: () => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
    isupper: () => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
    zfill: (w) => { const n = Number(w); const sign = /^[+-]/.test(s) ? s[0] ?? '' : ''; return sign + '0'.repeat(Math.max(0, n - Array.from(s).length)) + s.slice(sign.length); },
    ljust: (w, fill = ' ') => s + String(fill).repeat(Math.max(0, Number(w) - Array.from(s).length)),
    rjust: (w, fill = ' ') => String(fill).repeat(Math.max(0, Number(w) - Array.from(s).length)) + s,
    center: (w, fill = ' ') => {
      const total = Number(w) - Array.from(s).length;
      if (total <= 0) return s;
      const left = Math.floor(total / 2) + (total & Number(w) & 1);
      return String(fill).repeat(left) + s + String(fill).repeat(total - left);
    },
  };
  return Object.hasOwn(m, name) ? m[name] : undefined;
}

function dictMethod(d: Record<string, unknown>, name: string): Method | undefined {
  const m: Record<string, Method> = {
    items: () => { const keys = dictKeys(d); return makeDictView('dict_items', Object.values(d).map((v, i) => makeTuple([keys[i], v]))); },
    keys: () => makeDictView('dict_keys', dictKeys(d)),
    values: () => makeDictView('dict_values', Object.values(d)),
    get: (key, fallback = null) => (Object.hasOwn(d, String(strict(key))) ? d[String(key)] : fallback),
    copy: () => ({ ...d }),
    update: (other) => { Object.assign(d, strict(other)); return null; },
    pop: (key, fallback) => {
      const k = String(strict(key));
      if (Object.hasOwn(d, k)) { const v = d[k]; delete d[k]; return v; }
      if (fallback === undefined) throw new RangeError(`KeyError: '${k}'`);
      return fallback;
    },
    setdefault: (key, fallback = null) => { const k = String(strict(key)); if (!Object.hasOwn(d, k)) d[k] = fallback; return d[k]; },
  };
  return Object.hasOwn(m, name) ? m[name] : undefined;
}

const DATETIME_METHODS = new Set(['isoformat', 'strftime', 'date', 'weekday', 'total_seconds']);

function listMethod(l: unknown[], name: string): Method | undefined {
  const m: Record<string, Method> = {
    index: (x) => { const i = l.findIndex((y) => pyEquals(x, y)); if (i < 0) throw new RangeError('value is not in list'); return i; },
    count: (x) => l.filter((y) => pyEquals(x, y)).length,
    append: (x) => { l.push(x); return null; },
    extend: (xs) => { l.push(...(strict(xs) as unknown[])); return null; },
    insert: (i, x) => { l.splice(Number(i), 0, x); return null; },
    pop: (i = -1) => { const n = Number(i); const [v] = l.splice(n < 0 ? l.length + n : n, 1); return v; },
    remove: (x) => { const i = l.findIndex((y) => pyEquals(x, y)); if (i < 0) throw new RangeError('list.remove(x): x not in list'); l.splice(i, 1); return null; },
    copy: () => [...l],
  };
  return Object.hasOwn(m, name) ? m[name] : undefined;
}

/**
 * The Python method `name` of a string, dict or list, bound to it, as Jinja2 exposes them
 * (`s.startswith('a')`, `d.items()`, `l.append(x)`); `undefined` when there is none.
 * Source: Python docs, "Built-in Types".
 */
export function pythonMethod(target: unknown, name: string): Method | undefined {
  if (typeof target === 'string') return stringMethod(target, name);
  if (target instanceof PyDate || target instanceof PyDateTime || target instanceof PyTimedelta) {
    const m = (target as unknown as Record<string, unknown>)[name];
    return DATETIME_METHODS.has(name) && typeof m === 'function' ? (m as Method).bind(target) : undefined;
  }
  if (Array.isArray(target)) return listMethod(target, name);
  if (isDict(target)) return dictMethod(target, name);
  return undefined;
}
