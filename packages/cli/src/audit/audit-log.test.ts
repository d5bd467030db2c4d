import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConvergeError } from '@converge/core';
import type { RunEvent, RunReport, TaskReport } from '@converge/engine';
import { secret } from '@converge/core';
import { AuditLog } from './audit-log.js';
import { readAuditRuns } from './audit-query.js';
import { openEventLog } from './event-log.js';
import { gitInfo, hashPath } from './operator.js';

function project(): { dir: string; playbook: string; inventory: string } {
  const dir = mkdtempSync(join(tmpdir(), 'converge-audit-'));
  const playbook = join(dir, 'site.ts');
  const inventory = join(dir, 'hosts.ini');
  writeFileSync(playbook, 'export default {}\n');
  writeFileSync(inventory, '[web]\nweb1\nweb2\n');
  return { dir, playbook, inventory };
}

const task = (over: Partial<TaskReport>): TaskReport => ({ host: 'web1', play: 'p', task: 't', module: 'copy', status: 'ok', changes: [], durationMs: 1, ...over });
const report = (summary: RunReport['summary']): RunReport => ({ summary, tasks: [], stats: {}, check: false });
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('audit log', () => {
  it('records start (operator, hashed paths, limit) on opening, the plan (hosts), changed and failed tasks only, and the end', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, '.converge', 'audit.jsonl');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], limit: 'web1', check: false, diff: true });
    // The start is on disk before the inventory or the playbook is read, let alone a host contacted.
    expect(lines(path).map((r) => r.type)).toEqual(['run-start']);
    log.setExtraVarNames(['release']);
    const events: RunEvent[] = [
      { type: 'run-start', check: false, diff: true, hosts: ['web1'] },
      { type: 'task-result', report: task({ status: 'ok', task: 'unchanged' }) },
      { type: 'task-result', report: task({ status: 'changed', task: 'write conf', changes: [{ path: 'content', before: 'sha256:a', after: 'sha256:b' }] }) },
      { type: 'task-result', report: task({ status: 'failed', task: 'restart', message: 'exit 1', code: 'CONVERGE_APPLY' }) },
    ];
    for (const e of events) log.onEvent(e);
    log.end({ report: report({ web1: { ok: 2, changed: 1, failed: 1, skipped: 0, unreachable: 0, ignored: 0 } }), result: 'failed' });
    const recs = lines(path);
    expect(recs.map((r) => r.type)).toEqual(['run-start', 'run-plan', 'task', 'task', 'run-end']);
    expect(new Set(recs.map((r) => r.run)).size).toBe(1);
    const start = recs[0] as Record<string, any>;
    expect(start).toMatchObject({ hosts: [], limit: 'web1', check: false, diff: true });
    expect(recs[1]).toMatchObject({ hosts: ['web1'], extraVarNames: ['release'] });
    expect(readAuditRuns(path).runs[0]?.start).toMatchObject({ hosts: ['web1'], extraVarNames: ['release'], limit: 'web1' });
    recs.splice(1, 1);
    expect(start.operator.user).toEqual(expect.any(String));
    expect(start.playbook).toEqual(hashPath(playbook));
    expect(start.playbook.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(start.inventory[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(recs[1]).toMatchObject({ task: 'write conf', status: 'changed', changes: [{ path: 'content' }] });
    expect(recs[2]).toMatchObject({ task: 'restart', status: 'failed', message: 'exit 1' });
    expect(recs[3]).toMatchObject({ result: 'failed', summary: { web1: { changed: 1 } } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('is append-only: a second run adds records after the first', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    for (let i = 0; i < 2; i++) {
      const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: true, diff: false });
      log.onEvent({ type: 'run-start', check: true, diff: false, hosts: ['web1'] });
      log.end({ report: report({}), result: 'ok' });
    }
    const { runs } = readAuditRuns(path);
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.result === 'ok' && r.start?.check === true)).toBe(true);
  });

  it('writes records as they happen: a run killed mid-way leaves its start and tasks, read back as incomplete', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: ['web1', 'web2'] });
    log.onEvent({ type: 'task-result', report: task({ status: 'changed', host: 'web2' }) });
    // no end(): the process "crashed"; the file already holds both records.
    appendFileSync(path, '{"type":"task","run":"torn'); // a torn last line
    const { runs, skippedLines } = readAuditRuns(path);
    expect(skippedLines).toBe(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ result: 'incomplete', tasks: [{ host: 'web2' }] });
  });

  it('a new run after a torn last line starts on a line of its own', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    writeFileSync(path, '{"type":"run-start","run":"a"}\n{"type":"task","run":"a","ti');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: ['web1'] });
    log.end({ report: report({}), result: 'ok' });
    const { runs, skippedLineNumbers } = readAuditRuns(path);
    expect(skippedLineNumbers).toEqual([2]);
    expect(runs.map((r) => r.result)).toEqual(['incomplete', 'ok']);
    expect(readFileSync(path, 'utf8').startsWith('{"type":"run-start","run":"a"}\n{"type":"task","run":"a","ti\n{')).toBe(true);
  });

  it('an interrupted run ends with result interrupted, the signal and the tasks still running', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: ['web1', 'web2'] });
    log.onEvent({ type: 'task-start', play: 'p', host: 'web1', task: 'done', module: 'copy', handler: false });
    log.onEvent({ type: 'task-result', report: task({ status: 'changed', task: 'done' }) });
    log.onEvent({ type: 'task-start', play: 'p', host: 'web1', task: 'slow', module: 'command', handler: false });
    log.onEvent({ type: 'task-start', play: 'p', host: 'web2', task: 'slow', module: 'command', handler: false });
    log.onEvent({ type: 'host-unreachable', host: 'web2', message: 'connection lost' });
    log.interrupted('SIGTERM');
    log.end({ report: report({}), result: 'ok' });
    const run = readAuditRuns(path).runs[0];
    expect(run).toMatchObject({ result: 'interrupted', end: { signal: 'SIGTERM', inFlight: [{ host: 'web1', task: 'slow', module: 'command' }] }, tasks: [{ task: 'done' }] });
    expect(lines(path).filter((r) => r.type === 'run-end')).toHaveLength(1);
  });

  it('a run stopped before contacting hosts ends with result error and the masked message', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    const pw = secret('audit-secret-value-1');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.end({ error: new ConvergeError('CONVERGE_PARAMS', `bad line "x=${pw.reveal()}"`) });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('audit-secret-value-1');
    expect(readAuditRuns(path).runs[0]).toMatchObject({ result: 'error', start: { hosts: [] } });
    expect(readAuditRuns(path).runs[0]?.end?.error).toMatch(/^\[CONVERGE_PARAMS\] bad line "x=\*{8}"/);
  });

  it('masks secrets in changes, by path and by value', () => {
    const { dir, playbook, inventory } = project();
    const path = join(dir, 'audit.jsonl');
    const pw = secret('audit-secret-value-2');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: ['web1'] });
    log.onEvent({ type: 'task-result', report: task({ status: 'changed', changes: [{ path: 'password', before: null, after: pw }, { path: 'line', before: null, after: `pw=${pw.reveal()};` }] }) });
    log.end({ report: report({}), result: 'ok' });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('audit-secret-value-2');
    expect(text).toContain('"after":"pw=********;"');
  });

  it('filters runs by date, host and failure', () => {
    const { dir } = project();
    const path = join(dir, 'audit.jsonl');
    const rec = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;
    const start = (run: string, time: string, hosts: string[]) => rec({ type: 'run-start', run, time, hosts, operator: { user: 'u', uid: 1, host: 'c' }, playbook: { path: '/p' }, inventory: [], check: false, diff: false, pid: 1 });
    writeFileSync(
      path,
      start('a', '2026-01-01T00:00:00Z', ['web1']) +
        rec({ type: 'run-end', run: 'a', time: '2026-01-01T00:01:00Z', result: 'ok', durationMs: 1 }) +
        start('b', '2026-03-01T00:00:00Z', ['db1']) +
        rec({ type: 'run-end', run: 'b', time: '2026-03-01T00:01:00Z', result: 'failed', durationMs: 1 }),
    );
    expect(readAuditRuns(path, { since: new Date('2026-02-01') }).runs.map((r) => r.run)).toEqual(['b']);
    expect(readAuditRuns(path, { host: 'web1' }).runs.map((r) => r.run)).toEqual(['a']);
    expect(readAuditRuns(path, { failed: true }).runs.map((r) => r.run)).toEqual(['b']);
    expect(readAuditRuns(join(dir, 'missing.jsonl')).runs).toEqual([]);
  });

  it('records the git commit and author of the playbook repository', () => {
    const { dir, playbook, inventory } = project();
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.test', 'commit', '-q', '--allow-empty', '-m', 'init');
    const path = join(dir, 'audit.jsonl');
    const log = AuditLog.open(path, { playbookPath: playbook, inventoryPaths: [inventory], check: false, diff: false });
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: [] });
    log.end({ report: report({}), result: 'ok' });
    const start = readAuditRuns(path).runs[0]?.start;
    expect(start?.operator.git).toMatchObject({ commit: git('rev-parse', 'HEAD'), author: 'Ada <ada@example.test>', dirty: false });
  });

  it('reads the configured git user and a dirty work tree, and nothing outside a repository', () => {
    const { dir, playbook } = project();
    expect(gitInfo(dir)).toBeUndefined();
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    const fresh = gitInfo(dir);
    expect(fresh).toMatchObject({ dirty: false });
    expect(fresh?.commit).toBeUndefined();
    git('config', 'user.name', 'Bea');
    git('config', '--add', 'user.name', 'Bea Last');
    git('config', 'user.email', 'bea@example.test');
    git('add', playbook);
    git('commit', '-q', '-m', 'init');
    writeFileSync(playbook, 'export default { changed: true }\n');
    mkdirSync(join(dir, 'sub'));
    expect(gitInfo(join(dir, 'sub'))).toEqual({ commit: git('rev-parse', 'HEAD'), author: 'Bea Last <bea@example.test>', user: 'Bea Last <bea@example.test>', dirty: true });
  });

  it('keeps the commit and author when git cannot read the index (dirty is then unknown)', () => {
    const { dir, playbook } = project();
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', playbook);
    git('-c', 'user.name=Cy', '-c', 'user.email=cy@example.test', 'commit', '-q', '-m', 'init');
    writeFileSync(join(dir, '.git/index'), 'not an index\n');
    const info = gitInfo(dir);
    expect(info).toMatchObject({ commit: git('rev-parse', 'HEAD'), author: 'Cy <cy@example.test>' });
    expect(info).not.toHaveProperty('dirty');
  });

  it('hashes an inventory directory over its files', () => {
    const { dir } = project();
    mkdirSync(join(dir, 'inv', 'group_vars'), { recursive: true });
    writeFileSync(join(dir, 'inv', 'hosts'), 'a\n');
    writeFileSync(join(dir, 'inv', 'group_vars', 'all.yml'), 'x: 1\n');
    const before = hashPath(join(dir, 'inv')).sha256;
    writeFileSync(join(dir, 'inv', 'group_vars', 'all.yml'), 'x: 2\n');
    expect(hashPath(join(dir, 'inv')).sha256).not.toBe(before);
    expect(hashPath(join(dir, 'nope')).sha256).toBeUndefined();
  });
});

describe('event log', () => {
  it('appends every event as a masked JSON line with a time', () => {
    const { dir } = project();
    const path = join(dir, 'events.jsonl');
    const pw = secret('event-secret-value-3');
    const log = openEventLog(path);
    log.onEvent({ type: 'run-start', check: false, diff: false, hosts: ['web1'] });
    log.onEvent({ type: 'warning', message: `token ${pw.reveal()} expired` });
    log.close();
    log.onEvent({ type: 'play-end', play: 'after close' });
    const recs = lines(path);
    expect(recs.map((r) => r.type)).toEqual(['run-start', 'warning']);
    expect(recs[1]?.message).toBe('token ******** expired');
    expect(recs[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('an unwritable path is a CONVERGE_STATE error', () => {
    const { playbook } = project();
    expect(() => openEventLog(join(playbook, 'sub', 'events.jsonl'))).toThrow(expect.objectContaining({ code: 'CONVERGE_STATE', message: expect.stringMatching(/cannot open the log file/) }));
  });
});
