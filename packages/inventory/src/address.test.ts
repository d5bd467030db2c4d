import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTNAME_PATTERN, IPV4_PATTERN, IPV6_PATTERN, parseAddress } from './address.js';

describe('parseAddress', () => {
  it('recognises exactly what the IPv4, IPv6 and host name patterns recognise (the ASCII fast path changes no answer)', () => {
    // no ':' so that no port is split off: the whole text is what the patterns see
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '_', '-', '.', 'é', 'ß', 'K', '\u212A', '\u0345', '[', ']', ' '), maxLength: 12 });
    fc.assert(
      fc.property(text, (s) => {
        const expected = IPV4_PATTERN.test(s) || IPV6_PATTERN.test(s) || HOSTNAME_PATTERN.test(s);
        expect(parseAddress(s) !== undefined).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('splits host and port', () => {
    expect(parseAddress('web1')).toEqual({ host: 'web1', port: undefined });
    expect(parseAddress('10.0.0.1:2222')).toEqual({ host: '10.0.0.1', port: 2222 });
    expect(parseAddress('[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(parseAddress('web[01:03].example.com:22')).toEqual({ host: 'web[01:03].example.com', port: 22 });
    expect(parseAddress('münchen-1')).toEqual({ host: 'münchen-1', port: undefined });
    expect(parseAddress('web_')).toBeUndefined();
    expect(parseAddress('-web')).toBeUndefined();
  });
});
