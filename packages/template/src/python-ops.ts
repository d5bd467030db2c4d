import { isSafeString } from './nunjucks-internals.js';
import { PyFloat, isDict, isFloat, isInt, isNumber, num, pyInt, toPyFloat } from './python-value.js';
import { pyRepr, pyStr } from './python-repr.js';
import { percentFormat } from './percent-format.js';
import { isUndefined, strict, throwUndefined } from './undefined.js';
import { PyDate, PyDateTime, PyTimedelta, subtractDates } from './python-datetime.js';

/** Python's name of a value's type, for error messages such as `unsupported operand type(s)`. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string' || isSafeString(v)) return 'str';
  if (Array.isArray(v)) return 'list';
  if (isDict(v)) return 'dict';
  if (v instanceof PyDateTime) return 'datetime';
  if (v instanceof PyDate) return 'date';
  if (v instanceof PyTimedelta) return 'timedelta';
  return typeof v;
}

/**
 * Python truth value: `None`, `False`, `0`, `0.0`, `''`, `[]` and `{}` are false, all else true.
 * Throws for an Undefined (StrictUndefined). Source: Python docs, "Truth Value Testing".
 */
export function truthy(v: unknown): boolean {
  if (isUndefined(v)) throwUndefined(v);
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (isSafeString(v)) return v.toString().length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python `==`: deep for lists and dicts, `1 == 1.0 == True`. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (isUndefined(a) || isUndefined(b)) return false;
  const an = typeof a === 'boolean' ? Number(a) : a;
  const bn = typeof b === 'boolean' ? Number(b) : b;
  if (isInt(an) && isInt(bn)) return BigInt(an) === BigInt(bn);
  if (isNumber(an) && isNumber(bn)) return num(an) === num(bn);
  if (isSafeString(a)) a = a.toString();
  if (isSafeString(b)) b = b.toString();
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return a === b;
}

/**
 * Python ordering of two values (`<` gives a negative number): numbers with numbers, strings with
 * strings, lists element by element. Other mixes throw like Python's `TypeError`.
 */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  const a1 = typeof a === 'boolean' ? Number(a) : isSafeString(a) ? a.toString() : a;
  const b1 = typeof b === 'boolean' ? Number(b) : isSafeString(b) ? b.toString() : b;
  if (isInt(a1) && isInt(b1) && (typeof a1 === 'bigint' || typeof b1 === 'bigint')) return BigInt(a1) < BigInt(b1) ? -1 : BigInt(a1) > BigInt(b1) ? 1 : 0;
  if (isNumber(a1) && isNumber(b1)) return num(a1) - num(b1);
  if (typeof a1 === 'string' && typeof b1 === 'string') return a1 < b1 ? -1 : a1 > b1 ? 1 : 0;
  if (Array.isArray(a1) && Array.isArray(b1)) {
    for (let i = 0; i < Math.min(a1.length, b1.length); i++) {
      if (!pyEquals(a1[i], b1[i])) return pyCompare(a1[i], b1[i], op);
    }
    return a1.length - b1.length;
  }
  throw new TypeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

/** A chain of comparisons as Python evaluates `a < b <= c`: every pair must hold. */
export function compareChain(first: unknown, ...rest: unknown[]): boolean {
  let left = strict(first);
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const op = rest[i] as string;
    const right = strict(rest[i + 1]);
    let ok: boolean;
    if (op === '==' || op === '===') ok = pyEquals(left, right);
    else if (op === '!=' || op === '!==') ok = !pyEquals(left, right);
    else if (op === 'in') ok = pyIn(left, right);
    else if (op === 'notin') ok = !pyIn(left, right);
    else {
      const c = pyCompare(left, right, op);
      ok = op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
    }
    if (!ok) return false;
    left = right;
  }
  return true;
}

/** Python's `x in y` for strings (substring), lists (membership) and dicts (key). */
export function pyIn(needle: unknown, haystack: unknown): boolean {
  const n = strict(needle);
  let h = strict(haystack);
  if (isSafeString(h)) h = h.toString();
  if (typeof h === 'string') {
    if (typeof n !== 'string' && !(isSafeString(n))) throw new TypeError(`'in <string>' requires string as left operand, not ${pyTypeName(n)}`);
    return h.includes(String(n));
  }
  if (Array.isArray(h)) return h.some((x) => pyEquals(x, n));
  if (isDict(h)) return typeof n === 'string' || typeof n === 'number' ? Object.hasOwn(h, String(n)) : false;
  throw new TypeError(`argument of type '${pyTypeName(h)}' is not iterable`);
}

function unsupported(op: string, a: unknown, b: unknown): never {
  throw new TypeError(`unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

function numeric(v: unknown): v is number | bigint | PyFloat | boolean {
  return isNumber(v) || typeof v === 'boolean';
}

const BIG_OPS: Record<string, (x: bigint, y: bigint) => bigint> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '//': (x, y) => { const q = x / y; return (x % y !== 0n && (x < 0n) !== (y < 0n)) ? q - 1n : q; },
  '%': (x, y) => { const r = x % y; return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r; },
  '**': (x, y) => x ** y,
};

function intOf(v: unknown): number | bigint {
  return typeof v === 'boolean' ? Number(v) : (v as number | bigint);
}

/** Python arithmetic: floats when either side is one (or `forceFloat`), else exact ints (bigint beyond 2**53). */
function arith(op: string, a: unknown, b: unknown, f: (x: number, y: number) => number, forceFloat = false): number | bigint | PyFloat {
  if (!forceFloat && !isFloat(a) && !isFloat(b)) {
    const x = intOf(a);
    const y = intOf(b);
    if (typeof x === 'number' && typeof y === 'number') {
      const r = f(x, y);
      if (Number.isSafeInteger(r)) return r;
    }
    return pyInt(BIG_OPS[op]!(BigInt(x), BigInt(y)));
  }
  const r = f(num(intOf(a) as number), num(intOf(b) as number));
  return toPyFloat(r);
}

/**
 * A Python binary operator as Jinja2 evaluates it: `+ - * / // % **` and `~` (string concatenation).
 * `/` always gives a float, `+` joins strings and lists, `%` on a string is printf-style formatting.
 * Throws for an Undefined operand and for type mixes Python rejects.
 */
export function binop(op: string, left: unknown, right: unknown): unknown {
  let a = strict(left);
  let b = strict(right);
  if (op === '~') return pyStr(a) + pyStr(b);
  if (isSafeString(a)) a = a.toString();
  if (isSafeString(b)) b = b.toString();
  switch (op) {
    case '+':
      if (numeric(a) && numeric(b)) return arith('+', a, b, (x, y) => x + y);
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      return unsupported(op, a, b);
    case '-': {
      if (numeric(a) && numeric(b)) return arith('-', a, b, (x, y) => x - y);
      const delta = subtractDates(a, b);
      if (delta) return delta;
      return unsupported(op, a, b);
    }
    case '*':
      if (numeric(a) && numeric(b)) return arith('*', a, b, (x, y) => x * y);
      if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
      if (Array.isArray(a) && typeof b === 'number') return Array.from({ length: Math.max(0, b) }, () => a).flat();
      return unsupported(op, a, b);
    case '/':
      if (numeric(a) && numeric(b)) {
        if (Number(b) === 0) throw new RangeError('division by zero');
        return arith('/', a, b, (x, y) => x / y, true);
      }
      return unsupported(op, a, b);
    case '//':
      if (numeric(a) && numeric(b)) {
        if (Number(b) === 0) throw new RangeError('integer division or modulo by zero');
        return arith('//', a, b, (x, y) => Math.floor(x / y));
      }
      return unsupported(op, a, b);
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      if (numeric(a) && numeric(b)) {
        if (Number(b) === 0) throw new RangeError('integer division or modulo by zero');
        return arith('%', a, b, (x, y) => x - y * Math.floor(x / y));
      }
      return unsupported(op, a, b);
    case '**':
      if (numeric(a) && numeric(b)) return arith('**', a, b, (x, y) => x ** y, Number(b) < 0);
      return unsupported(op, a, b);
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

/** Python unary `-`, `+` on numbers. */
export function unop(op: string, operand: unknown): unknown {
  const v = strict(operand);
  if (!numeric(v)) throw new TypeError(`bad operand type for unary ${op}: '${pyTypeName(v)}'`);
  if (typeof v === 'bigint') return pyInt(op === '-' ? -v : v);
  const n = typeof v === 'boolean' ? Number(v) : num(v);
  const r = op === '-' ? -n : n;
  return isFloat(v) ? toPyFloat(r) : r;
}

export { pyRepr };
