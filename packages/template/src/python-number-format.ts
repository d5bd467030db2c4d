/**
 * Decimal rounding of binary floats as Python does it: on the exact value of the double, ties to
 * even (`round(2.675, 2)` is `2.67` because 2.675 is stored as 2.67499999…; `'%.1f' % 0.25` is
 * `0.2`). JavaScript's `toFixed` also works on the exact value but breaks ties upwards.
 * Source: Python docs, `round()` ("Floating Point Arithmetic: Issues and Limitations") and
 * "Format Specification Mini-Language".
 */

/** The exact value of a finite double as `m * 2**e`. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = -1074;
  if (expBits !== 0) {
    mantissa |= 1n << 52n;
    e = expBits - 1075;
  }
  return { m: hi >>> 31 ? -mantissa : mantissa, e };
}

/** `x * 10**digits` rounded to an integer, ties to even, computed exactly (digits may be negative). */
export function scaledHalfEven(x: number, digits: number): bigint {
  const { m, e } = decompose(x);
  let num = e >= 0 ? m * 2n ** BigInt(e) : m;
  let den = e >= 0 ? 1n : 2n ** BigInt(-e);
  if (digits >= 0) num *= 10n ** BigInt(digits);
  else den *= 10n ** BigInt(-digits);
  const neg = num < 0n;
  if (neg) num = -num;
  let q = num / den;
  const r = num % den;
  if (2n * r > den || (2n * r === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** Python's `round(x, digits)` of a float: the double nearest to the correctly rounded decimal. */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const q = scaledHalfEven(x, digits);
  const r = digits >= 0 ? Number(`${q}e-${digits}`) : Number(q * 10n ** BigInt(-digits));
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** `format(x, '.{digits}f')` / `'%.{digits}f' % x` without sign handling: the digits of `|x|`. */
export function fixedDigits(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return 'inf';
  let q = scaledHalfEven(Math.abs(x), digits);
  if (q < 0n) q = -q;
  const s = q.toString().padStart(digits + 1, '0');
  return digits === 0 ? s : `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}
