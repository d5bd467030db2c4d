/**
 * The Python value layer (int, float, bool, None, str, tuple, dict, dates) on its own: each row is
 * what Python 3.11 gives for the same operation (`python3 -c "print(repr(...))"`), so the table
 * reads as the Python expression it checks.
 */
import { describe, expect, test } from 'vitest';
import { PyFloat, dictKeys, formatPyFloat, makeTuple, setDictKey } from './python-value.js';
import { dictViewKind, pyRepr, pyStr } from './python-repr.js';
import { binop, pyCompare, pyEquals, pyTypeName, truthy, unop } from './python-ops.js';
import { formatWithSpec, percentFormat } from './percent-format.js';
import { fixedDigits, pyRound } from './python-number-format.js';
import { pyFormat, pyReplace, pythonMethod } from './python-methods.js';
import { PyDate, PyDateTime, strftime, strptime, subtractDates, timeFields } from './python-datetime.js';
import { parseYamlVars } from './yaml-vars.js';
import { pyJsonLoads } from './filters/serialization.js';

const f = (n: number) => new PyFloat(n);

describe('floats print as Python repr()', () => {
  test.each([
    [0.1, '0.1'], [1e16, '1e+16'], [1e-5, '1e-05'], [123456789.123, '123456789.123'], [1.5e-7, '1.5e-07'],
    [1e22, '1e+22'], [-0, '-0.0'], [100, '100.0'], [2.5e-5, '2.5e-05'], [Infinity, 'inf'], [NaN, 'nan'], [0.1 + 0.2, '0.30000000000000004'],
  ])('%d is %s', (n, expected) => {
    expect(formatPyFloat(n)).toBe(expected);
  });
});

describe('int and float arithmetic: exact ints of any size, floats that stay floats', () => {
  test.each([
    ['2**53 + 1', binop('+', 2 ** 53, 1), '9007199254740993'],
    ['2 ** 64', binop('**', 2, 64), '18446744073709551616'],
    ['(2 ** 64) // 3', binop('//', binop('**', 2, 64), 3), '6148914691236517205'],
    ['-(2 ** 70) % 7', binop('%', unop('-', binop('**', 2, 70)), 7), '5'],
    ['12345678901234567890 - 12345678901234567889', binop('-', 12345678901234567890n, 12345678901234567889n), '1'],
    ['-7 // 2', binop('//', -7, 2), '-4'],
    ['-7 % 2', binop('%', -7, 2), '1'],
    ['10 / 4', binop('/', 10, 4), '2.5'],
    ['4 / 2', binop('/', 4, 2), '2.0'],
    ['1.5 * 2', binop('*', 1.5, 2), '3.0'],
    ['3.0 + 1', binop('+', f(3), 1), '4.0'],
    ['True + True', binop('+', true, true), '2'],
    ['2 ** -1', binop('**', 2, -1), '0.5'],
    ['-3.0', unop('-', f(3)), '-3.0'],
    ["'ab' * 3", binop('*', 'ab', 3), 'ababab'],
    ['[1] + [2]', binop('+', [1], [2]), '[1, 2]'],
  ])('%s is %s', (_expr, value, expected) => {
    expect(pyStr(value)).toBe(expected);
  });

  test('a result that fits 2**53 is a plain number again', () => {
    expect(binop('-', 2n ** 60n, 2n ** 60n - 5n)).toBe(5);
  });

  test.each([
    [1, 'int'], [12345678901234567890n, 'int'], [f(3), 'float'], [1.5, 'float'], [true, 'bool'], [null, 'NoneType'], ['x', 'str'], [[1], 'list'], [{}, 'dict'],
  ])('type(%o) is %s', (v, name) => {
    expect(pyTypeName(v)).toBe(name);
  });

  test.each([
    ['1 / 0', () => binop('/', 1, 0), 'division by zero'],
    ["1 + 'a'", () => binop('+', 1, 'a'), "unsupported operand type(s) for +: 'int' and 'str'"],
    ["None < 1", () => pyCompare(null, 1), "'<' not supported between instances of 'NoneType' and 'int'"],
  ])('%s fails: %s', (_expr, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('truth, equality and order as Python has them', () => {
  test.each([
    [null, false], [0, false], [0n, false], [f(0), false], ['', false], [[], false], [{}, false],
    [1, true], [12345678901234567890n, true], [' ', true], [[0], true], [{ a: null }, true], [f(0.5), true],
  ])('bool(%o) is %s', (v, expected) => {
    expect(truthy(v)).toBe(expected);
  });

  test.each([
    [1, f(1), true], [true, 1, true], [12345678901234567890n, 12345678901234567890n, true], [12345678901234567890n, 12345678901234567889n, false],
    [[1, 'a'], [f(1), 'a'], true], [{ a: 1 }, { a: true }, true], ['1', 1, false], [null, null, true],
  ])('%o == %o is %s', (a, b, expected) => {
    expect(pyEquals(a, b)).toBe(expected);
  });

  test('big ints order exactly', () => {
    expect(pyCompare(12345678901234567890n, 12345678901234567889n)).toBeGreaterThan(0);
  });
});

describe('rounding on the exact binary value, ties to even', () => {
  test.each([
    [2.675, 2, 2.67], [0.125, 2, 0.12], [0.375, 2, 0.38], [2.5, 0, 2], [3.5, 0, 4], [-0.5, 0, -0], [1234.5, -2, 1200], [1.005, 2, 1], [5e-324, 300, 0],
  ])('round(%d, %d) is %d', (x, digits, expected) => {
    expect(Object.is(pyRound(x, digits), expected)).toBe(true);
  });

  test.each([
    [0.25, 1, '0.2'], [0.35, 1, '0.3'], [2.5, 0, '2'], [1e21, 2, '1000000000000000000000.00'], [12.345, 1, '12.3'],
  ])("'%%.%df' digits of %d are %s", (x, digits, expected) => {
    expect(fixedDigits(x, digits)).toBe(expected);
  });
});

describe("printf-style '%' formatting and format specs", () => {
  test.each([
    ['%5.2f|%-6d|%+d|%x|%o|%e|%g|%g', makeTuple([3.14159, 42, 5, 255, 8, 12345.678, 0.0001, 1234567]), ' 3.14|42    |+5|ff|10|1.234568e+04|0.0001|1.23457e+06'],
    ['%5.1f%%', 12.345, ' 12.3%'],
    ['%5.1f%%', 0.25, '  0.2%'],
    ['%d', 12345678901234567890n, '12345678901234567890'],
    ['%s', [1, 2], '[1, 2]'],
    ['%(a)s-%(b)r', { a: 1, b: 'x' }, "1-'x'"],
    ['100%%', makeTuple([]), '100%'],
    ['%s', makeDictKeys(), "dict_keys(['z', 'y'])"],
  ])('%j %% %j is %j', (fmt, args, expected) => {
    expect(percentFormat(fmt, args)).toBe(expected);
  });

  test('too few arguments is an error', () => {
    expect(() => percentFormat('%s %s', makeTuple(['a']))).toThrow(/not enough arguments/);
  });

  test.each([
    [42, '>8', '      42'], ['ab', '>8', '      ab'], ['x', '<6', 'x     '], ['mid', '^7', '  mid  '], [3.14159, '08.3f', '0003.142'],
    [1234567, ',', '1,234,567'], [255, 'x', 'ff'], [8, '#o', '0o10'], [12345.678, 'e', '1.234568e+04'], [0.125, '.2%', '12.50%'],
    [-5, '+05d', '-0005'], [f(3), '', '3.0'], [12345678901234567890n, '>22', '  12345678901234567890'], ['é🎉', '*^6', '**é🎉**'],
  ])('format(%o, %j) is %j', (v, spec, expected) => {
    expect(formatWithSpec(v, spec)).toBe(expected);
  });

  test.each([
    ['{}-{}', ['a', 1], {}, 'a-1'], ['{0}{1}{0}', ['a', 'b'], {}, 'aba'], ['{x[0]} {x[1]}', [], { x: ['p', 'q'] }, 'p q'], ['{!r:>5}', ['a'], {}, "  'a'"], ['{{}}', [], {}, '{}'],
  ])("'%s'.format(...) is %j", (fmt, args, kwargs, expected) => {
    expect(pyFormat(fmt, args, kwargs)).toBe(expected);
  });
});

function makeDictKeys(): unknown {
  return (pythonMethod({ z: 0, y: 9 }, 'keys') as () => unknown)();
}

describe('strings by code point', () => {
  const call = (s: string, name: string, ...args: unknown[]) => (pythonMethod(s, name) as (...a: unknown[]) => unknown)(...args);
  test.each([
    ['héllo 🎉', 'swapcase', [], 'HÉLLO 🎉'],
    ['a=b=c', 'partition', ['='], makeTuple(['a', '=', 'b=c'])],
    ['a=b=c', 'rpartition', ['='], makeTuple(['a=b', '=', 'c'])],
    ['abc', 'partition', ['x'], makeTuple(['abc', '', ''])],
    ['hello', 'startswith', ['ll', 2], true],
    ['hello', 'startswith', [makeTuple(['x', 'he'])], true],
    ['hello', 'endswith', ['ll', 0, 4], true],
    ['🎉ab', 'find', ['b'], 2],
    ['🎉ab🎉b', 'rfind', ['b'], 4],
    ['a\tb', 'expandtabs', [4], 'a   b'],
    ['🎉', 'center', [5, '-'], '--🎉--'],
    ['aaa', 'count', ['a', 1], 2],
  ])('%j.%s(%j) is %j', (s, name, args, expected) => {
    expect(call(s, name, ...args)).toEqual(expected);
  });

  test.each([
    ['', '', '-', -1, '-'], ['abc', '', '-', -1, '-a-b-c-'], ['abc', '', '-', 2, '-a-bc'], ['é🎉', '', '|', -1, '|é|🎉|'], ['aaa', 'a', 'b', 2, 'bba'],
  ])('%j.replace(%j, %j, %d) is %j', (s, old, repl, count, expected) => {
    expect(pyReplace(s, old, repl, count)).toBe(expected);
  });
});

describe('tuples, dicts and their views', () => {
  test('tuples print with parentheses, one-element ones with a comma', () => {
    expect(pyRepr([makeTuple(['a', 1]), makeTuple([1]), makeTuple([])])).toBe("[('a', 1), (1,), ()]");
  });

  test("dict views print as dict_keys([...]) and iterate as lists; items() are tuples", () => {
    const d = { z: 0, y: null };
    const items = (pythonMethod(d, 'items') as () => unknown[])();
    expect(dictViewKind(items)).toBe('dict_items');
    expect(pyRepr(items)).toBe("dict_items([('z', 0), ('y', None)])");
    expect(pyRepr([...items])).toBe("[('z', 0), ('y', None)]");
    expect(pyRepr((pythonMethod(d, 'values') as () => unknown)())).toBe('dict_values([0, None])');
  });

  test('a dict keeps non-string keys for repr and keys()', () => {
    const d: Record<string, unknown> = { '1': 'x', a: 2 };
    setDictKey(d, '1', 1);
    expect(dictKeys(d)).toEqual([1, 'a']);
    expect(pyRepr(d)).toBe("{1: 'x', 'a': 2}");
  });

  test.each([
    ['plain', "'plain'"], ["it's", `"it's"`], ['say "hi"', `'say "hi"'`], [`both ' "`, `'both \\' "'`],
    ['tab\t', "'tab\\t'"], ['\x01', "'\\x01'"], ['ü日本', "'ü日本'"], ['\u200b', "'\\u200b'"], [null, 'None'], [true, 'True'],
  ])('repr(%j) is %s', (s, expected) => {
    expect(pyRepr(s)).toBe(expected);
  });
});

describe('dates and times', () => {
  test('datetime.date and datetime.datetime print as Python prints them', () => {
    expect([pyStr(new PyDate(2024, 1, 2)), pyRepr(new PyDate(2024, 1, 2))]).toEqual(['2024-01-02', 'datetime.date(2024, 1, 2)']);
    const dt = new PyDateTime(2024, 1, 2, 3, 4, 5);
    expect([pyStr(dt), pyRepr(dt), pyRepr(new PyDateTime(2024, 1, 2, 3, 4))]).toEqual(['2024-01-02 03:04:05', 'datetime.datetime(2024, 1, 2, 3, 4, 5)', 'datetime.datetime(2024, 1, 2, 3, 4)']);
  });

  test('a difference of datetimes is a timedelta', () => {
    const d = subtractDates(strptime('2024-03-01 00:00:00', '%Y-%m-%d %H:%M:%S'), strptime('2024-02-01 12:00:00', '%Y-%m-%d %H:%M:%S'))!;
    expect([d.days, d.seconds, pyStr(d), pyRepr(d)]).toEqual([28, 43200, '28 days, 12:00:00', 'datetime.timedelta(days=28, seconds=43200)']);
  });

  test.each([
    ['%Y-%m-%d %H:%M:%S', 0, '1970-01-01 00:00:00'], ['%a %b %d %j', 86400 * 365, 'Fri Jan 01 001'], ['%A %B %e %I%p %y %U %W %u %w', 1700000000, 'Tuesday November 14 10PM 23 46 46 2 2'],
    ['%F %T %s %%', 1700000000.5, '2023-11-14 22:13:20 1700000000 %'],
  ])('strftime(%j, gmtime(%d)) is %j', (fmt, seconds, expected) => {
    expect(strftime(fmt, timeFields(seconds, true))).toBe(expected);
  });

  test('strptime refuses text that does not match the format, with Python\'s message', () => {
    expect(() => strptime('2024/01/02', '%Y-%m-%d')).toThrow("time data '2024/01/02' does not match format '%Y-%m-%d'");
  });
});

describe('YAML and JSON read into Python values', () => {
  test('YAML 1.1 as PyYAML reads it: 08 a string, 010 octal, floats stay floats, dates, big ints', () => {
    const v = parseYamlVars('a: 08\nb: 010\nc: 1.0\nd: 2024-01-02\ne: 12345678901234567890\nf: y\ng: yes\n') as Record<string, unknown>;
    expect(pyRepr(v)).toBe("{'a': '08', 'b': 8, 'c': 1.0, 'd': datetime.date(2024, 1, 2), 'e': 12345678901234567890, 'f': 'y', 'g': True}");
  });

  test('JSON as Python json.loads reads it: 1.0 a float, big ints exact', () => {
    expect(pyRepr(pyJsonLoads('{"n": 1.0, "big": 12345678901234567890, "l": [1e2, -0]}'))).toBe("{'n': 1.0, 'big': 12345678901234567890, 'l': [100.0, 0]}");
  });
});
