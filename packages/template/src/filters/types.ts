import { isSafeString } from '../nunjucks-internals.js';
import { pyStr } from '../python-repr.js';
import { pyTypeName } from '../python-ops.js';
import { PyFloat, isDict, isNumber, num, pyInt, toPyFloat } from '../python-value.js';
import { filterArgs, type Filter } from './filter-args.js';
import { pyRound } from '../python-number-format.js';

const PY_INT = /^\s*[+-]?\d+(_\d+)*\s*$/;
const PY_FLOAT = /^\s*[+-]?((\d+(_\d+)*)?\.?\d*([eE][+-]?\d+)?|inf(inity)?|nan)\s*$/i;

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isSafeString(v)) return v.toString();
  return undefined;
}

/** Parses a Python float literal (`'1.5'`, `' 2e3 '`, `'inf'`); undefined when it is not one. */
export function parsePyFloat(s: string): number | undefined {
  if (!PY_FLOAT.test(s) || !/[\dn]/i.test(s)) return undefined;
  const t = s.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

/** `bool`: Ansible's `to_bool`: `None` stays `None`; `True` for `True`, `'yes'`, `'on'`, `'1'`, `'true'` (any case) and `1`; else `False`. Source: Ansible `plugins/filter/core.py`. */
export const bool: Filter = function (value) {
  if (typeof value === 'boolean' || value === null) return value;
  const s = str(value);
  const v = s === undefined ? value : s.toLowerCase();
  return v === 'yes' || v === 'on' || v === '1' || v === 'true' || (isNumber(v) && num(v) === 1);
};

/** `int(value, default=0, base=10)`: Jinja2's conversion, through float for `'1.5'`. Source: Jinja2 docs, `int`. */
export const int: Filter = function (value, ...args) {
  const a = filterArgs(args);
  const fallback = a.get(0, 'default', 0);
  const base = Number(a.get(1, 'base', 10));
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'bigint') return value;
  if (isNumber(value)) return Math.trunc(num(value));
  const s = str(value);
  if (s !== undefined) {
    const t = s.trim().replace(/_/g, '');
    if (base === 10 && PY_INT.test(s)) return pyInt(BigInt(t));
    if (base !== 10) {
      const stripped = t.replace(/^([+-]?)0[xob]/i, '$1');
      const n = Number.parseInt(stripped, base);
      if (!Number.isNaN(n) && stripped.replace(/^[+-]/, '').split('').every((c) => Number.parseInt(c, base) >= 0)) return n;
    }
    const f = parsePyFloat(s);
    if (f !== undefined && Number.isFinite(f)) return Math.trunc(f);
  }
  return fallback;
};

/** `float(value, default=0.0)`. Source: Jinja2 docs, `float`. */
export const float: Filter = function (value, ...args) {
  const fallback = filterArgs(args).get(0, 'default', new PyFloat(0));
  if (typeof value === 'boolean') return new PyFloat(Number(value));
  if (isNumber(value)) return toPyFloat(num(value));
  const s = str(value);
  const f = s === undefined ? undefined : parsePyFloat(s);
  return f === undefined ? fallback : toPyFloat(f);
};

/** `string`: Python `str()` of the value. */
export const string: Filter = (value) => pyStr(value);

/** `list`: a list of the items (characters of a string, keys of a dict). */
export const list: Filter = function (value) {
  const s = str(value);
  if (s !== undefined) return Array.from(s);
  if (Array.isArray(value)) return [...value];
  if (isDict(value)) return Object.keys(value);
  throw new TypeError(`'${pyTypeName(value)}' object is not iterable`);
};

/** `length` / `count`: number of items, characters or keys. */
export const length: Filter = function (value) {
  const s = str(value);
  if (s !== undefined) return Array.from(s).length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw new TypeError(`object of type '${pyTypeName(value)}' has no len()`);
};

/** `abs`. */
export const abs: Filter = function (value) {
  if (!isNumber(value) && typeof value !== 'boolean') throw new TypeError(`bad operand type for abs(): '${pyTypeName(value)}'`);
  const n = Math.abs(Number(value));
  return value instanceof PyFloat || !Number.isInteger(Number(value)) ? toPyFloat(n) : n;
};

/** `round(value, precision=0, method='common')`: `common` is Python's `round` (half to even on the exact binary value), `ceil`/`floor` scale by 10**precision; a float, except an int with `common`. Source: Jinja2 3.1 `do_round`. */
export const round: Filter = function (value, ...args) {
  const a = filterArgs(args);
  const precision = num(a.get(0, 'precision', 0) as number);
  const method = String(a.get(1, 'method', 'common'));
  if (method !== 'common' && method !== 'ceil' && method !== 'floor') throw new Error('method must be common, ceil or floor');
  if (!isNumber(value) && typeof value !== 'boolean') throw new TypeError(`type ${pyTypeName(value)} doesn't define __round__ method`);
  const x = typeof value === 'boolean' ? Number(value) : num(value);
  if (method === 'common') {
    // Python's round() of an int stays an int.
    if (typeof value === 'bigint' || typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) return precision >= 0 ? (typeof value === 'boolean' ? Number(value) : value) : Number(pyRound(x, precision));
    return toPyFloat(pyRound(x, precision));
  }
  const f = 10 ** precision;
  return toPyFloat((method === 'ceil' ? Math.ceil(x * f) : Math.floor(x * f)) / f);
};
