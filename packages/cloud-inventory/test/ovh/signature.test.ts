import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ovhSignature } from '../../src/ovh/signature.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ovh/signature-examples.json', import.meta.url), 'utf8')) as {
  examples: { from: string; applicationSecret: string; consumerKey: string; method: string; url: string; body: string; timestamp: number; signature: string }[];
};

describe('ovhSignature', () => {
  it.each(fixture.examples)('matches the worked example: $from', (e) => {
    expect(ovhSignature(e)).toBe(e.signature);
  });

  it('changes with every signed part', () => {
    const base = fixture.examples[2] as (typeof fixture.examples)[number];
    const sig = ovhSignature(base);
    for (const change of [{ url: `${base.url}?x=1` }, { body: '{}' }, { timestamp: base.timestamp + 1 }, { consumerKey: 'other' }, { method: 'POST' }]) {
      expect(ovhSignature({ ...base, ...change })).not.toBe(sig);
    }
  });
});
