import { describe, expect, it } from 'vitest';
import { formatMode, parseMode, resolveMode } from '../../src/files.js';

describe('mode (C-14)', () => {
  it.each([['0644'], ['644'], [0o644], [420], ['u=rw,g=r,o=r'], ['0o644'], ['a=r,u+w']])('%s means 0644', (mode) => {
    const spec = parseMode(mode);
    if ('error' in spec) throw new Error(spec.error);
    expect(formatMode(resolveMode(spec, 0o600, false))).toBe('0644');
  });

  it.each([
    [644, "as a number its bits are 0o1204, but it reads like the octal digits '0644'; write the string '0644' (or '1204' if those bits were meant)"],
    [755, "as a number its bits are 0o1363, but it reads like the octal digits '0755'; write the string '0755' (or '1363' if those bits were meant)"],
    [1777, "as a number its bits are 0o3361, but it reads like the octal digits '1777'; write the string '1777' (or '3361' if those bits were meant)"],
    [512, "as a number its bits are 0o1000, but it reads like the octal digits '0512'; write the string '0512' (or '1000' if those bits were meant)"],
    [600, "as a number its bits are 0o1130, but it reads like the octal digits '0600'; write the string '0600' (or '1130' if those bits were meant)"],
  ])('the number %s is refused as ambiguous, and both suggestions are right', (mode, message) => {
    const r = parseMode(mode);
    expect('error' in r && r.error).toBe(`mode ${mode} is ambiguous: ${message}`);
    const [digits, bits] = [...message.matchAll(/'(\d+)'/g)].map((m) => m[1] as string).slice(1);
    const asDigits = parseMode(digits as string);
    const asBits = parseMode(bits as string);
    expect(!('error' in asDigits) && asDigits.kind === 'absolute' && asDigits.bits).toBe(parseInt(String(mode), 8));
    expect(!('error' in asBits) && asBits.kind === 'absolute' && asBits.bits).toBe(mode);
  });

  it.each([
    [0o2775, '2775'],
    [0o4755, '4755'],
    [0o2755, '2755'],
    [0o1777, '1777'],
    [0o4750, '4750'],
    [0o4711, '4711'],
    [0o6755, '6755'],
    [0o2770, '2770'],
    [0o1755, '1755'],
  ])('the number 0o%o (setuid, setgid, sticky) is taken as its bits', (mode, want) => {
    const spec = parseMode(mode);
    if ('error' in spec) throw new Error(spec.error);
    expect(formatMode(resolveMode(spec, 0o644, true))).toBe(want);
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
