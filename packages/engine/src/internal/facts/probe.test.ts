import { afterAll, describe, expect, it } from 'vitest';
import { defineFact, factCommand } from '@converge/core';
import { LocalTransport } from '@converge/core';
import { sh } from '@converge/core';
import { probe, probeScript } from './probe.js';

const t = new LocalTransport('probe-test');
afterAll(() => t.close());

const PRELUDE = `cv_test_echo() { printf '%s|%s\\n' "$1" "\${cv_test_seen-alone}"; }`;
const echoFact = defineFact<{ word: string }, string>(
  { name: 'test.echo', command: ({ word }) => sh`cv_test_echo ${word}`, parse: (out) => out },
  { prelude: PRELUDE, batch: (list) => sh`cv_test_seen=${list.map((a) => a.word).join(',')}` },
);
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
    const noisy = defineFact<{ k: string }, string>({ name: 'test.noisy', command: () => 'echo ok', parse: (out) => out }, { batch: () => 'echo batch; echo err >&2' });
    const results = await probe(t, [noisy({ k: '1' }), noisy({ k: '2' })]);
    expect([...results.values()]).toEqual([{ ok: true, value: 'ok\n' }, { ok: true, value: 'ok\n' }]);
  });

  it('runs a sameShell fact in the probe script itself, and any other fact in a subshell whose exit ends only its probe', async () => {
    // A variable one probe sets is seen by the next only when both run in the script's shell.
    const setter = (sameShell: boolean) =>
      defineFact<{ v: string }, string>({ name: `test.set_${sameShell}`, command: ({ v }) => sh`cv_test_var=${v}; echo set`, parse: (out) => out }, { sameShell });
    // The deprecated field of the definition still works as the hint.
    const reader = defineFact<{ k: number }, string>({ name: 'test.read', sameShell: true, command: () => 'echo "${cv_test_var-unset}"', parse: (out) => out.trim() });
    const exiting = defineFact<{ k: number }, number>({ name: 'test.exit', command: () => 'exit 3', parse: (_out, { exitCode }) => exitCode });
    const same = await probe(t, [setter(true)({ v: 'x' }), exiting({ k: 1 }), reader({ k: 1 })]);
    expect([...same.values()].map((r) => (r.ok ? r.value : r.error.message))).toEqual(['set\n', 3, 'x']);
    const sub = await probe(t, [setter(false)({ v: 'y' }), reader({ k: 2 })]);
    expect([...sub.values()].map((r) => (r.ok ? r.value : r.error.message))).toEqual(['set\n', 'unset']);
  });
});
