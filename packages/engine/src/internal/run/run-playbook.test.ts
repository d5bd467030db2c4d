import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseIniInventory } from '@converge/inventory';
import { LocalTransport } from '@converge/core';
import { defineModule } from '@converge/core';
import { definePlaybook, type Play } from '@converge/core';
import { secret, sh } from '@converge/core';
import type { RunEvent } from '../report/report.js';
import { appendLine, failing, fileText, localInventory, logRun, play, rendered, runLocal, textFile, type LocalRunOptions } from '../../testing.js';
import { renderDiff } from '../plan/diff.js';
import { runPlaybook } from './run-playbook.js';

// Engine tests run on this controller through the real LocalTransport (a framed /bin/sh),
// with small modules (the engine's shared test fixtures, and some defined here); the builtin
// modules have their own tests on containers.

const liar = defineModule({
  name: 'test.liar',
  description: 'Announces a change and does nothing.',
  params: Type.Object({ path: Type.String() }),
  facts: (p) => ({ text: fileText({ path: p.path }) }),
  plan: ({ facts }) => (facts.text === 'x' ? { changes: [] } : { changes: [{ path: 'content', before: facts.text, after: 'x' }] }),
  apply: () => [{ script: 'true' }],
  resources: (p) => [p.path],
});

/** Reads a file's length and changes nothing: a read-only result for failedWhen (e.g. a backup's age). */
const fileLength = defineModule({
  name: 'test.file_length',
  description: 'Report the length of a file.',
  params: Type.Object({ path: Type.String() }),
  facts: (p) => ({ text: fileText({ path: p.path }) }),
  plan: ({ facts }) => ({ changes: [], reason: `length ${facts.text?.length ?? 0}`, result: { length: facts.text?.length ?? 0 } }),
  apply: () => [],
  resources: () => [],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-engine-'));
});

const run = (plays: Play | Play[], options: Partial<LocalRunOptions> = {}) => runLocal(plays, { dir, ...options });
const changed = (r: Awaited<ReturnType<typeof run>>['report']) => r.tasks.filter((t) => t.status === 'changed').map((t) => t.task);

describe('runPlaybook', () => {
  it('probes the facts of 50 tasks in one round trip, and a no-op run costs just that', async () => {
    const tasks = Array.from({ length: 50 }, (_, i) => textFile({ path: join(dir, `f${i}`), content: `file ${i}\n` }));
    const first = await run(play(tasks));
    expect(first.report.summary.local1).toMatchObject({ changed: 50, failed: 0 });
    const second = await run(play(tasks));
    expect(second.report.summary.local1).toMatchObject({ ok: 50, changed: 0 });
    expect(second.report.stats.local1?.roundTrips).toBe(1);
  });

  it('predicts in check mode exactly what the run then changes, and changes nothing', async () => {
    writeFileSync(join(dir, 'b'), 'old\n');
    const tasks = [textFile({ path: join(dir, 'a'), content: 'A\n' }), textFile({ path: join(dir, 'b'), content: 'B\n' }), textFile({ path: join(dir, 'c'), content: 'C\n' })];
    writeFileSync(join(dir, 'c'), 'C\n');
    const check = await run(play(tasks), { check: true, diff: true });
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('old\n');
    const real = await run(play(tasks));
    expect(changed(check.report)).toEqual(changed(real.report));
    expect(changed(real.report)).toHaveLength(2);
    const diff = check.report.tasks.find((t) => t.task.endsWith('/b'))?.diff ?? '';
    expect(diff).toContain('-old');
    expect(diff).toContain('+B');
    expect((await run(play(tasks))).report.summary.local1?.changed).toBe(0);
  });

  it('in check mode, a later play knows what an earlier play of the same host would change', async () => {
    const seesUpstream = defineModule({
      name: 'test.sees_upstream',
      description: 'Reports whether an earlier task of the run changes what it reads.',
      params: Type.Object({ path: Type.String() }),
      facts: (p) => ({ text: fileText({ path: p.path }) }),
      plan: ({ upstreamChanged }) => (upstreamChanged ? { changes: [{ path: 'upstream', before: false, after: true }] } : { changes: [] }),
      apply: () => [{ script: 'true' }],
      verify: false,
    });
    const a = join(dir, 'a');
    const check = await run([play([textFile({ path: a, content: 'A\n' })], { name: 'first' }), play([seesUpstream({ path: a })], { name: 'second' })], { check: true });
    expect(changed(check.report)).toEqual([`test.text_file ${a}`, `test.sees_upstream ${a}`]);
  });

  it('re-probes a fact that an applied task made stale before the task that reads it', async () => {
    const path = join(dir, 'conf');
    const tasks = [textFile({ path, content: 'a=1\n' }), appendLine({ path, line: 'b=2' })];
    const first = await run(play(tasks));
    expect(first.report.summary.local1?.failed).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('a=1\nb=2\n');
    // probe + write (its script ends with the re-probe of the fact it made stale) + append + verify
    // (the earlier task's resource was touched later: only the last is verified)
    expect(first.report.stats.local1?.roundTrips).toBe(4);
  });

  it('runs a notified handler once at the end of the play, and only when something changed', async () => {
    const log = join(dir, 'log');
    const handlers = [logRun({ path: log, line: 'restarted' }, { name: 'restart app' })];
    const tasks = [
      textFile({ path: join(dir, 'x'), content: '1' }, { notify: 'restart app' }),
      textFile({ path: join(dir, 'y'), content: '2' }, { notify: ['restart app'] }),
    ];
    await run(play(tasks, { handlers }));
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
    const again = await run(play(tasks, { handlers }));
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
    expect(again.report.tasks.some((t) => t.handler)).toBe(false);
  });

  it('C-19: remembers a handler that a failure kept from running and runs it on the next run', async () => {
    const log = join(dir, 'log');
    const handlers = [logRun({ path: log, line: 'restarted' }, { name: 'restart app' })];
    const conf = textFile({ path: join(dir, 'app.conf'), content: 'v2\n' }, { notify: 'restart app' });
    const broken = await run(play([conf, failing({ message: 'boom' })], { handlers }));
    expect(broken.report.summary.local1?.failed).toBe(1);
    expect(existsSync(log)).toBe(false);
    expect(readFileSync(join(dir, '.converge', 'pending-handlers.json'), 'utf8')).toContain('restart app');
    const fixed = await run(play([conf], { handlers }));
    expect(fixed.report.tasks.find((t) => t.task.endsWith('app.conf'))?.status).toBe('ok');
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
    expect(readFileSync(join(dir, '.converge', 'pending-handlers.json'), 'utf8')).not.toContain('restart app');
    await run(play([conf], { handlers }));
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
  });

  it('C-19: with force-handlers the handler runs before the play stops', async () => {
    const log = join(dir, 'log');
    const handlers = [logRun({ path: log, line: 'restarted' }, { name: 'restart app' })];
    const tasks = [textFile({ path: join(dir, 'app.conf'), content: 'v2\n' }, { notify: 'restart app' }), failing({ message: 'boom' })];
    const r = await run(play(tasks, { handlers }), { forceHandlers: true });
    expect(r.report.summary.local1?.failed).toBe(1);
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
  });

  it('validates every param of every task before contacting any host', async () => {
    const tasks = [textFile({ path: join(dir, 'ok'), content: 'x' }), textFile({ path: 42 as never, content: 'x' }, { name: 'bad one' })];
    let connects = 0;
    await expect(
      runPlaybook({
        playbook: definePlaybook(play(tasks)),
        playbookPath: join(dir, 'p.ts'),
        inventory: localInventory(),
        transport: (spec) => {
          connects += 1;
          return new LocalTransport(spec.host);
        },
      }),
    ).rejects.toMatchObject({ code: 'CONVERGE_PARAMS', message: expect.stringMatching(/bad one.*\/path.*got 42/s) });
    expect(connects).toBe(0);
    expect(existsSync(join(dir, 'ok'))).toBe(false);
  });

  it('refuses a host whose ansible_port is not a port before contacting any host', async () => {
    let connects = 0;
    await expect(
      runPlaybook({
        playbook: definePlaybook(play([textFile({ path: join(dir, 'ok'), content: 'x' })])),
        playbookPath: join(dir, 'p.ts'),
        inventory: parseIniInventory('local1 ansible_connection=local\nbad1 ansible_connection=local ansible_port=abc\n', 'ports.ini'),
        transport: (spec) => {
          connects += 1;
          return new LocalTransport(spec.host);
        },
      }),
    ).rejects.toMatchObject({ code: 'CONVERGE_INVENTORY', message: expect.stringContaining('host bad1: ansible_port "abc" is not a port number') });
    expect(connects).toBe(0);
    expect(existsSync(join(dir, 'ok'))).toBe(false);
  });

  it('fails a task whose apply did not reach what its plan announced (not converged)', async () => {
    const r = await run(play([liar({ path: join(dir, 'l') })]));
    expect(r.report.tasks).toHaveLength(1);
    expect(r.report.tasks[0]).toMatchObject({ status: 'failed', code: 'CONVERGE_NOT_CONVERGED' });
    expect(r.report.summary.local1).toMatchObject({ ok: 0, changed: 0, failed: 1 });
  });

  it('reports a failing step with its exit code and stderr, and keeps other hosts going', async () => {
    const tasks = [
      failing({ message: 'disk on fire' }, { when: ({ host }) => host === 'local1' }),
      textFile((ctx) => ({ path: join(dir, `out-${ctx.host}`), content: ctx.host })),
    ];
    const r = await run(play(tasks), { hosts: ['local1', 'local2'] });
    const failed = r.report.tasks.find((t) => t.status === 'failed');
    expect(failed?.message).toMatch(/"fail on purpose" exited with 7: disk on fire/);
    expect(r.report.summary.local1).toMatchObject({ failed: 1 });
    expect(r.report.summary.local2).toMatchObject({ failed: 0, changed: 1, skipped: 1 });
    expect(readFileSync(join(dir, 'out-local2'), 'utf8')).toBe('local2');
    expect(existsSync(join(dir, 'out-local1'))).toBe(false);
  });

  it('ignoreErrors lets the host go on and counts the failure as ignored', async () => {
    const r = await run(play([failing({ message: 'meh' }, { ignoreErrors: true }), textFile({ path: join(dir, 'after'), content: 'x' })]));
    expect(r.report.summary.local1).toMatchObject({ failed: 0, ignored: 1, changed: 1 });
  });

  it('masks secrets in diffs, changes and events', async () => {
    const s = secret('hunter2-canary-value');
    const r = await run(play([textFile({ path: join(dir, 's'), content: s as never })]), { diff: true });
    expect(readFileSync(join(dir, 's'), 'utf8')).toBe('hunter2-canary-value');
    expect(JSON.stringify(r.report)).not.toContain('hunter2-canary-value');
    expect(JSON.stringify(r.events)).not.toContain('hunter2-canary-value');
    expect(r.report.tasks[0]?.diff).toContain('********');
  });

  it('selects tasks by tags and skip-tags, with always and never', async () => {
    const tasks = [
      textFile({ path: join(dir, 't1'), content: '1' }, { tags: ['web'] }),
      textFile({ path: join(dir, 't2'), content: '2' }, { tags: ['db'] }),
      textFile({ path: join(dir, 't3'), content: '3' }, { tags: ['always'] }),
      textFile({ path: join(dir, 't4'), content: '4' }, { tags: ['never', 'debug'] }),
    ];
    await run(play(tasks), { tags: ['web'] });
    expect(['t1', 't2', 't3', 't4'].map((f) => existsSync(join(dir, f)))).toEqual([true, false, true, false]);
    await run(play(tasks), { skipTags: ['always'] });
    expect(['t1', 't2', 't3', 't4'].map((f) => existsSync(join(dir, f)))).toEqual([true, true, true, false]);
  });
});

describe('read-only results', () => {
  it('reports the result of a task without changes and judges it with failedWhen, in check mode too', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'hello');
    const tasks = [
      fileLength({ path }, { name: 'short enough', failedWhen: (r) => (r['length'] as number) > 10 }),
      fileLength({ path }, { name: 'too short', failedWhen: (r) => (r['length'] as number) < 10 }),
      textFile({ path: join(dir, 'after'), content: 'x' }),
    ];
    for (const check of [true, false]) {
      const { report } = await run(play(tasks), { check });
      expect(report.tasks.map((t) => [t.task, t.status, t.result])).toEqual([
        ['short enough', 'ok', { length: 5 }],
        ['too short', 'failed', { length: 5 }],
      ]);
      expect(report.tasks[1]?.message).toBe('failedWhen matched: length 5');
    }
    expect(existsSync(join(dir, 'after'))).toBe(false);
  });
});

describe('runPlaybook input checks', () => {
  it('refuses a notify that names no handler, before contacting any host', async () => {
    const d = mkdtempSync(join(tmpdir(), 'converge-engine-'));
    const tasks = [textFile({ path: join(d, 'x'), content: '1' }, { notify: 'restart ap' })];
    const handlers = [logRun({ path: join(d, 'log'), line: 'r' }, { name: 'restart app' })];
    let connects = 0;
    await expect(
      runPlaybook({
        playbook: definePlaybook({ name: 'p', hosts: 'all', tasks, handlers }),
        playbookPath: join(d, 'p.ts'),
        inventory: localInventory(),
        transport: (spec) => {
          connects += 1;
          return new LocalTransport(spec.host);
        },
      }),
    ).rejects.toMatchObject({ code: 'CONVERGE_PLAYBOOK', message: expect.stringContaining('notifies "restart ap"'), hint: expect.stringContaining('"restart app"') });
    expect(connects).toBe(0);
    expect(existsSync(join(d, 'x'))).toBe(false);
  });
});

describe('runPlaybook semantics found by use', () => {
  it('writes a secret used in a template to the host, and masks it in every output', async () => {
    const r = await run(play([rendered({ path: join(dir, 'db.conf'), source: 'password={{ db_password }}\n' })], { vars: { db_password: secret('s3cr3t-template-canary') } }), { diff: true });
    expect(readFileSync(join(dir, 'db.conf'), 'utf8')).toBe('password=s3cr3t-template-canary\n');
    expect(JSON.stringify(r.report)).not.toContain('s3cr3t-template-canary');
    expect(JSON.stringify(r.events)).not.toContain('s3cr3t-template-canary');
  });

  it('gives param functions and when the vars with {{ }} rendered', async () => {
    const d = dir;
    const r = await run(
      play([textFile((h) => ({ path: String(h.vars.conf_path), content: 'x' }), { when: (h) => h.vars.enabled_text === 'yes' })], {
        vars: { app: 'myapp', conf_path: `${d}/{{ app }}.conf`, flag: 'yes', enabled_text: '{{ flag }}' },
      }),
    );
    expect(r.report.summary.local1?.failed).toBe(0);
    expect(readFileSync(join(d, 'myapp.conf'), 'utf8')).toBe('x');
  });

  it('evaluates when on handlers too', async () => {
    const log = join(dir, 'log');
    const handlers = [logRun({ path: log, line: 'r' }, { name: 'h', when: () => false })];
    const r = await run(play([textFile({ path: join(dir, 'x'), content: '1' }, { notify: 'h' })], { handlers }));
    expect(existsSync(log)).toBe(false);
    expect(r.report.tasks.find((t) => t.handler)?.status).toBe('skipped');
  });

  it('runs never-tagged tasks only when one of their tags is named', async () => {
    const tasks = [textFile({ path: join(dir, 'n1'), content: '1' }, { tags: ['never', 'debug'] }), textFile({ path: join(dir, 'n2'), content: '2' }, { tags: ['x'] })];
    await run(play(tasks), { tags: ['tagged'] });
    expect([existsSync(join(dir, 'n1')), existsSync(join(dir, 'n2'))]).toEqual([false, true]);
    await run(play(tasks), { tags: ['debug'] });
    expect(existsSync(join(dir, 'n1'))).toBe(true);
  });

  it('refuses a --limit that matches no host', async () => {
    await expect(run(play([textFile({ path: join(dir, 'l'), content: '1' })]), { limit: 'nomatch' })).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS' });
  });

  it('skips the text diff of files over 104448 bytes, as Ansible does', () => {
    const big = 'x\n'.repeat(60_000);
    const text = renderDiff([{ path: 'content', before: 'a', after: 'b' }], [{ path: '/f', before: big, after: `${big}y\n` }]);
    expect(text).toContain('diff skipped: larger than 104448 bytes');
  });
});

/** Waits (at most 20 s) for a file to appear: a step whose end the test decides. */
const waitFor = defineModule({
  name: 'test.wait_for',
  description: 'Wait until a file exists.',
  params: Type.Object({ path: Type.String() }),
  plan: ({ params }) => ({ changes: [{ path: 'waited', before: null, after: params.path }] }),
  apply: ({ params }) => [{ script: sh`i=0; while [ ! -e ${params.path} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; test -e ${params.path}` }],
  resources: () => [],
  verify: false,
});

describe('what the output shows while a host runs', () => {
  it('reports each task as its steps complete and names the one that runs, when several run in one round trip', async () => {
    const go = join(dir, 'go');
    const events: RunEvent[] = [];
    const tasks = [logRun({ path: join(dir, 'log'), line: 'first' }, { name: 'first' }), waitFor({ path: go }, { name: 'slow' }), logRun({ path: join(dir, 'log'), line: 'last' }, { name: 'last' })];
    const { report } = await run(play(tasks), {
      onEvent: (e) => {
        events.push(e);
        // The file appears only once the engine says that "slow" runs: while its round trip is under way.
        if (e.type === 'task-start' && e.task === 'slow') writeFileSync(go, '');
      },
    });
    expect(report.summary.local1).toMatchObject({ changed: 3, failed: 0 });
    expect(report.stats.local1?.roundTrips).toBe(1);
    const order = events.flatMap((e) => (e.type === 'task-start' ? [`start ${e.task}`] : e.type === 'task-result' ? [`done ${e.report.task}`] : []));
    // A task is reported (and audited) when its step markers arrive, not when the round trip returns.
    expect(order).toEqual(['start first', 'done first', 'start slow', 'done slow', 'start last', 'done last']);
  });

  it("reports each host's own time, not the time of the slowest host of the batch", async () => {
    const go = join(dir, 'go-late');
    const { report } = await run(play([waitFor((h) => ({ path: h.host === 'local2' ? go : dir }))]), {
      hosts: ['local1', 'local2'],
      onEvent: (e) => {
        // local2 waits until local1 is done, and half a second more.
        if (e.type === 'task-result' && e.report.host === 'local1') setTimeout(() => writeFileSync(go, ''), 500);
      },
    });
    expect(report.summary.local2).toMatchObject({ changed: 1, failed: 0 });
    const [one, two] = [report.stats.local1?.durationMs ?? 0, report.stats.local2?.durationMs ?? 0];
    expect(two - one).toBeGreaterThanOrEqual(400);
  });
});
