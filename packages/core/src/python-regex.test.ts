import { describe, expect, test } from 'vitest';
import { expandPythonTemplate, translatePythonRegex } from './python-regex.js';

const re = (pattern: string, extra = ''): RegExp => {
  const t = translatePythonRegex(pattern);
  return new RegExp(t.source, t.flags + extra);
};

describe('translatePythonRegex: Python re syntax as a JavaScript RegExp', () => {
  test.each([
    ['(?P<key>\\w+)=(?P=key)', 'a=a', true],
    ['(?P<key>\\w+)=(?P=key)', 'a=b', false],
    ['(?i)^PORT', 'port 80', true],
    ['[]x]+', ']x]', true],
    ['[^]x]', ']', false],
    ['[(?P<n>]', 'P', true],
    ['\\Aab', 'ab', true],
    ['ab\\Z', 'ab', true],
    ['ab\\Z', 'ab\n', false],
  ])('%s on %j: %s', (pattern, text, hit) => {
    expect(re(pattern).test(text)).toBe(hit);
  });

  test('\\A and \\Z stay the start and end of the text in multiline mode', () => {
    expect(re('\\Ab', 'm').test('a\nb')).toBe(false);
    expect(re('a\\Z', 'm').test('a\nb')).toBe(false);
    expect(re('^b', 'm').test('a\nb')).toBe(true);
  });

  test('leading inline flags become RegExp flags; a verbose pattern is refused', () => {
    expect(translatePythonRegex('(?ims)x')).toEqual({ source: 'x', flags: 'ims' });
    expect(translatePythonRegex('(?a)x').flags).toBe('');
    expect(() => translatePythonRegex('(?x) a b')).toThrow(/verbose/);
  });
});

describe("expandPythonTemplate: re.sub's replacement", () => {
  const m = /(?<user>\w+)@(\w+)/.exec('mail root@example now') as RegExpExecArray;
  test.each([
    ['\\2:\\1', 'example:root'],
    ['\\g<user> at \\g<2>', 'root at example'],
    ['\\g<0>', 'root@example'],
    ['a\\tb\\\\c\\.', 'a\tb\\c\\.'],
  ])('%s', (template, out) => {
    expect(expandPythonTemplate(template, m)).toBe(out);
  });

  test('a group that did not take part is empty', () => {
    expect(expandPythonTemplate('[\\1]', /(x)?y/.exec('y') as RegExpExecArray)).toBe('[]');
  });

  test.each([
    ['\\3', /backreference \\3/],
    ['\\g<nope>', /invalid group reference nope/],
    ['\\q', /bad escape \\q/],
  ])('%s is an error, as in Python', (template, message) => {
    expect(() => expandPythonTemplate(template, m)).toThrow(message);
  });
});
