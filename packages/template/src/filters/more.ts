import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { isSafeString, nunjucks } from '../nunjucks-internals.js';
import { pyCompare, pyTypeName } from '../python-ops.js';
import { dictViewKind, pyRepr, pyReprString, pyStr } from '../python-repr.js';
import { PyFloat, isDict, isTuple, makeTuple, num, toPyFloat } from '../python-value.js';
import { Undefined, strict } from '../undefined.js';
import { pythonMethod } from '../python-methods.js';
import { PyDate, PyDateTime, PyTimedelta } from '../python-datetime.js';
import { escapeHtml } from './html.js';
import { filterArgs, type Filter } from './filter-args.js';
import { attributeOf } from './collections.js';

/**
 * The builtin filters of ansible-core 2.14 and Jinja2 3.1 that the other filter files do not
 * hold, with Python's semantics (tuples, code points, float results). Sources: ansible-core 2.14
 * `plugins/filter/core.py`, `mathstuff.py`, `urlsplit.py`, `urls.py`; Jinja2 3.1 `filters.py`;
 * checked by the corpus in `test/fixtures/templates/corpus/`.
 */

function markSafe(s: string): unknown {
  return new (nunjucks().runtime.SafeString)(s);
}

function text(v: unknown): string {
  return pyStr(strict(v));
}

function seq(v: unknown): unknown[] {
  const x = strict(v);
  if (Array.isArray(x)) return x;
  if (typeof x === 'string' || isSafeString(x)) return Array.from(String(x));
  if (isDict(x)) return Object.keys(x);
  throw new TypeError(`'${pyTypeName(x)}' object is not iterable`);
}

function combinationsOf<T>(items: T[], r: number): T[][] {
  if (r > items.length) return [];
  const out: T[][] = [];
  const rec = (start: number, acc: T[]): void => {
    if (acc.length === r) { out.push(acc); return; }
    for (let i = start; i < items.length; i++) rec(i + 1, [...acc, items[i]!]);
  };
  rec(0, []);
  return out;
}

function permutationsOf<T>(items: T[], r: number): T[][] {
  if (r > items.length) return [];
  const out: T[][] = [];
  const rec = (acc: T[], used: boolean[]): void => {
    if (acc.length === r) { out.push(acc); return; }
    items.forEach((x, i) => { if (!used[i]) { used[i] = true; rec([...acc, x], used); used[i] = false; } });
  };
  rec([], []);
  return out;
}

const SIZE_UNITS = ['Y', 'Z', 'E', 'P', 'T', 'G', 'M', 'K', 'B'];
const SIZE_FACTORS: Record<string, number> = { Y: 2 ** 80, Z: 2 ** 70, E: 2 ** 60, P: 2 ** 50, T: 2 ** 40, G: 2 ** 30, M: 2 ** 20, K: 2 ** 10, B: 1 };

/** ansible `module_utils/common/text/formatters.py` bytes_to_human. */
function bytesToHuman(size: number, isbits: boolean, unit: string | null): string {
  const [base, suffix] = isbits ? ['bits', 'b'] : ['Bytes', 'B'];
  for (const u of SIZE_UNITS) {
    const limit = SIZE_FACTORS[u]!;
    if ((unit === null && size >= limit) || (unit !== null && unit.toUpperCase() === u)) {
      return `${(size / limit).toFixed(2)} ${u === 'B' ? base : u + suffix}`;
    }
  }
  return `${size.toFixed(2)} ${base}`;
}

function humanToBytes(value: string, defaultUnit: string | null, isbits: boolean): number {
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$/.exec(value);
  if (!m || m[1] === '') throw new Error(`human_to_bytes() can't interpret following string: ${value}`);
  const n = Number(m[1]);
  let unit = m[2] ?? defaultUnit;
  if (!unit) return Math.round(n);
  const prefix = unit[0]!.toUpperCase();
  const factor = SIZE_FACTORS[prefix];
  if (factor === undefined) throw new Error(`human_to_bytes() failed to convert ${value}. Value is not a valid string (expect ${isbits ? 'bits' : 'bytes'})`);
  unit = unit.slice(1);
  return Math.round(n * factor);
}

const COMMENT_STYLES: Record<string, { decoration: string; beginning?: string; end?: string; prefix_count?: number; prefix?: string }> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};

/** ansible `comment` filter (plugins/filter/core.py). */
const comment: Filter = (v, ...args) => {
  const a = filterArgs(args);
  const style = String(a.get(0, 'style', 'plain'));
  const p = { newline: '\n', beginning: '', prefix: undefined as string | undefined, prefix_count: 1, decoration: '', postfix: undefined as string | undefined, postfix_count: 1, end: '', ...COMMENT_STYLES[style], ...a.kwargs };
  const prefix = p.prefix ?? p.decoration.replace(/\s+$/, '');
  const postfix = p.postfix ?? p.decoration.replace(/\s+$/, '');
  const lines = text(v).split('\n');
  let out = '';
  if (p.beginning) out += p.beginning + p.newline;
  out += (prefix + p.newline).repeat(Number(p.prefix_count));
  out += lines.map((l) => (l === '' ? p.decoration.replace(/\s+$/, '') : p.decoration + l)).join(p.newline) + p.newline;
  out += (postfix + p.newline).repeat(Number(p.postfix_count));
  if (p.end) out += p.end + p.newline;
  return out.replace(/\n$/, '');
};

/** Python's uuid.uuid5. Source: RFC 4122 section 4.3. */
function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from(name, 'utf8')])).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Python's posixpath.splitext. */
function splitext(p: string): [string, string] {
  const slash = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > slash) {
    let i = slash + 1;
    while (i < dot && p[i] === '.') i++;
    if (i < dot) return [p.slice(0, dot), p.slice(dot)];
  }
  return [p, ''];
}

/** Python's urllib.parse.urlsplit, as ansible's urlsplit filter returns it. */
function urlsplit(url: string): Record<string, unknown> {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(url)!;
  const netloc = m[2] ?? '';
  const userinfo = netloc.includes('@') ? netloc.slice(0, netloc.lastIndexOf('@')) : null;
  const hostport = netloc.slice(netloc.lastIndexOf('@') + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const host = hp?.[1] ?? '';
  return {
    fragment: m[5] ?? '',
    hostname: host === '' ? null : host.replace(/^\[|\]$/g, '').toLowerCase(),
    netloc,
    password: userinfo !== null && userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : null,
    path: m[3] ?? '',
    port: hp?.[2] ? Number(hp[2]) : null,
    query: m[4] ?? '',
    scheme: (m[1] ?? '').toLowerCase(),
    username: userinfo === null ? null : userinfo.split(':')[0],
  };
}

function pprint(v: unknown): string {
  const flat = pyRepr(sortDicts(v));
  if (flat.length <= 80) return flat;
  return pformat(sortDicts(v), 0);
}

function sortDicts(v: unknown): unknown {
  if (isTuple(v)) return makeTuple(v.map(sortDicts));
  if (Array.isArray(v)) return v.map(sortDicts);
  if (isDict(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDicts(v[k])]));
  return v;
}

/** Python's pprint.pformat (width 80, dicts sorted), for lists and dicts that do not fit one line. */
function pformat(v: unknown, indent: number): string {
  const flat = pyRepr(v);
  if (flat.length + indent <= 80) return flat;
  if (Array.isArray(v)) return `[${v.map((x) => pformat(x, indent + 1)).join(`,\n${' '.repeat(indent + 1)}`)}]`;
  if (isDict(v)) return `{${Object.entries(v).map(([k, x]) => { const key = `${pyReprString(k)}: `; return key + pformat(x, indent + 1 + key.length); }).join(`,\n${' '.repeat(indent + 1)}`)}}`;
  return flat;
}

const HTML_JSON: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', "'": '\\u0027' };

export const moreFilters: Record<string, Filter> = {
  checksum: (v) => createHash('sha1').update(text(v), 'utf8').digest('hex'),
  combinations: (v, r) => combinationsOf(seq(v), Number(strict(r))).map((c) => makeTuple(c)),
  permutations: (v, ...args) => { const items = seq(v); const r = filterArgs(args).get(0, 'r', null); return permutationsOf(items, r === null ? items.length : Number(r)).map((c) => makeTuple(c)); },
  comment,
  expanduser: (v) => text(v).replace(/^~(?=\/|$)/, homedir()),
  expandvars: (v) => text(v).replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => process.env[(a ?? b)!] ?? m),
  extract: (v, container, morekeys) => {
    let out = attributeOf(strict(container), strict(v));
    if (morekeys !== undefined && morekeys !== null) for (const k of Array.isArray(morekeys) ? morekeys : [morekeys]) out = attributeOf(out, k);
    return out;
  },
  fileglob: (v) => {
    const pattern = text(v);
    const dir = dirname(pattern);
    if (pattern === '' || !existsSync(dir)) return [];
    const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
  },
  human_readable: (v, ...args) => { const a = filterArgs(args); return bytesToHuman(num(strict(v) as number), a.get(0, 'isbits', false) === true, (a.get(1, 'unit', null) as string | null)); },
  human_to_bytes: (v, ...args) => { const a = filterArgs(args); return humanToBytes(text(v), a.get(0, 'default_unit', null) as string | null, a.get(1, 'isbits', false) === true); },
  log: (v, base) => toPyFloat(base === undefined ? Math.log(num(strict(v) as number)) : Math.log(num(strict(v) as number)) / Math.log(num(strict(base) as number))),
  pow: (v, y) => toPyFloat(num(strict(v) as number) ** num(strict(y) as number)),
  root: (v, base) => { const b = base === undefined ? 2 : num(strict(base) as number); const x = num(strict(v) as number); return toPyFloat(b === 2 ? Math.sqrt(x) : x ** (1 / b)); },
  path_join: (v) => {
    const parts = typeof strict(v) === 'string' ? [text(v)] : seq(v).map((p) => text(p));
    return parts.reduce((acc, p) => (p.startsWith('/') ? p : acc === '' || acc.endsWith('/') ? acc + p : `${acc}/${p}`), '');
  },
  realpath: (v) => { const p = resolve(text(v)); try { return realpathSync(p); } catch { return normalize(p); } },
  relpath: (v, start) => relative(start === undefined ? process.cwd() : text(start), text(v)) || '.',
  regex_escape: (v, ...args) => {
    const type = String(filterArgs(args).get(0, 're_type', 'python'));
    const s = text(v);
    if (type === 'posix_basic') return s.replace(/[.^$*[\]\\]/g, '\\$&');
    if (type !== 'python') throw new Error('Invalid regex type (' + type + ')');
    // Python 3.7+ re.escape: only the characters special in a pattern.
    return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&');
  },
  rekey_on_member: (v, key) => {
    const x = strict(v);
    const list = isDict(x) ? Object.values(x) : (x as unknown[]);
    const out: Record<string, unknown> = {};
    for (const item of list) {
      if (!isDict(item)) throw new Error(`List item is not a valid dict`);
      const k = String(strict(key));
      if (!Object.hasOwn(item, k)) throw new Error(`Key ${k} was not found`);
      out[pyStr(item[k])] = item;
    }
    return out;
  },
  splitext: (v) => makeTuple(splitext(text(v))),
  subelements: (v, key, ...args) => {
    const skip = filterArgs(args).get(0, 'skip_missing', false) === true;
    const x = strict(v);
    const list = isDict(x) ? Object.values(x) : (x as Record<string, unknown>[]);
    return list.flatMap((item) => {
      let sub: unknown = item;
      for (const k of String(strict(key)).split('.')) {
        if (!isDict(sub) || !Object.hasOwn(sub, k)) { if (skip) return []; throw new Error(`could not find '${String(key)}' key in iterated item '${pyStr(item)}'`); }
        sub = sub[k];
      }
      return (sub as unknown[]).map((s) => makeTuple([item, s]));
    });
  },
  to_uuid: (v, ...args) => uuid5(String(filterArgs(args).get(0, 'namespace', '361E6D51-FAEC-444A-9079-341386DA8E2E')), text(v)),
  type_debug: (v) => { const x = strict(v); return dictViewKind(x) ?? (isTuple(x) ? 'tuple' : x instanceof PyFloat ? 'float' : typeof x === 'string' ? 'str' : isSafeString(x) ? 'Markup' : pyTypeName(x)); },
  urlsplit: (v, query) => { const parts = urlsplit(text(v)); if (query === undefined) return parts; const q = String(strict(query)); if (!Object.hasOwn(parts, q)) throw new Error(`urlsplit: unknown URL component: ${q}`); return parts[q]; },
  win_basename: (v) => { const s = text(v); return s.slice(Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/')) + 1); },
  win_dirname: (v) => { const s = text(v); const i = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/')); return i < 0 ? (/^[A-Za-z]:/.test(s) ? s.slice(0, 2) : '') : s.slice(0, i).replace(/[\\/]+$/, '') || s.slice(0, i + 1); },
  win_splitdrive: (v) => { const s = text(v); const m = /^([A-Za-z]:|[\\/]{2}[^\\/]+[\\/][^\\/]+)/.exec(s); return makeTuple(m ? [m[1]!, s.slice(m[1]!.length)] : ['', s]); },
  zip_longest: (v, ...rest) => {
    const a = filterArgs(rest);
    const fill = a.kwargs.fillvalue ?? null;
    const lists = [seq(v), ...a.positional.map(seq)];
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => (i < l.length ? l[i] : fill))));
  },
  // Jinja2
  // Jinja2's attr reads Python attributes only (a dict's methods, a date's fields), never items.
  attr: (v, name) => {
    const x = strict(v);
    const k = pyStr(strict(name));
    const method = pythonMethod(isSafeString(x) ? x.toString() : x, k);
    if (method) return method;
    if (x instanceof PyDate || x instanceof PyDateTime || x instanceof PyTimedelta) {
      const own = (x as unknown as Record<string, unknown>)[k];
      if (Object.hasOwn(x, k)) return own;
    }
    return new Undefined(k, `'${x === null ? 'None' : `${pyTypeName(x)} object`}' has no attribute '${k}'`);
  },
  items: (v) => { const x = strict(v); if (!isDict(x)) throw new TypeError('Can only get item pairs from a mapping.'); return Object.entries(x).map(([k, y]) => makeTuple([k, y])); },
  dictsort: (v, ...args) => {
    const a = filterArgs(args);
    const caseSensitive = a.get(0, 'case_sensitive', false) === true;
    const by = String(a.get(1, 'by', 'key'));
    const reverse = a.get(2, 'reverse', false) === true;
    const x = strict(v) as Record<string, unknown>;
    const key = (e: [string, unknown]): unknown => { const k = by === 'value' ? e[1] : e[0]; return !caseSensitive && typeof k === 'string' ? k.toLowerCase() : k; };
    const entries = Object.entries(x).sort((p, q) => pyCompare(key(p), key(q)));
    if (reverse) entries.reverse();
    return entries.map((e) => makeTuple(e));
  },
  escape: (v) => (isSafeString(v) ? v : markSafe(escapeHtml(pyStr(strict(v))))),
  e: (v) => (isSafeString(v) ? v : markSafe(escapeHtml(pyStr(strict(v))))),
  forceescape: (v) => markSafe(escapeHtml(pyStr(strict(v)))),
  title: (v) => text(v).split(/([-\s({[<]+)/u).filter((w) => w !== '').map((w) => { const [first = '', ...rest] = Array.from(w); return first.toUpperCase() + rest.join('').toLowerCase(); }).join(''),
  wordcount: (v) => (text(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  truncate: (v, ...args) => {
    const a = filterArgs(args);
    const s = Array.from(text(v));
    const length = Number(a.get(0, 'length', 255));
    const killwords = a.get(1, 'killwords', false) === true;
    const end = String(a.get(2, 'end', '...'));
    const leeway = Number(a.get(3, 'leeway', 5) ?? 5);
    if (s.length <= length + leeway) return s.join('');
    const cut = s.slice(0, Math.max(0, length - Array.from(end).length)).join('');
    if (killwords) return cut + end;
    const i = cut.lastIndexOf(' ');
    return (i < 0 ? cut : cut.slice(0, i)) + end;
  },
  urldecode: (v) => decodeURIComponent(text(v).replace(/\+/g, ' ')),
  groupby: (v, attribute, ...args) => {
    const a = filterArgs(args);
    const dflt = a.get(0, 'default', undefined);
    const groups = new Map<string, [unknown, unknown[]]>();
    for (const item of seq(v)) {
      let key = attributeOf(item, strict(attribute));
      if (key === undefined && dflt !== undefined) key = dflt;
      const id = pyRepr(key);
      if (!groups.has(id)) groups.set(id, [key, []]);
      groups.get(id)![1].push(item);
    }
    return [...groups.values()].sort((p, q) => pyCompare(p[0], q[0])).map(([k, items]) => makeTuple([k, items]));
  },
  center: (v, width) => { const s = text(v); const w = width === undefined ? 80 : Number(strict(width)); const n = Array.from(s).length; if (w <= n) return s; const total = w - n; const left = Math.floor(total / 2) + (total & w & 1); return ' '.repeat(left) + s + ' '.repeat(total - left); },
  reverse: (v) => { const x = strict(v); if (typeof x === 'string' || isSafeString(x)) return Array.from(String(x)).reverse().join(''); return [...seq(x)].reverse(); },
  batch: (v, size, fill) => { const items = seq(v); const n = Number(strict(size)); const out: unknown[][] = []; for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n)); const last = out[out.length - 1]; if (fill !== undefined && last && last.length < n) while (last.length < n) last.push(fill); return out; },
  pprint: (v) => pprint(strict(v)),
  tojson: (v, ...args) => {
    const indent = filterArgs(args).get(0, 'indent', null);
    const json = pyJsonDumps(sortDicts(strict(v)), indent === null ? null : Number(indent));
    return json.replace(/[<>&']/g, (c) => HTML_JSON[c]!);
  },
  xmlattr: (v, autospace) => {
    const parts = Object.entries(strict(v) as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => `${escapeHtml(k)}="${escapeHtml(pyStr(x))}"`);
    const s = parts.join(' ');
    return s !== '' && autospace !== false ? ` ${s}` : s;
  },
};

/** Python's json.dumps (ensure_ascii, `, ` and `: ` separators, or indented). */
export function pyJsonDumps(v: unknown, indent: number | null, level = 0): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return pyRepr(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyRepr(v);
  if (typeof v === 'string' || isSafeString(v)) return JSON.stringify(String(v)).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const pad = indent === null ? '' : `\n${' '.repeat(indent * (level + 1))}`;
  const end = indent === null ? '' : `\n${' '.repeat(indent * level)}`;
  const sep = indent === null ? ', ' : ',';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${pad}${v.map((x) => pyJsonDumps(x, indent, level + 1)).join(sep + pad)}${end}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? '{}' : `{${pad}${entries.map(([k, x]) => `${pyJsonDumps(k, indent)}: ${pyJsonDumps(x, indent, level + 1)}`).join(sep + pad)}${end}}`;
}
