import { defineFact, defineModule, sh, Type } from '@converge/core';
import { describe, expect, it } from 'vitest';
import { play, runLocal, tempDir } from '../../testing.js';

// Check mode: a prediction that depends on an earlier change is reported `unknown` (known after
// apply), counted apart from `changed`; an earlier task's `predicts` lets a later plan know.
const thing = defineFact<{ key: string }, string>({
  name: 'test.thing',
  command: ({ key }) => sh`printf before-${key}`,
  parse: (out) => out,
  resources: ({ key }) => [`thing:${key}`],
});

/** Changes thing KEY; with `to`, predicts what KEY becomes. */
const make = defineModule({
  name: 'test.make',
  description: 'Change a thing.',
  params: Type.Object({ key: Type.String(), to: Type.Optional(Type.String()) }),
  plan: ({ params }) => ({ changes: [{ path: 'thing', before: null, after: params.key }], ...(params.to ? { predicts: { [`thing:${params.key}`]: params.to } } : {}) }),
  apply: () => [{ script: sh`:` }],
  resources: (p) => [`thing:${p.key}`],
  verify: false,
});

/** Wants thing KEY to be WANT: plans from the prediction of an earlier task when there is one; without one after an earlier change, its plan is a guess. */
const want = defineModule({
  name: 'test.want',
  description: 'Want a thing.',
  params: Type.Object({ key: Type.String(), want: Type.String() }),
  facts: (p) => ({ now: thing({ key: p.key }) }),
  plan: ({ params, facts, upstreamChanged, predicted }) => {
    const now = (predicted?.[`thing:${params.key}`] as string | undefined) ?? facts.now;
    if (now === params.want) return { changes: [], reason: 'as wanted' };
    const guessing = upstreamChanged && predicted?.[`thing:${params.key}`] === undefined;
    return { changes: [{ path: 'thing', before: now, after: params.want }], ...(guessing ? { unknown: 'an earlier task changes it' } : {}) };
  },
  apply: () => [{ script: sh`:` }],
  resources: (p) => [`thing:${p.key}`],
  verify: false,
});

describe('check mode: known after apply', () => {
  it('reports a guess as unknown, apart from changed; a predicted value makes it certain; handlers notified only by guesses are unknown too', async () => {
    const dir = tempDir();
    const { report } = await runLocal(
      play(
        [
          make({ key: 'a', to: 'wanted' }, { name: 'make a (predicts)' }),
          want({ key: 'a', want: 'wanted' }, { name: 'want a' }),
          make({ key: 'b' }, { name: 'make b (no prediction)' }),
          want({ key: 'b', want: 'wanted' }, { name: 'want b', notify: 'after b' }),
          want({ key: 'c', want: 'wanted' }, { name: 'want c (untouched)' }),
        ],
        { handlers: [make({ key: 'h' }, { name: 'after b' })] },
      ),
      { dir, check: true },
    );
    expect(report.tasks.map((t) => `${t.status} ${t.task}`)).toEqual([
      'changed make a (predicts)',
      'ok want a',
      'changed make b (no prediction)',
      'unknown want b',
      'changed want c (untouched)',
      'unknown after b',
    ]);
    expect(report.tasks.find((t) => t.task === 'want b')?.message).toBe('known after apply: an earlier task changes it');
    expect(report.summary.local1).toMatchObject({ ok: 6, changed: 3, unknown: 2 });
  });

  it('a later change without a prediction hides an earlier prediction', async () => {
    const { report } = await runLocal(play([make({ key: 'a', to: 'wanted' }), make({ key: 'a' }, { name: 'again' }), want({ key: 'a', want: 'wanted' }, { name: 'want a' })]), { dir: tempDir(), check: true });
    expect(report.tasks.at(-1)).toMatchObject({ task: 'want a', status: 'unknown' });
  });

  it('a real run has no unknown status', async () => {
    const { report } = await runLocal(play([make({ key: 'b' }), want({ key: 'b', want: 'wanted' }, { name: 'want b' })]), { dir: tempDir() });
    expect(report.tasks.map((t) => t.status)).toEqual(['changed', 'changed']);
    expect(report.summary.local1?.unknown).toBe(0);
  });
});
