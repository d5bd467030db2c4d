import { describe, expect, test } from 'vitest';
import { formatPyFloat } from './python-value.js';
import { pyRepr } from './python-repr.js';
import { percentFormat } from './percent-format.js';
import { makeTuple } from './python-value.js';

describe('floats print as Python repr()', () => {
  test.each([
    [0.1, '0.1'], [1e16, '1e+16'], [1e-5, '1e-05'], [123456789.123, '123456789.123'], [1.5e-7, '1.5e-07'],
    [1e22, '1e+22'], [-0, '-0.0'], [100, '100.0'], [2.5e-5, '2.5e-05'], [Infinity, 'inf'], [NaN, 'nan'],
  ])('%d is %s', (n, expected) => {
    expect(formatPyFloat(n)).toBe(expected);
  });
});

describe('repr of strings and containers', () => {
  test.each([
    ['plain', "'plain'"], ["it's", `"it's"`], ['say "hi"', `'say "hi"'`], [`both ' "`, `'both \\' "'`],
    ['tab\t', "'tab\\t'"], ['\x01', "'\\x01'"], ['ü日本', "'ü日本'"], ['\u200b', "'\\u200b'"],
  ])('%j is %s', (s, expected) => {
    expect(pyRepr(s)).toBe(expected);
  });

  test('tuples print with parentheses', () => {
    expect(pyRepr([makeTuple(['a', 1]), makeTuple([1])])).toBe("[('a', 1), (1,)]");
  });
});

describe("printf-style '%' formatting", () => {
  test.each([
    ['%5.2f|%-6d|%+d|%x|%o|%e|%g|%g', makeTuple([3.14159, 42, 5, 255, 8, 12345.678, 0.0001, 1234567]), ' 3.14|42    |+5|ff|10|1.234568e+04|0.0001|1.23457e+06'],
    ['%s', [1, 2], '[1, 2]'],
    ['%(a)s-%(b)r', { a: 1, b: 'x' }, "1-'x'"],
    ['100%%', makeTuple([]), '100%'],
  ])('%j %% %j is %j', (fmt, args, expected) => {
    expect(percentFormat(fmt, args)).toBe(expected);
  });

  test('too few arguments is an error', () => {
    expect(() => percentFormat('%s %s', makeTuple(['a']))).toThrow(/not enough arguments/);
  });
});
