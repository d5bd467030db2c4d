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

/** True for a JavaScript number or a {@link PyFloat}. */
export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

/** True when `v` is a Python float: a {@link PyFloat}, or a number with a fraction, or inf/nan. */
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** The plain number of a number or {@link PyFloat}. */
export function num(v: number | PyFloat): number {
  return typeof v === 'number' ? v : v.value;
}

/** A plain object used as a Python dict (not an array, not a class instance such as PyFloat). */
export function isDict(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Formats a float as Python's `repr(float)` does: shortest round-trip digits, always with a `.0`
 * or an exponent, exponent notation below 1e-4 and from 1e16 on, `inf`, `-inf`, `nan`.
 * Source: Python docs, "Floating Point Arithmetic" and `float.__repr__` (`format_float_short`, 'r').
 */
export function formatPyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expPart = '0'] = n.toExponential().split('e');
  const exp = Number(expPart);
  const neg = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
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
