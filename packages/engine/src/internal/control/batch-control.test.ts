import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConvergeError } from '@converge/core';
import { defineFact } from '@converge/core';
import { defineModule, type Task } from '@converge/core';
import { definePlaybook, LocalTransport, type Play } from '@converge/core';
import { sh } from '@converge/core';
import { failing, fileText, localInventory, logRun, play as localPlay, runLocal, textFile, type LocalRunOptions } from '../../testing.js';
import type { RunReport } from '../report/report.js';
import { runPlaybook } from '../run/run-playbook.js';

// Play-level execution control (serial, maxFailPercentage, anyErrorsFatal, order, throttle,
// runOnce, delegateTo, startAtTask) through runPlaybook, with several inventory hosts that are
// each a real LocalTransport (a framed /bin/sh on this machine). The fixtures' recording transport
// notes which host's connection ran which script, since all these "hosts" share one file system.

/** Counts how many hosts are inside the task at once: each run writes that count to `log`. */
const crowd = defineModule({
  name: 'test.crowd',
  description: 'Record how many runs overlap.',
  params: Type.Object({ dir: Type.String(), me: Type.String() }),
  plan: () => ({ changes: [{ path: 'run', before: null, after: 1 }] }),
  apply: ({ params }) => [
    { script: sh`mkdir -p ${params.dir}/in && touch ${params.dir}/in/${params.me} && ls ${params.dir}/in | wc -l >> ${params.dir}/counts; sleep 0.4; rm ${params.dir}/in/${params.me}` },
  ],
  resources: (p) => [p.dir],
  verify: false,
});

const dirExists = defineFact<{ path: string }, boolean>({
  name: 'test.dir_exists',
  command: ({ path }) => sh`test -d ${path}`,
  parse: (_out, { exitCode }) => exitCode === 0,
  resources: ({ path }) => [path],
});

const makeDir = defineModule({
  name: 'test.make_dir',
  description: 'Create a directory.',
  params: Type.Object({ path: Type.String() }),
  facts: (p) => ({ there: dirExists({ path: p.path }) }),
  plan: ({ facts }) => (facts.there ? { changes: [] } : { changes: [{ path: 'state', before: 'absent', after: 'directory' }] }),
  apply: ({ params }) => [{ script: sh`mkdir -p ${params.path}` }],
  resources: (p) => [p.path],
});

/** Like copy: refuses to plan a file in a missing directory unless an earlier change may create it. */
const fileInDir = defineModule({
  name: 'test.file_in_dir',
  description: 'Write a file into an existing directory.',
  params: Type.Object({ dir: Type.String(), name: Type.String() }),
  facts: (p) => ({ there: dirExists({ path: p.dir }), text: fileText({ path: `${p.dir}/${p.name}` }) }),
  plan: ({ params, facts, upstreamChanged }) => {
    if (!facts.there && !upstreamChanged) throw new ConvergeError('CONVERGE_PLAN', `${params.dir} does not exist`);
    return facts.text === 'x' ? { changes: [] } : { changes: [{ path: 'content', before: facts.text, after: 'x' }] };
  },
  apply: ({ params }) => [{ script: sh`printf x > ${`${params.dir}/${params.name}`}` }],
  resources: (p) => [p.dir],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-play-'));
});

const HOSTS = ['local1', 'local2', 'local3', 'local4'];

const run = (plays: Play | Play[], options: Partial<LocalRunOptions> = {}) => {
  // One more inventory host, `gone`, always refuses to connect.
  const { hosts = HOSTS.slice(0, 3), down = [], ...rest } = options;
  return runLocal(plays, { dir, hosts: [...hosts, 'gone'], down: [...down, 'gone'], ...rest });
};
const play = (tasks: Task[], extra: Partial<Play> = {}): Play => localPlay(tasks, { hosts: 'local*', ...extra });
const rows = (r: RunReport) => r.tasks.map((t) => `${t.host}${t.delegatedTo ? ` -> ${t.delegatedTo}` : ''} ${t.handler ? 'handler ' : ''}${t.task} ${t.status}`);
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : []);
/** A task that fails on the hosts listed in the host var `fail_on` given per test through extraVars. */
const failOn = (hosts: string[], name = 'maybe fail') => failing({ message: 'boom' }, { name, when: (h) => hosts.includes(h.host) });

describe('serial', () => {
  it('runs each batch to its end, handlers included, before the next batch starts', async () => {
    const log = join(dir, 'log');
    const tasks = [logRun((h) => ({ path: log, line: `task ${h.host}` }), { name: 'work', notify: 'after' })];
    const handlers = [logRun((h) => ({ path: log, line: `handler ${h.host}` }), { name: 'after' })];
    const { report, events } = await run(play(tasks, { serial: 1, handlers }));
    expect(lines(log)).toEqual(['task local1', 'handler local1', 'task local2', 'handler local2', 'task local3', 'handler local3']);
    expect(rows(report)).toEqual(['local1 work changed', 'local1 handler after changed', 'local2 work changed', 'local2 handler after changed', 'local3 work changed', 'local3 handler after changed']);
    // One play-start for the whole play, as ansible-playbook prints one PLAY header.
    expect(events.filter((e) => e.type === 'play-start')).toHaveLength(1);
  });

  it('takes batch sizes from a list whose last entry repeats', async () => {
    const log = join(dir, 'log');
    const tasks = [logRun((h) => ({ path: log, line: h.host, sleep: 0.2 }), { name: 'work' }), logRun({ path: log, line: '--' }, { name: 'mark' })];
    await run(play(tasks, { serial: [1, '50%'] }), { hosts: HOSTS });
    // Batches: [local1], [local2, local3], [local4]: a batch's hosts run side by side.
    const got = lines(log);
    expect(got.slice(0, 2)).toEqual(['local1', '--']);
    expect(got.slice(2, 4).sort()).toEqual(['local2', 'local3']);
    expect(got.slice(4, 6)).toEqual(['--', '--']);
    expect(got.slice(6)).toEqual(['local4', '--']);
  });

  it('stops the playbook when every host of a batch failed (serial 1, first host fails)', async () => {
    const log = join(dir, 'log');
    const plays = [play([failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { serial: 1 }), play([logRun({ path: log, line: 'play 2' })], { name: 'second' })];
    const { report, events } = await run(plays);
    expect(rows(report)).toEqual(['local1 maybe fail failed']);
    expect(lines(log)).toEqual([]);
    const warning = events.find((e) => e.type === 'warning');
    expect(warning && 'message' in warning ? warning.message : '').toMatch(/play "p" stopped \(every host of the batch \(local1\) failed\); hosts not run: local2, local3; 1 later play not run/);
  });

  it('goes on with the next batch when only some hosts of a batch failed', async () => {
    const log = join(dir, 'log');
    const { report } = await run(play([failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { serial: 2 }));
    expect(report.summary.local1).toMatchObject({ failed: 1 });
    expect(lines(log).sort()).toEqual(['local2', 'local3']);
  });
});

describe('maxFailPercentage', () => {
  const tasks = (log: string) => [failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })];

  it('stops the play when the failed hosts of a batch are strictly more than the percentage', async () => {
    const log = join(dir, 'log');
    const plays = [play(tasks(log), { serial: 2, maxFailPercentage: 49 }), play([logRun({ path: log, line: 'play 2' })], { name: 'second' })];
    const { report } = await run(plays, { hosts: HOSTS });
    // Batch 1 = local1 (failed), local2: 50 % > 49 %. local2 may finish, batch 2 never starts.
    expect(lines(log).filter((l) => l !== 'local2')).toEqual([]);
    expect(report.summary.local3).toMatchObject({ ok: 0, changed: 0, failed: 0 });
    expect(report.summary.local4).toMatchObject({ ok: 0, changed: 0, failed: 0 });
  });

  it('goes on when the failed hosts are exactly the percentage', async () => {
    const log = join(dir, 'log');
    const plays = [play(tasks(log), { serial: 2, maxFailPercentage: 50 }), play([logRun({ path: log, line: 'play 2' })], { name: 'second' })];
    await run(plays, { hosts: HOSTS });
    expect(lines(log).sort()).toEqual(['local2', 'local3', 'local4', 'play 2', 'play 2', 'play 2']);
  });

  it('with 0, one failed host stops the play; the others of the batch stop before their next task', async () => {
    const log = join(dir, 'log');
    const slow = logRun((h) => ({ path: log, line: `slow ${h.host}`, sleep: 0.5 }), { name: 'slow', when: (h) => h.host !== 'local1' });
    const { report } = await run(play([slow, failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { maxFailPercentage: 0 }));
    expect(lines(log).sort()).toEqual(['slow local2', 'slow local3']);
    expect(report.stopped).toEqual([
      { host: 'local2', play: 'p', reason: 'maxFailPercentage 0 exceeded: 1 of 3 hosts of the batch failed' },
      { host: 'local3', play: 'p', reason: 'maxFailPercentage 0 exceeded: 1 of 3 hosts of the batch failed' },
    ]);
  });
});

describe('anyErrorsFatal', () => {
  it('stops the other hosts before their next task and skips later plays', async () => {
    const log = join(dir, 'log');
    const slow = logRun((h) => ({ path: log, line: `slow ${h.host}`, sleep: 0.5 }), { name: 'slow', when: (h) => h.host !== 'local1' });
    const plays = [play([slow, failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { anyErrorsFatal: true }), play([logRun({ path: log, line: 'play 2' })], { name: 'second' })];
    const { report, events } = await run(plays);
    expect(lines(log).sort()).toEqual(['slow local2', 'slow local3']);
    expect(report.stopped?.map((s) => s.host).sort()).toEqual(['local2', 'local3']);
    expect(report.stopped?.[0]?.reason).toBe('anyErrorsFatal: local1 failed');
    expect(events.some((e) => e.type === 'warning' && e.message.includes('1 later play not run'))).toBe(true);
  });

  it('counts an unreachable host of the batch as fatal', async () => {
    const log = join(dir, 'log');
    const { report } = await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { anyErrorsFatal: true }), { down: ['local2'] });
    expect(lines(log)).toEqual([]);
    expect(report.summary.local2).toMatchObject({ unreachable: 1 });
    expect(report.stopped?.map((s) => s.host).sort()).toEqual(['local1', 'local3']);
  });

  it('without it, a failed host does not stop the others', async () => {
    const log = join(dir, 'log');
    await run(play([failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })]));
    expect(lines(log).sort()).toEqual(['local2', 'local3']);
  });
});

describe('order', () => {
  it.each([
    { order: 'reverse_inventory', want: ['local3', 'local2', 'local1'] },
    { order: 'sorted', want: ['local1', 'local2', 'local3'] },
    { order: 'reverse_sorted', want: ['local3', 'local2', 'local1'] },
  ] as const)('$order orders the batches', async ({ order, want }) => {
    const log = join(dir, 'log');
    await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { serial: 1, order }));
    expect(lines(log)).toEqual(want);
  });

  it('shuffle runs every host once', async () => {
    const log = join(dir, 'log');
    await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'work' })], { serial: 1, order: 'shuffle' }));
    expect(lines(log).sort()).toEqual(['local1', 'local2', 'local3']);
  });
});

describe('throttle', () => {
  const maxCrowd = () => Math.max(...lines(join(dir, 'c', 'counts')).map(Number));

  it('runs a task on at most N hosts at once', async () => {
    await run(play([crowd((h) => ({ dir: join(dir, 'c'), me: h.host }), { throttle: 1 })]), { hosts: HOSTS });
    expect(lines(join(dir, 'c', 'counts'))).toHaveLength(4);
    expect(maxCrowd()).toBe(1);
  });

  it('allows N at once', async () => {
    await run(play([crowd((h) => ({ dir: join(dir, 'c'), me: h.host }), { throttle: 2 })]), { hosts: HOSTS });
    expect(maxCrowd()).toBe(2);
  });

  it('(control) without throttle the hosts overlap', async () => {
    await run(play([crowd((h) => ({ dir: join(dir, 'c'), me: h.host }))]), { hosts: HOSTS });
    expect(maxCrowd()).toBeGreaterThan(2);
  });

  it('refuses a throttle that is not a whole number >= 1 before contacting any host', async () => {
    await expect(run(play([logRun({ path: join(dir, 'x'), line: 'x' }, { throttle: 0 })]))).rejects.toThrow(/throttle 0 is not a whole number >= 1/);
  });
});

describe('runOnce', () => {
  it('runs on the first host of the batch only, with the row reported for it', async () => {
    const log = join(dir, 'log');
    const { report } = await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'migrate', runOnce: true }), textFile((h) => ({ path: join(dir, h.host), content: 'x' }), { name: 'own' })]));
    expect(lines(log)).toEqual(['local1']);
    expect(rows(report).filter((r) => r.includes('migrate'))).toEqual(['local1 migrate changed']);
    expect(rows(report).filter((r) => r.includes('own'))).toHaveLength(3);
  });

  it('runs once per serial batch, on the first host of each', async () => {
    const log = join(dir, 'log');
    await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'migrate', runOnce: true })], { serial: 2 }), { hosts: HOSTS });
    expect(lines(log)).toEqual(['local1', 'local3']);
  });

  it('follows the play order, and passes to the next host when the first has failed before', async () => {
    const log = join(dir, 'log');
    await run(play([logRun((h) => ({ path: log, line: h.host }), { name: 'migrate', runOnce: true })], { order: 'reverse_inventory' }));
    expect(lines(log)).toEqual(['local3']);
    writeFileSync(log, '');
    await run(play([failOn(['local1']), logRun((h) => ({ path: log, line: h.host }), { name: 'migrate', runOnce: true })]));
    expect(lines(log)).toEqual(['local2']);
  });

  it('fails every host of the batch when it fails, as Ansible', async () => {
    const log = join(dir, 'log');
    const { report } = await run(play([failing({ message: 'no' }, { name: 'once', runOnce: true }), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })]));
    expect(rows(report)).toEqual(['local1 once failed']);
    expect(lines(log)).toEqual([]);
    expect(report.stopped).toEqual([
      { host: 'local2', play: 'p', reason: 'runOnce task "once" failed on local1' },
      { host: 'local3', play: 'p', reason: 'runOnce task "once" failed on local1' },
    ]);
  });

  it('does not fail the batch when the failure is ignored', async () => {
    const log = join(dir, 'log');
    await run(play([failing({ message: 'no' }, { name: 'once', runOnce: true, ignoreErrors: true }), logRun((h) => ({ path: log, line: h.host }), { name: 'work' })]));
    expect(lines(log).sort()).toEqual(['local1', 'local2', 'local3']);
  });

  it('costs no round trip on the other hosts in a no-op run', async () => {
    const tasks = [textFile({ path: join(dir, 'shared'), content: 'once\n' }, { runOnce: true }), textFile((h) => ({ path: join(dir, `own-${h.host}`), content: 'x' }))];
    await run(play(tasks));
    const again = await run(play(tasks));
    expect(again.report.tasks.filter((t) => t.status !== 'ok')).toEqual([]);
    for (const h of ['local1', 'local2', 'local3']) expect(again.report.stats[h]?.roundTrips).toBe(1);
    // Only local1 probed the runOnce task's fact.
    expect(again.scripts.filter((s) => s.script.includes(join(dir, 'shared'))).map((s) => s.host)).toEqual(['local1']);
  });

  it("gives the runner's result to every host of the batch for register", async () => {
    const log = join(dir, 'log');
    const tasks = [
      logRun((h) => ({ path: log, line: h.host }), { name: 'migrate', runOnce: true, register: 'migration' }),
      textFile((h) => ({ path: join(dir, `seen-${h.host}`), content: `changed=${String(h.registered('migration')?.changed)}\n` }), { name: 'seen' }),
    ];
    const { report } = await run(play(tasks));
    expect(lines(log)).toEqual(['local1']);
    for (const h of ['local1', 'local2', 'local3']) expect(readFileSync(join(dir, `seen-${h}`), 'utf8')).toBe('changed=true\n');
    expect(rows(report).filter((r) => r.includes('migrate'))).toEqual(['local1 migrate changed']);
  });

  it('is refused on a handler', async () => {
    const handlers = [logRun({ path: join(dir, 'x'), line: 'x' }, { name: 'h', runOnce: true })];
    await expect(run(play([logRun({ path: join(dir, 'y'), line: 'y' }, { notify: 'h' })], { handlers }))).rejects.toThrow(/runOnce is not supported on handlers/);
  });
});

describe('delegateTo', () => {
  const backend = (h: { host: string }) => join(dir, `backend-${h.host}`);
  const delegated = () => textFile((h) => ({ path: backend(h), content: `server ${String(h.vars.inventory_hostname)} disabled\n` }), { name: 'drain', delegateTo: 'local3' });

  it("runs probe and apply on the delegate, with the host's vars, and reports host -> delegate", async () => {
    const { report, scripts } = await run(play([delegated()], { hosts: 'local1:local2' }));
    expect(rows(report).sort()).toEqual(['local1 -> local3 drain changed', 'local2 -> local3 drain changed']);
    expect(readFileSync(backend({ host: 'local1' }), 'utf8')).toBe('server local1 disabled\n');
    expect(readFileSync(backend({ host: 'local2' }), 'utf8')).toBe('server local2 disabled\n');
    // Every script that touched the backend files ran on local3's connection.
    expect(new Set(scripts.filter((s) => s.script.includes('backend-')).map((s) => s.host))).toEqual(new Set(['local3']));
    // local3 is not a host of the play: it was connected on demand, once.
    expect(report.summary.local3).toBeUndefined();
    expect(report.stats.local3?.roundTrips).toBeGreaterThan(0);
  });

  it('predicts in check mode what the run does, and a second run changes nothing', async () => {
    const tasks = [delegated(), textFile((h) => ({ path: join(dir, `own-${h.host}`), content: 'x' }), { name: 'own' })];
    const check = await run(play(tasks, { hosts: 'local1:local2' }), { check: true });
    expect(existsSync(backend({ host: 'local1' }))).toBe(false);
    const real = await run(play(tasks, { hosts: 'local1:local2' }));
    const changed = (r: RunReport) => rows(r).filter((x) => x.endsWith('changed')).sort();
    expect(changed(check.report)).toEqual(changed(real.report));
    expect(changed(real.report)).toHaveLength(4);
    const again = await run(play(tasks, { hosts: 'local1:local2' }));
    expect(changed(again.report)).toEqual([]);
    // The host's own probe stays one round trip; the delegate's probes go to local3.
    expect(again.report.stats.local1?.roundTrips).toBe(1);
  });

  it('in check mode, plans a delegated task with the changes earlier delegated tasks predicted on that delegate', async () => {
    const lb = join(dir, 'lb');
    const tasks = [makeDir({ path: lb }, { name: 'lb dir', delegateTo: 'local3', runOnce: true }), fileInDir((h) => ({ dir: lb, name: h.host }), { name: 'backend', delegateTo: 'local3' })];
    const check = await run(play(tasks, { hosts: 'local1:local2' }), { check: true });
    expect(check.report.tasks.filter((t) => t.status === 'failed')).toEqual([]);
    const real = await run(play(tasks, { hosts: 'local1:local2' }));
    const changed = (r: RunReport) => rows(r).filter((x) => x.endsWith('changed')).sort();
    expect(changed(check.report)).toEqual(changed(real.report));
    expect(changed(real.report)).toEqual(['local1 -> local3 backend changed', 'local1 -> local3 lb dir changed', 'local2 -> local3 backend changed']);
  });

  it("does not make the host's own facts stale", async () => {
    // The same path is written on the delegate, then on the host itself. Had the delegated write
    // made the host's fact stale, the host would re-probe (and, sharing a disk here, see the
    // content already there): it plans from its first probe instead.
    const path = join(dir, 'same');
    const tasks = [textFile({ path, content: 'v\n' }, { name: 'on lb', delegateTo: 'local3' }), textFile({ path, content: 'v\n' }, { name: 'on host' })];
    const { report, scripts } = await run(play(tasks, { hosts: 'local1' }));
    expect(rows(report)).toEqual(['local1 -> local3 on lb changed', 'local1 on host changed']);
    // probe, apply, verify: no re-probe in between.
    expect(scripts.filter((s) => s.host === 'local1')).toHaveLength(3);
  });

  it('fails the task, not the host connection, when the delegate is unreachable', async () => {
    const { report } = await run(play([textFile((h) => ({ path: backend(h), content: 'x' }), { name: 'drain', delegateTo: 'gone' }), textFile((h) => ({ path: join(dir, `own-${h.host}`), content: 'x' }), { name: 'own', ignoreErrors: true })], { hosts: 'local1' }));
    expect(report.tasks[0]).toMatchObject({ host: 'local1', delegatedTo: 'gone', status: 'failed', code: 'CONVERGE_CONNECT' });
    expect(report.tasks[0]?.message).toContain('delegate gone is unreachable');
    expect(report.summary.local1).toMatchObject({ failed: 1, unreachable: 0 });
  });

  it('accepts a function of the host and the implicit localhost; refuses an unknown host before connecting', async () => {
    const { report } = await run(play([textFile((h) => ({ path: backend(h), content: 'x' }), { name: 'drain', delegateTo: (h) => (h.host === 'local1' ? 'localhost' : 'local1') })], { hosts: 'local1:local2' }));
    expect(rows(report).sort()).toEqual(['local1 -> localhost drain changed', 'local2 -> local1 drain changed']);
    let connected = false;
    await expect(
      runPlaybook({
        playbook: definePlaybook(play([textFile({ path: join(dir, 'z'), content: 'z' }, { delegateTo: 'lb9' })])),
        playbookPath: join(dir, 'playbook.ts'),
        inventory: localInventory(['local1']),
        transport: (spec) => {
          connected = true;
          return new LocalTransport(spec.host);
        },
      }),
    ).rejects.toThrow(/delegateTo host "lb9" is not in the inventory/);
    expect(connected).toBe(false);
  });

  it('runs a delegated handler on the delegate', async () => {
    const log = join(dir, 'log');
    const handlers = [logRun((h) => ({ path: log, line: `reload for ${h.host}` }), { name: 'reload lb', delegateTo: 'local3' })];
    const { report } = await run(play([textFile((h) => ({ path: join(dir, `own-${h.host}`), content: 'x' }), { notify: 'reload lb' })], { hosts: 'local1', handlers }));
    expect(lines(log)).toEqual(['reload for local1']);
    expect(rows(report)).toContain('local1 -> local3 handler reload lb changed');
  });
});

describe('startAtTask', () => {
  const named = (log: string, name: string) => logRun({ path: log, line: name }, { name });
  const plays = (log: string) => [play([named(log, 'a'), named(log, 'b'), named(log, 'c')], { hosts: 'local1' }), play([named(log, 'd')], { name: 'second', hosts: 'local1' })];

  it.each([
    { start: 'b', want: ['b', 'c', 'd'] },
    { start: 'd', want: ['d'] },
    { start: 'c*', want: ['c', 'd'] },
    { start: '[ab]', want: ['a', 'b', 'c', 'd'] },
  ])('--start-at-task $start', async ({ start, want }) => {
    const log = join(dir, 'log');
    await run(plays(log), { startAtTask: start });
    expect(lines(log)).toEqual(want);
  });

  it('considers only the tasks the tags select', async () => {
    const log = join(dir, 'log');
    const p = play([logRun({ path: log, line: 'a' }, { name: 'a' }), logRun({ path: log, line: 'b' }, { name: 'b', tags: ['x'] }), logRun({ path: log, line: 'c' }, { name: 'c', tags: ['y'] })], { hosts: 'local1' });
    await expect(run(p, { startAtTask: 'b', tags: ['y'] })).rejects.toThrow(/--start-at-task "b": no task of the playbook has that name/);
    await run(p, { startAtTask: 'c', tags: ['y'] });
    expect(lines(log)).toEqual(['c']);
  });
});
