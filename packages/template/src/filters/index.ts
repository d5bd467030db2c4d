import { isUndefined, throwUndefined } from '../undefined.js';
import { isDict } from '../python-value.js';
import { defaultFilter, mandatory, ternary } from './defaults.js';
import { abs, bool, float, int, length, list, round, string } from './types.js';
import { b64decode, b64encode, basename, capitalize, dirname, format, hash, indent, lower, md5, quote, replace, sha1, split, trim, upper, wordwrap } from './strings.js';
import { regexFindall, regexReplace, regexSearch } from './regex.js';
import { combine, dict2items, difference, first, flatten, intersect, items2dict, join, last, map, max, min, product, reject, rejectattr, select, selectattr, sort, sum, symmetricDifference, union, unique, zip } from './collections.js';
import { fromJson, fromYaml, fromYamlAll, toJson, toNiceJson, toNiceYaml, toYaml } from './serialization.js';
import { random, shuffle } from './random.js';
import type { Filter } from './filter-args.js';
import { moreFilters } from './more.js';
import { striptags, urlize, urlQuote } from './html.js';
import { passwordHash } from './password-hash.js';
import { unvault, vault } from './vault.js';
import { strftimeFilter, toDatetime } from './dates.js';
import { filterArgs } from './filter-args.js';
import { pyStr } from '../python-repr.js';
import { num } from '../python-value.js';
import { truthy } from '../python-ops.js';
import { fixedDigits } from '../python-number-format.js';
import { strict } from '../undefined.js';
import { isSafeString, nunjucks } from '../nunjucks-internals.js';

/** Filters that look at an Undefined themselves instead of failing on it. */
const ACCEPTS_UNDEFINED = new Set(['default', 'd', 'mandatory']);

function strictArgs(name: string, filter: Filter): Filter {
  if (ACCEPTS_UNDEFINED.has(name)) {
    return function (this: ThisParameterType<Filter>, value: unknown, ...args: unknown[]) {
      checkKeywords(name, args);
      return filter.call(this, value, ...args);
    };
  }
  return function (this: ThisParameterType<Filter>, value: unknown, ...args: unknown[]) {
    checkKeywords(name, args);
    if (isUndefined(value)) throwUndefined(value);
    for (const a of args) {
      if (isUndefined(a)) throwUndefined(a);
      if (isDict(a) && Object.hasOwn(a, '__keywords')) for (const k of Object.values(a)) if (isUndefined(k)) throwUndefined(k);
    }
    return filter.call(this, value, ...args);
  };
}

const table: Record<string, Filter> = {
  default: defaultFilter, d: defaultFilter, mandatory, ternary,
  bool, int, float, string, list, length, count: length, abs, round,
  lower, upper, capitalize, replace, trim, indent, wordwrap, format, quote, split,
  b64encode, b64decode, hash, md5, sha1, basename, dirname,
  regex_replace: regexReplace, regex_search: regexSearch, regex_findall: regexFindall,
  first, last, join, map, select, reject, selectattr, rejectattr, unique, union, intersect, difference,
  symmetric_difference: symmetricDifference, min, max, sum, sort, dict2items, items2dict, combine, zip, product, flatten,
  to_json: toJson, to_nice_json: toNiceJson, from_json: fromJson, to_yaml: toYaml, to_nice_yaml: toNiceYaml,
  from_yaml: fromYaml, from_yaml_all: fromYamlAll,
  random, shuffle,
  ...moreFilters,
  password_hash: (v, ...args) => {
    const a = filterArgs(args);
    const opt = (i: number, k: string): unknown => a.get(i, k, null);
    const rounds = opt(3, 'rounds');
    const saltSize = opt(2, 'salt_size');
    return passwordHash(pyStr(v), pyStr(opt(0, 'hashtype') ?? 'sha512'), {
      salt: opt(1, 'salt') === null ? null : pyStr(opt(1, 'salt')),
      saltSize: saltSize === null ? null : num(saltSize as number),
      rounds: rounds === null ? null : num(rounds as number),
      ident: opt(4, 'ident') === null ? null : pyStr(opt(4, 'ident')),
    });
  },
  vault, unvault,
  safe: (v) => (isSafeString(v) ? v : new (nunjucks().runtime.SafeString)(pyStr(v))),
  strftime: strftimeFilter, to_datetime: toDatetime,
  urlize: (v, ...args) => {
    const a = filterArgs(args);
    const limit = a.get(0, 'trim_url_limit', null);
    const target = a.get(2, 'target', null);
    const rel = a.get(3, 'rel', null);
    return urlize(pyStr(v), limit === null ? null : num(limit as number), truthy(a.get(1, 'nofollow', false)), target === null ? null : pyStr(target), rel === null ? null : pyStr(rel));
  },
  // Jinja2 3.1 do_urlencode: a string as a path ('/' kept), a dict or pairs as a query string ('+' for spaces).
  urlencode: (v) => {
    const x = strict(v);
    if (typeof x === 'string' || !(Array.isArray(x) || (typeof x === 'object' && x !== null))) return urlQuote(pyStr(x), '/');
    const pairs = Array.isArray(x) ? x.map((p) => (Array.isArray(p) ? p : [p, undefined])) : Object.entries(x);
    const q = (s: unknown): string => urlQuote(pyStr(strict(s)), '').replace(/%20/g, '+');
    return pairs.map(([k, val]) => `${q(k)}=${q(val)}`).join('&');
  },
  striptags: (v) => striptags(pyStr(v)),
  // Jinja2 3.1 do_filesizeformat: decimal (kB) or binary (KiB) prefixes, one decimal.
  filesizeformat: (v, ...args) => {
    const binary = truthy(filterArgs(args).get(0, 'binary', false));
    const n = typeof v === 'string' ? Number(v) : num(v as number);
    if (Number.isNaN(n)) throw new TypeError(`could not convert string to float: ${pyStr(v)}`);
    const base = binary ? 1024 : 1000;
    const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (n === 1) return '1 Byte';
    if (n < base) return `${Math.trunc(n)} Bytes`;
    let unit = base;
    for (let i = 0; i < prefixes.length; i++) {
      unit = base ** (i + 2);
      if (n < unit || i === prefixes.length - 1) return `${fixedDigits((base * n) / unit, 1)} ${prefixes[i]!}`;
    }
    return '';
  },
  // Jinja2 do_slice: `slices` columns, the first ones one longer; `fill_with` pads the short ones.
  slice: (v, ...args) => {
    const a = filterArgs(args);
    const items = Array.isArray(v) ? v : typeof v === 'string' ? Array.from(v) : v !== null && typeof v === 'object' ? Object.keys(v) : [];
    const slices = num(strict(a.get(0, 'slices', 1)) as number);
    const fill = a.get(1, 'fill_with', null);
    const per = Math.floor(items.length / slices);
    const extra = items.length % slices;
    let offset = 0;
    const out: unknown[][] = [];
    for (let i = 0; i < slices; i++) {
      const start = offset + i * per;
      if (i < extra) offset++;
      const tmp = items.slice(start, offset + (i + 1) * per);
      if (fill !== null && i >= extra) tmp.push(fill);
      out.push(tmp);
    }
    return out;
  },
};

/**
 * The keyword arguments of the filters whose Python signature is fixed, so that a keyword the
 * filter does not take is refused as Python refuses it (`regex_replace() got an unexpected keyword
 * argument 'count'`). Sources: ansible-core 2.14 `plugins/filter/*.py`, Jinja2 3.1 `filters.py`.
 */
const SIGNATURES: Record<string, string[]> = {
  regex_replace: ['value', 'pattern', 'replacement', 'ignorecase', 'multiline'],
  regex_findall: ['value', 'regex', 'multiline', 'ignorecase'],
  regex_escape: ['string', 're_type'],
  b64encode: ['string', 'encoding'],
  b64decode: ['string', 'encoding'],
  to_uuid: ['string', 'namespace'],
  mandatory: ['a', 'msg'],
  ternary: ['value', 'true_val', 'false_val', 'none_val'],
  bool: ['a'],
  quote: ['a'],
  password_hash: ['password', 'hashtype', 'salt', 'salt_size', 'rounds', 'ident'],
  vault: ['data', 'secret', 'salt', 'vaultid', 'wrap_object'],
  unvault: ['vault', 'secret', 'vaultid'],
  strftime: ['string_format', 'second', 'utc'],
  to_datetime: ['string', 'format'],
  unique: ['a', 'case_sensitive', 'attribute'],
  truncate: ['s', 'length', 'killwords', 'end', 'leeway'],
  urlize: ['value', 'trim_url_limit', 'nofollow', 'target', 'rel', 'extra_schemes'],
  filesizeformat: ['value', 'binary'],
  round: ['value', 'precision', 'method'],
  replace: ['s', 'old', 'new', 'count'],
  center: ['value', 'width'],
  indent: ['s', 'width', 'first', 'blank'],
  wordwrap: ['s', 'width', 'break_long_words', 'wrapstring', 'break_on_hyphens'],
  random: ['environment', 'end', 'start', 'step', 'seed'],
  shuffle: ['environment', 'mylist', 'seed'],
  split: ['value', 'sep', 'maxsplit'],
};

function checkKeywords(name: string, args: unknown[]): void {
  const allowed = SIGNATURES[name];
  const last = args[args.length - 1];
  if (!allowed || !isDict(last) || !Object.hasOwn(last, '__keywords')) return;
  for (const k of Object.keys(last)) {
    if (k !== '__keywords' && !allowed.includes(k)) throw new TypeError(`${name}() got an unexpected keyword argument '${k}'`);
  }
}

/**
 * The Jinja2 and Ansible filters, by name, with Ansible 2.14 semantics. Every filter except
 * `default`/`d`/`mandatory` fails with the undefined-variable error when given an Undefined.
 * Sources: Jinja2 docs, "List of Builtin Filters"; Ansible docs, "Using filters to manipulate data".
 */
export const ansibleFilters: Record<string, (...args: unknown[]) => unknown> = Object.fromEntries(
  Object.entries(table).map(([name, f]) => [name, strictArgs(name, f) as (...args: unknown[]) => unknown]),
);
