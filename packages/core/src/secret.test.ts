import { describe, expect, it } from 'vitest';
import { findSecretMask, maskText, maskValue, Secret, secret, secretText, SECRET_MASK } from './secret.js';

describe('Secret masking', () => {
  it('masks secrets by type and by value, also inside larger strings', () => {
    const s = secret('canary-7731-value');
    expect(JSON.stringify(s)).toBe(`"${SECRET_MASK}"`);
    expect(String(s)).toBe(SECRET_MASK);
    expect(maskText('url=postgres://u:canary-7731-value@db')).toBe(`url=postgres://u:${SECRET_MASK}@db`);
    expect(maskValue({ a: [s, 'x canary-7731-value y'] })).toEqual({ a: [SECRET_MASK, `x ${SECRET_MASK} y`] });
  });

  it('copies a value shared by two places twice, and cuts only real cycles', () => {
    const shared = [1, 2];
    expect(maskValue({ a: shared, b: shared })).toEqual({ a: [1, 2], b: [1, 2] });
    const loop: Record<string, unknown> = { name: 'x' };
    loop.self = loop;
    expect(maskValue(loop)).toEqual({ name: 'x', self: '[Circular]' });
  });

  it('secretText builds a Secret lazily from secrets and plain values; findSecretMask finds a secret turned into text', () => {
    let reads = 0;
    const lazy = new Secret(() => { reads++; return 'lazy-canary-8812'; });
    const built = secretText`u=${'app'} p=${lazy} n=${3}`;
    expect(reads).toBe(0);
    expect(String(built)).toBe(SECRET_MASK);
    expect(built.reveal()).toBe('u=app p=lazy-canary-8812 n=3');
    expect(maskText('x lazy-canary-8812')).toBe(`x ${SECRET_MASK}`);
    expect(findSecretMask({ a: 'ok', env: { PW: `pw=${secret('abcd-1234')}` } })).toBe('env.PW');
    expect(findSecretMask({ values: ['x', `${lazy}`] })).toBe('values[1]');
    expect(findSecretMask({ a: built, b: ['fine'] })).toBeUndefined();
  });

  it('masks a value registered after earlier masking, longest first', () => {
    secret('part-5521');
    expect(maskText('a part-5521 b')).toBe(`a ${SECRET_MASK} b`);
    secret('part-5521-and-more');
    expect(maskText('a part-5521-and-more b')).toBe(`a ${SECRET_MASK} b`);
  });
});
