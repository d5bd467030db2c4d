import { pyFloatRepr } from '@converge/ansible-formats';
/**
 * A float whose value is a whole number, such as `1.0` or `2.0 * 3`.
 *
 * JavaScript numbers do not say whether they are ints or floats, but Python (and so Jinja2 and
 * Ansible) renders the float `2.0` as `2.0` and the int `2` as `2`. Floats with a fraction
 * (`1.5`) are plain numbers; only whole-number floats need this wrapper. `valueOf()` returns the
 * number, so JavaScript comparisons and arithmetic still work.
 *
 * @example
 * pyStr(new PyFloat(2)) // '2.0'
 */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return formatPyFloat(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

/** Wraps a number known to be a Python float: whole numbers become {@link PyFloat}, others stay numbers. */
export function toPyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** True for a JavaScript number, a bigint (a big int) or a {@link PyFloat}. */
export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof PyFloat;
}

/** True when `v` is a Python float: a {@link PyFloat}, or a number with a fraction, or inf/nan. */
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** The plain number of a number, bigint or {@link PyFloat} (a bigint loses precision). */
export function num(v: number | PyFloat | bigint): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v.value;
}

/** A plain object used as a Python dict (not an array, not a class instance such as PyFloat). */
export function isDict(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Formats a float as Python's `repr(float)` does (`1.0`, `1e+16`, `inf`); one home with the YAML
 * representer's floats.
 */
export const formatPyFloat: (n: number) => string = pyFloatRepr;

/**
 * A Python int as JavaScript holds it: a number while it is a safe integer, a bigint beyond
 * (`12345678901234567890` stays exact). Results of int arithmetic go through {@link pyInt}.
 */
export type PyIntValue = number | bigint;

/** Normalises an int result: a bigint that fits a safe integer becomes a number, an unsafe number result is recomputed by the caller. */
export function pyInt(v: bigint): PyIntValue {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** True for a Python int: an integer number or a bigint (not a bool). */
export function isInt(v: unknown): v is PyIntValue {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

const TUPLE = Symbol.for('converge.template.tuple');

/** Marks an array as a Python tuple: rendered as `(a, b)`, and used as the argument list of `%`. */
export function makeTuple<T>(items: T[]): T[] {
  Object.defineProperty(items, TUPLE, { value: true, enumerable: false });
  return items;
}

/** True for an array made by {@link makeTuple}. */
export function isTuple(v: unknown): v is unknown[] {
  return Array.isArray(v) && (v as unknown as Record<symbol, unknown>)[TUPLE] === true;
}

const DICT_KEYS = Symbol.for('converge.template.dict-keys');

/**
 * Records that the key `text` of dict `d` is the non-string Python key `key` (`{1: 'x'}`): a dict
 * is a JavaScript object keyed by text, and the original key is what `repr`, `keys()`, `items()`
 * and iteration give back.
 */
export function setDictKey(d: Record<string, unknown>, text: string, key: unknown): void {
  if (typeof key === 'string') return;
  let keys = (d as Record<symbol, Map<string, unknown> | undefined>)[DICT_KEYS];
  if (!keys) {
    keys = new Map();
    Object.defineProperty(d, DICT_KEYS, { value: keys, enumerable: false });
  }
  keys.set(text, key);
}

/** The Python keys of dict `d`, in its order (text keys, or the key given to {@link setDictKey}). */
export function dictKeys(d: Record<string, unknown>): unknown[] {
  const keys = (d as Record<symbol, Map<string, unknown> | undefined>)[DICT_KEYS];
  return keys ? Object.keys(d).map((k) => (keys.has(k) ? keys.get(k) : k)) : Object.keys(d);
}
