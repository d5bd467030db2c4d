import { describe, expect, it } from 'vitest';
import { formatMode, parseMode, resolveMode } from '../../src/files.js';

describe('mode (C-14)', () => {
  it.each([['0644'], ['644'], [0o644], [420], ['u=rw,g=r,o=r'], ['0o644'], ['a=r,u+w']])('%s means 0644', (mode) => {
    const spec = parseMode(mode);
    if ('error' in spec) throw new Error(spec.error);
    expect(formatMode(resolveMode(spec, 0o600, false))).toBe('0644');
  });

  it.each([[644], [755], [1777], [512]])('the number %s is refused as ambiguous, saying to write a string', (mode) => {
    const r = parseMode(mode);
    expect('error' in r && r.error).toMatch(/ambiguous.*'0/);
  });

  it.each([['rw-r--r--'], ['0999'], ['u=rwz'], [''], ['77777'], [-1], [1.5], ['u+g']])('%s is an invalid mode', (mode) => {
    expect('error' in parseMode(mode)).toBe(true);
  });

  it.each([
    ['u+x', 0o644, false, '0744'],
    ['go-w', 0o666, false, '0644'],
    ['+x', 0o644, false, '0755'],
    ['+w', 0o444, false, '0644'],
    ['a+X', 0o644, true, '0755'],
    ['a+X', 0o644, false, '0644'],
    ['a+X', 0o744, false, '0755'],
    ['u=rwx,g=rx,o=', 0o4777, false, '0750'],
    ['g+s', 0o755, true, '2755'],
    ['o+t', 0o777, true, '1777'],
    ['2750', 0o644, true, '2750'],
  ] as const)('%s applied to %o gives %s', (mode, current, dir, want) => {
    const spec = parseMode(mode);
    if ('error' in spec) throw new Error(spec.error);
    expect(formatMode(resolveMode(spec, current, dir))).toBe(want);
  });
});
