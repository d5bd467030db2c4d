// `@converge/core/testing`: module cases, fact cases and the fake transport, as a module author
// uses them (through the package's own entry).
import { describe, expect, test } from 'vitest';
import { ConvergeError, defineFact, defineModule, isConvergeError, secret, sh, Type } from '@converge/core';
import * as core from '@converge/core';
import { fakeTransport, parseFact, planModule } from '@converge/core/testing';

const motdStat = defineFact({
  name: 'motd.stat',
  command: ({ path }: { path: string }) => sh`cat -- ${path} 2>/dev/null || echo '<absent>'`,
  parse: (out): { exists: boolean; text: string } => {
    if (out === '<absent>\n') return { exists: false, text: '' };
    if (out.includes('\0')) throw new ConvergeError('CONVERGE_FACT', 'binary content');
    return { exists: true, text: out };
  },
  resources: ({ path }) => [path],
});

const motd = defineModule({
  name: 'motd',
  description: 'Write /etc/motd.',
  params: Type.Object({ text: Type.String(), note: Type.Optional(Type.String()) }, { additionalProperties: false }),
  validate: (p) => (p.text.includes('\0') ? 'text holds a NUL byte' : undefined),
  facts: () => ({ stat: motdStat({ path: '/etc/motd' }) }),
  plan: ({ params, facts }) =>
    facts.stat.text === params.text
      ? { changes: [], reason: '/etc/motd is up to date' }
      : { changes: [{ path: 'text', before: facts.stat.exists ? facts.stat.text : null, after: params.text }], data: { create: !facts.stat.exists } },
  apply: ({ params, plan }) => [{ script: plan.data.create ? sh`umask 022 && cat > /etc/motd` : sh`cat > /etc/motd`, stdin: params.text }],
  resources: () => ['/etc/motd'],
});

describe('planModule: { params, facts } -> { changes, commands }', () => {
  test('facts from recorded output, typed as the module declares them', () => {
    const stat = parseFact(motdStat({ path: '/etc/motd' }), '<absent>\n');
    const r = planModule(motd, { params: { text: 'hello\n' }, facts: { stat } });
    expect(r.changes).toEqual([{ path: 'text', before: null, after: 'hello\n' }]);
    expect(r.commands.map((c) => String(c.script))).toEqual(['umask 022 && cat > /etc/motd']);
    expect(planModule(motd, { params: { text: 'hello\n' }, facts: { stat: parseFact(motdStat({ path: '/etc/motd' }), 'hello\n') } })).toEqual({
      changes: [],
      diffs: [],
      reason: '/etc/motd is up to date',
      commands: [],
      plan: { changes: [], reason: '/etc/motd is up to date' },
    });
  });

  test.each([
    ['a param the schema refuses', { text: 1 }, /module motd: invalid params:\n {2}\/text: must be string/],
    ['an unknown param', { text: 'x', colour: 'red' }, /unknown param "colour"/],
    ["the module's own validate", { text: 'a\0b' }, /module motd: text holds a NUL byte/],
    ["a secret's mask in a string", { text: `pw=${String(secret('hunter22'))}` }, /param "text" holds "\*\*\*\*\*\*\*\*"/],
  ])('%s: ConvergeError CONVERGE_PARAMS before any fact is read', (_what, params, message) => {
    let error: unknown;
    try {
      planModule(motd, { params, facts: { stat: { exists: false, text: '' } } });
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error) && error.code).toBe('CONVERGE_PARAMS');
    expect((error as Error).message).toMatch(message);
  });

  test('the main entry keeps planModule, as a deprecated alias of the same function', () => {
    expect(core.planModule).toBe(planModule);
  });
});

describe('parseFact: recorded output -> value', () => {
  test('output the parser refuses is a CONVERGE_FACT error naming the fact and its arguments, with stderr', () => {
    let error: unknown;
    try {
      parseFact(motdStat({ path: '/etc/motd' }), 'a\0b', { exitCode: 1, stderr: 'cat: read error' });
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error) && error.code).toBe('CONVERGE_FACT');
    expect((error as ConvergeError).message).toBe('fact motd.stat {"path":"/etc/motd"}: binary content');
    expect((error as ConvergeError).detail).toBe('cat: read error');
  });

  test('the parser sees the exit status, stderr and arguments', () => {
    const seen = defineFact({ name: 'x.seen', command: () => 'true', parse: (out, o) => ({ out, ...o }) });
    expect(parseFact(seen({ n: 1 }), 'o', { exitCode: 3, stderr: 'e' })).toEqual({ out: 'o', args: { n: 1 }, exitCode: 3, stderr: 'e' });
  });
});

describe('fakeTransport: records what would be sent to a host', () => {
  test('commands and their options, in order, answered from recorded output', async () => {
    const t = fakeTransport({ host: 'web1', answer: (script) => (script.startsWith('cat') ? { stdout: 'hello\n' } : script === 'false' ? { exitCode: 1, stderr: 'no' } : undefined) });
    await t.connect();
    expect(await t.exec(sh`cat -- ${'/etc/motd'}`)).toEqual({ stdout: 'hello\n', stderr: '', exitCode: 0, durationMs: 0 });
    expect((await t.exec('false', { stdin: 'x' })).exitCode).toBe(1);
    expect(await t.exec('true')).toEqual({ stdout: '', stderr: '', exitCode: 0, durationMs: 0 });
    await t.close();
    expect(t.commands).toEqual([
      { script: 'cat -- /etc/motd', options: {} },
      { script: 'false', options: { stdin: 'x' } },
      { script: 'true', options: {} },
    ]);
    expect(t.stats.roundTrips).toBe(3);
    expect([t.host, t.loginUser]).toEqual(['web1', 'root']);
  });
});
