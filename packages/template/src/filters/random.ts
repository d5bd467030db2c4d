import { createHash } from 'node:crypto';
import { pyStr } from '../python-repr.js';
import { filterArgs, type Filter } from './filter-args.js';

/**
 * Python's `random.Random(seed)` (MT19937, seed version 2), enough for `choice`, `randrange`
 * and `shuffle` to give the same results as Python for the same seed.
 * Source: CPython `Modules/_randommodule.c` and `Lib/random.py`.
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(624);
  private index = 625;

  constructor(seed: string | number | bigint) {
    let n: bigint;
    if (typeof seed === 'string') {
      const bytes = Buffer.from(seed, 'utf8');
      const all = Buffer.concat([bytes, createHash('sha512').update(bytes).digest()]);
      n = BigInt(`0x${all.toString('hex')}`);
    } else n = BigInt(seed) < 0n ? -BigInt(seed) : BigInt(seed);
    const key: number[] = [];
    while (n > 0n) { key.push(Number(n & 0xffffffffn)); n >>= 32n; }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  private initByArray(key: number[]): void {
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++; j++;
      if (i >= 624) { this.mt[0] = this.mt[623]!; i = 1; }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) { this.mt[0] = this.mt[623]!; i = 1; }
    }
    this.mt[0] = 0x80000000;
  }

  private next32(): number {
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (this.mt[k]! & 0x80000000) | (this.mt[(k + 1) % 624]! & 0x7fffffff);
        this.mt[k] = this.mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Python `getrandbits(k)` for k ≤ 32. */
  getrandbits(k: number): number {
    return k === 0 ? 0 : this.next32() >>> (32 - k);
  }

  /** Python `_randbelow(n)`: uniform in [0, n). */
  randbelow(n: number): number {
    const k = n.toString(2).length;
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** Python `randrange(start, stop, step)`. */
  randrange(start: number, stop: number, step: number): number {
    const width = stop - start;
    if (step === 1) {
      if (width <= 0) throw new RangeError(`empty range for randrange() (${start}, ${stop})`);
      return start + this.randbelow(width);
    }
    const n = step > 0 ? Math.floor((width + step - 1) / step) : Math.floor((width + step + 1) / step);
    if (n <= 0) throw new RangeError('empty range for randrange()');
    return start + step * this.randbelow(n);
  }

  /** Python `shuffle(list)` in place. */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
    return x;
  }
}

function seedOf(seed: unknown): string | number {
  return typeof seed === 'number' && Number.isInteger(seed) ? seed : pyStr(seed);
}

/** `random(end, start=None, step=None, seed=None)`: an int in range, or an item of a list; reproducible with a seed as Python. Source: Ansible docs, `random`. */
export const random: Filter = function (end, ...args) {
  const a = filterArgs(args);
  const seed = a.get(99, 'seed', null);
  const start = Number(a.get(0, 'start', 0) ?? 0);
  const step = Number(a.get(1, 'step', 1) ?? 1);
  const r = seed === null ? new PythonRandom(BigInt(Math.floor(Math.random() * 2 ** 52))) : new PythonRandom(seedOf(seed));
  if (typeof end === 'number' && Number.isInteger(end)) return r.randrange(start || 0, end, step || 1);
  const list = typeof end === 'string' ? Array.from(end) : Array.isArray(end) ? end : null;
  if (list === null) throw new TypeError('random can only be used on sequences and integers');
  if (list.length === 0) throw new RangeError('Cannot choose from an empty sequence');
  return list[r.randbelow(list.length)];
};

/** `shuffle(seed=None)`: a shuffled copy; reproducible with a seed. Source: Ansible docs, `shuffle`. */
export const shuffle: Filter = function (v, ...args) {
  const seed = filterArgs(args).get(0, 'seed', null);
  const list = Array.isArray(v) ? [...v] : Array.from(pyStr(v));
  return (seed === null ? new PythonRandom(BigInt(Math.floor(Math.random() * 2 ** 52))) : new PythonRandom(seedOf(seed))).shuffle(list);
};
