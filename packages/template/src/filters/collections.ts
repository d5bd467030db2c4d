import { isSafeString } from '../nunjucks-internals.js';
import { pyStr } from '../python-repr.js';
import { binop, pyCompare, pyEquals, truthy } from '../python-ops.js';
import { isDict, makeTuple } from '../python-value.js';
import { Undefined, strict } from '../undefined.js';
import { filterArgs, type Filter, type FilterContext } from './filter-args.js';

function items(v: unknown): unknown[] {
  if (typeof v === 'string') return Array.from(v);
  if (isSafeString(v)) return Array.from(v.toString());
  if (Array.isArray(v)) return v;
  if (isDict(v)) return Object.keys(v);
  throw new TypeError(`'${v === null ? 'NoneType' : typeof v}' object is not iterable`);
}

/** Jinja2's attribute path lookup (`'a.b'`, `'0'`), giving an Undefined when missing. */
export function attributeOf(item: unknown, path: unknown): unknown {
  let cur = item;
  for (const part of String(path).split('.')) {
    if (isDict(cur) && Object.hasOwn(cur, part)) cur = cur[part];
    else if (Array.isArray(cur) && /^-?\d+$/.test(part) && cur.at(Number(part)) !== undefined) cur = cur.at(Number(part));
    else return new Undefined(String(path), `'${isDict(cur) ? 'dict' : typeof cur} object' has no attribute '${part}'`);
  }
  return cur;
}

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof v === 'string' ? v.toLowerCase() : v;
}

/** `first`, `last`. */
export const first: Filter = (v) => { const l = items(v); return l.length > 0 ? l[0] : new Undefined('first', 'No first item, sequence was empty.'); };
export const last: Filter = (v) => { const l = items(v); return l.length > 0 ? l[l.length - 1] : new Undefined('last', 'No last item, sequence was empty.'); };

/** `join(value, d='', attribute=None)`. */
export const join: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const attr = a.get(1, 'attribute', null);
  return items(v).map((x) => pyStr(strict(attr === null ? x : attributeOf(x, attr)))).join(pyStr(a.get(0, 'd', '')));
};

/** `map(attribute='x', default=...)` or `map('filter', args...)`. Source: Jinja2 docs, `map`. */
export const map: Filter = function (this: FilterContext, v, ...args) {
  const a = filterArgs(args);
  if (Object.hasOwn(a.kwargs, 'attribute')) {
    const hasDefault = Object.hasOwn(a.kwargs, 'default');
    return items(v).map((x) => { const r = attributeOf(x, a.kwargs.attribute); return hasDefault && r instanceof Undefined ? a.kwargs.default : r; });
  }
  const [name, ...rest] = a.positional;
  const filter = this.env.getFilter(String(strict(name)));
  const kw = Object.keys(a.kwargs).length > 0 ? [{ ...a.kwargs, __keywords: true }] : [];
  return items(v).map((x) => filter.call(this, x, ...rest, ...kw));
};

function selectWith(ctx: FilterContext, v: unknown, args: unknown[], byAttr: boolean, keep: boolean): unknown[] {
  const a = filterArgs(args);
  const [attr, testName, ...testArgs] = byAttr ? a.positional : [null, ...a.positional];
  const test = testName === undefined ? null : ctx.env.getTest(String(strict(testName)));
  return items(v).filter((x) => {
    const subject = byAttr ? attributeOf(x, attr) : x;
    const ok = truthy(test === null ? subject : test.call(ctx, subject, ...testArgs));
    return ok === keep;
  });
}

/** `select(test, args)`, `reject`, `selectattr(attr, test, args)`, `rejectattr`. Source: Jinja2 docs. */
export const select: Filter = function (this: FilterContext, v, ...args) { return selectWith(this, v, args, false, true); };
export const reject: Filter = function (this: FilterContext, v, ...args) { return selectWith(this, v, args, false, false); };
export const selectattr: Filter = function (this: FilterContext, v, ...args) { return selectWith(this, v, args, true, true); };
export const rejectattr: Filter = function (this: FilterContext, v, ...args) { return selectWith(this, v, args, true, false); };

function uniqueBy(list: unknown[], caseSensitive: boolean, attribute: unknown): unknown[] {
  const out: unknown[] = [];
  const seen: unknown[] = [];
  for (const x of list) {
    const key = sortKey(attribute === null ? x : attributeOf(x, attribute), caseSensitive);
    if (!seen.some((s) => pyEquals(s, key))) { seen.push(key); out.push(x); }
  }
  return out;
}

/** `unique(case_sensitive=False, attribute=None)`: first occurrences kept; case-insensitive by default as in Ansible 2.14 (Jinja2's filter). */
export const unique: Filter = (v, ...args) => { const a = filterArgs(args); return uniqueBy(items(v), a.get(0, 'case_sensitive', false) === true, a.get(1, 'attribute', null)); };
/** `union`, `intersect`, `difference`, `symmetric_difference` on lists (order kept, case-sensitive). Source: Ansible `plugins/filter/mathstuff.py`. */
export const union: Filter = (v, other) => uniqueBy([...items(v), ...items(strict(other))], true, null);
export const intersect: Filter = (v, other) => uniqueBy(items(v).filter((x) => items(strict(other)).some((y) => pyEquals(x, y))), true, null);
export const difference: Filter = (v, other) => uniqueBy(items(v).filter((x) => !items(strict(other)).some((y) => pyEquals(x, y))), true, null);
export const symmetricDifference: Filter = (v, other) => {
  const b = items(strict(other));
  const isect = uniqueBy(items(v).filter((x) => b.some((y) => pyEquals(x, y))), true, null);
  return uniqueBy([...items(v), ...b], true, null).filter((x) => !isect.some((y) => pyEquals(x, y)));
};

function extreme(v: unknown, args: unknown[], sign: number): unknown {
  const a = filterArgs(args);
  const attribute = a.get(0, 'attribute', null);
  const cs = a.get(1, 'case_sensitive', false) === true;
  const l = items(v);
  if (l.length === 0) return new Undefined(sign < 0 ? 'min' : 'max', 'No aggregated item, sequence was empty.');
  const key = (x: unknown): unknown => sortKey(attribute === null ? x : strict(attributeOf(x, attribute)), cs);
  return l.reduce((best, x) => (sign * pyCompare(key(x), key(best)) > 0 ? x : best));
}

/** `min`, `max` (`attribute=`, `case_sensitive=False`). Source: Jinja2 docs. */
export const min: Filter = (v, ...args) => extreme(v, args, -1);
export const max: Filter = (v, ...args) => extreme(v, args, 1);

/** `sum(attribute=None, start=0)`. */
export const sum: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const attribute = a.get(0, 'attribute', null);
  return items(v).reduce((acc: unknown, x) => binop('+', acc, attribute === null ? x : attributeOf(x, attribute)), a.get(1, 'start', 0));
};

/** `sort(reverse=False, case_sensitive=False, attribute=None)`: stable; `attribute` may list several comma-separated paths. */
export const sort: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const reverse = a.get(0, 'reverse', false) === true;
  const cs = a.get(1, 'case_sensitive', false) === true;
  const attribute = a.get(2, 'attribute', null);
  const paths = attribute === null ? [null] : String(attribute).split(',').map((p) => p.trim());
  const key = (x: unknown): unknown[] => paths.map((p) => sortKey(p === null ? x : strict(attributeOf(x, p)), cs));
  const out = [...items(v)].sort((x, y) => pyCompare(key(x), key(y)));
  return reverse ? out.reverse() : out;
};

/** `dict2items(key_name='key', value_name='value')`. Source: Ansible docs. */
export const dict2items: Filter = function (v, ...args) {
  const a = filterArgs(args);
  if (!isDict(v)) throw new TypeError('dict2items requires a dictionary');
  const k = String(a.get(0, 'key_name', 'key'));
  const val = String(a.get(1, 'value_name', 'value'));
  return Object.entries(v).map(([key, value]) => ({ [k]: key, [val]: value }));
};

/** `items2dict(key_name='key', value_name='value')`. Source: Ansible docs. */
export const items2dict: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const k = String(a.get(0, 'key_name', 'key'));
  const val = String(a.get(1, 'value_name', 'value'));
  return Object.fromEntries(items(v).map((x) => { if (!isDict(x)) throw new TypeError('items2dict requires a list of dictionaries'); return [pyStr(x[k]), x[val]]; }));
};

function merge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (recursive && isDict(av) && isDict(bv)) out[k] = merge(av, bv, recursive, listMerge);
    else if (Array.isArray(av) && Array.isArray(bv) && listMerge !== 'replace') {
      if (listMerge === 'keep') out[k] = av;
      else if (listMerge === 'append') out[k] = [...av, ...bv];
      else if (listMerge === 'prepend') out[k] = [...bv, ...av];
      else if (listMerge === 'append_rp') out[k] = [...av.filter((x) => !bv.some((y) => pyEquals(x, y))), ...bv];
      else if (listMerge === 'prepend_rp') out[k] = [...bv, ...av.filter((x) => !bv.some((y) => pyEquals(x, y)))];
      else out[k] = bv;
    } else out[k] = bv;
  }
  return out;
}

/** `combine(*dicts, recursive=False, list_merge='replace')`. Source: Ansible docs, "Combining hashes/dictionaries". */
export const combine: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const recursive = a.get(99, 'recursive', false) === true;
  const listMerge = String(a.get(99, 'list_merge', 'replace'));
  const dicts = [v, ...a.positional].flatMap((d) => (Array.isArray(d) ? d : [d]));
  return dicts.reduce((acc: Record<string, unknown>, d) => {
    if (!isDict(d)) throw new TypeError(`failed to combine variables, expected dicts but got a '${typeof d}'`);
    return merge(acc, d, recursive, listMerge);
  }, {});
};

/** `zip(*others)`: tuples of the n-th items (as Python's `zip`, shortest wins). */
export const zip: Filter = function (v, ...others) {
  const lists = [items(v), ...others.map((o) => items(strict(o)))];
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => l[i])));
};

/** `product(*others)`: the cartesian product as tuples (Python's `itertools.product`). */
export const product: Filter = function (v, ...others) {
  const lists = [items(v), ...others.map((o) => items(strict(o)))];
  return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]).map((t) => makeTuple(t));
};

/** `flatten(levels=None, skip_nulls=True)`. Source: Ansible docs, `flatten`. */
export const flatten: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const levels = a.get(0, 'levels', null);
  const skipNulls = a.get(1, 'skip_nulls', true) !== false;
  const go = (l: unknown[], depth: number): unknown[] => l.flatMap((x) => {
    if (skipNulls && (x === null || x === 'None' || x === 'null')) return [];
    if (Array.isArray(x) && (levels === null || depth < Number(levels))) return go(x, depth + 1);
    return [x];
  });
  return go(items(v), 0);
};
