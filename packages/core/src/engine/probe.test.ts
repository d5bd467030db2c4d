import { afterAll, describe, expect, it } from 'vitest';
import { defineFact, factCommand } from '../fact.js';
import { LocalTransport } from '../local-transport.js';
import { sh } from '../sh.js';
import { probe, probeScript } from './probe.js';

const t = new LocalTransport('probe-test');
afterAll(() => t.close());

const PRELUDE = `cv_test_echo() { printf '%s|%s\\n' "$1" "\${cv_test_seen-alone}"; }`;
const echoFact = defineFact<{ word: string }, string>({
  name: 'test.echo',
  prelude: PRELUDE,
  command: ({ word }) => sh`cv_test_echo ${word}`,
  batch: (list) => sh`cv_test_seen=${list.map((a) => a.word).join(',')}`,
  parse: (out) => out,
});
const plainFact = defineFact<{ n: number }, string>({ name: 'test.plain', command: ({ n }) => `echo ${n}`, parse: (out) => out });

describe('probe scripts with fact preludes and batches', () => {
  it('sends a prelude once per script, however many requests use it', () => {
    const words = ["a'b", 'c d', '$(x)'];
    const script = probeScript([...words.map((word) => echoFact({ word })), plainFact({ n: 1 })], 'n0');
    expect(script.split(PRELUDE).length - 1).toBe(1);
    expect(script.indexOf(PRELUDE)).toBeLessThan(script.indexOf('cv_test_echo '));
  });

  it('runs the batch with every request of the fact before the commands; the command alone gives its own value', async () => {
    const words = ["a'b", 'c d', '$(x)'];
    const results = await probe(t, [...words.map((word) => echoFact({ word })), plainFact({ n: 7 })]);
    expect([...results.values()]).toEqual([
      ...words.map((w) => ({ ok: true, value: `${w}|${words.join(',')}\n` })),
      { ok: true, value: '7\n' },
    ]);
    const alone = await t.exec(factCommand(echoFact, { word: 'x y' }));
    expect(alone.stdout).toBe('x y|alone\n');
    expect(factCommand(plainFact, { n: 3 })).toBe('echo 3');
  });

  it('discards the output of a batch: it never reaches the first probe', async () => {
    const noisy = defineFact<{ k: string }, string>({ name: 'test.noisy', command: () => 'echo ok', batch: () => 'echo batch; echo err >&2', parse: (out) => out });
    const results = await probe(t, [noisy({ k: '1' }), noisy({ k: '2' })]);
    expect([...results.values()]).toEqual([{ ok: true, value: 'ok\n' }, { ok: true, value: 'ok\n' }]);
  });
});
