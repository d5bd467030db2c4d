import { describe, expect, it } from 'vitest';
import { maskText, maskValue, secret, SECRET_MASK } from './secret.js';

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
});
