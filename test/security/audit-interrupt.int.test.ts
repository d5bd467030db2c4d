import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The audit log survives a converge process stopped mid-run: the real CLI binary converges a
// container, two tasks change, a slow task starts in the same script, and the process is then killed
// with SIGKILL (no chance to write anything more), or stopped with SIGINT / SIGTERM (it records
// the run as interrupted). Every line of the audit log must stay a whole JSON record,
// `converge audit` must list the runs as incomplete / interrupted, and later runs append normally.

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/bin/converge.js');
const playbook = fileURLToPath(new URL('./fixtures/interrupt.playbook.ts', import.meta.url));
const run = promisify(execFile);

let hosts: TestHosts;
let work: string;
let audit: string;
let events: string;
let syslog: Server;
let syslogPort: number;
/** Messages received by the TCP syslog listener (RFC 6587 octet counting), the RFC 5424 MSG part only. */
const syslogMessages: string[] = [];

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: root });
  hosts = await startHosts(1, { prefix: 'aud-int' });
  work = await mkdtemp(join(tmpdir(), 'converge-audit-int-'));
  audit = join(work, 'audit.jsonl');
  events = join(work, 'events.jsonl');
  syslog = createServer((conn) => {
    let buf = '';
    conn.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let m = /^(\d+) /.exec(buf); m && buf.length >= m[0].length + Number(m[1]); m = /^(\d+) /.exec(buf)) {
        const frame = buf.slice(m[0].length, m[0].length + Number(m[1]));
        buf = buf.slice(m[0].length + Number(m[1]));
        syslogMessages.push(frame.replace(/^<\d+>1 \S+ \S+ converge \d+ - (?:\[[^\]]*\])+ /, ''));
      }
    });
  });
  await new Promise<void>((resolve) => syslog.listen(0, '127.0.0.1', resolve));
  syslogPort = (syslog.address() as { port: number }).port;
  const r = await hosts.exec(hosts.hosts[0]!.name, 'mkdir -p /srv/audit');
  expect(r.exitCode, r.stderr).toBe(0);
});
afterAll(async () => {
  syslog?.close();
  await hosts?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Started {
  child: ReturnType<typeof spawn>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => { stdout: string; stderr: string };
}

function converge(args: string[]): Started {
  const argv = [bin, '-i', hosts.inventoryPath, '--known-hosts', hosts.knownHostsPath, '--state-dir', join(work, 'state'), '--audit-log', audit, '--log', events, playbook, ...args];
  const child = spawn(process.execPath, argv, { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Waits until the event log shows, after what it held when called, that `task` started. */
async function waitForTaskStart(started: Started, task: string): Promise<void> {
  const from = existsSync(events) ? readFileSync(events, 'utf8').length : 0;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const text = existsSync(events) ? readFileSync(events, 'utf8').slice(from) : '';
    if (text.split('\n').some((l) => l.includes('"type":"task-start"') && l.includes(`"task":${JSON.stringify(task)}`))) return;
    if (started.child.exitCode !== null) throw new Error(`converge exited before "${task}" started:\n${JSON.stringify(started.output())}`);
    if (Date.now() > deadline) throw new Error(`"${task}" did not start within 90 s:\n${JSON.stringify(started.output())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every line of the audit log, each parsed as JSON (a line that does not parse fails the test). */
function auditRecords(): Record<string, any>[] {
  const text = readFileSync(audit, 'utf8');
  expect(text.endsWith('\n'), 'the audit log ends with a whole line').toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`line ${i + 1} of the audit log is not JSON: ${line}`);
      }
    });
}

async function auditCommand(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [bin, 'audit', '--audit-log', audit, ...args], { cwd: work });
}

async function jsonRuns(): Promise<Record<string, any>[]> {
  const { stdout } = await auditCommand('--json');
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** Starts a slow run of `round`, waits for the slow task, then sends `signal`. */
async function stopMidRun(round: number, signal: NodeJS.Signals, extra: string[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; run: string }> {
  const started = converge(['-e', `round=${round}`, '-e', 'slow=yes', ...extra]);
  try {
    await waitForTaskStart(started, 'slow task');
  } catch (e) {
    started.child.kill('SIGKILL');
    throw e;
  }
  started.child.kill(signal);
  const exit = await started.exited;
  const recs = auditRecords();
  const startRec = recs.filter((r) => r.type === 'run-start').at(-1)!;
  expect(startRec.pid).toBe(started.child.pid);
  return { ...exit, stderr: started.output().stderr, run: startRec.run as string };
}

describe('audit log when converge is stopped mid-run', () => {
  it('SIGKILL: every record so far is whole, the changed tasks are there, the run is listed as incomplete', async () => {
    const stopped = await stopMidRun(1, 'SIGKILL');
    expect(stopped.signal).toBe('SIGKILL');
    const recs = auditRecords().filter((r) => r.run === stopped.run);
    // The two files were applied in the same script as the slow task: recorded as their steps completed.
    expect(recs.map((r) => r.type)).toEqual(['run-start', 'run-plan', 'task', 'task']);
    expect(recs[0]).toMatchObject({ check: false });
    expect(recs[1]).toMatchObject({ hosts: [hosts.hosts[0]!.name] });
    expect(recs.slice(2).map((r) => [r.task, r.status])).toEqual([
      ['first file', 'changed'],
      ['second file', 'changed'],
    ]);
    const listed = (await jsonRuns()).find((r) => r.run === stopped.run);
    expect(listed).toMatchObject({ result: 'incomplete', tasks: [{ task: 'first file' }, { task: 'second file' }] });
    expect(listed?.end).toBeUndefined();
    const text = await auditCommand('-v');
    expect(text.stdout).toMatch(new RegExp(`incomplete +${stopped.run.slice(0, 8)}`));
    expect(text.stdout).toContain('no end record: converge was killed (SIGKILL)');
    expect(text.stderr).toBe('');
    // the tasks really ran on the host before the kill
    expect((await hosts.exec(hosts.hosts[0]!.name, 'cat /srv/audit/second.txt')).stdout).toBe('round 1\n');
  });

  it('SIGKILL 2 s after start: the run is on record before any host is contacted', async () => {
    const started = converge(['-e', 'round=9', '-e', 'slow=yes']);
    await new Promise((r) => setTimeout(r, 2000));
    started.child.kill('SIGKILL');
    await started.exited;
    const start = auditRecords().find((r) => r.type === 'run-start' && r.pid === started.child.pid);
    expect(start, 'a run-start record of the killed process').toBeDefined();
    const listed = (await jsonRuns()).find((r) => r.run === start?.run);
    expect(listed).toMatchObject({ result: 'incomplete' });
  });

  for (const [round, signal] of [
    [2, 'SIGINT'],
    [3, 'SIGTERM'],
  ] as const) {
    it(`${signal}: converge writes run-end "interrupted" with the signal and the running task, and exits 99; syslog gets it too`, async () => {
      const stopped = await stopMidRun(round, signal, ['--audit-syslog', `tcp://127.0.0.1:${syslogPort}`]);
      expect(stopped.code).toBe(99);
      expect(stopped.stderr).toContain(`converge: interrupted by ${signal}`);
      const recs = auditRecords().filter((r) => r.run === stopped.run);
      expect(recs.map((r) => r.type)).toEqual(['run-start', 'run-plan', 'task', 'task', 'run-end']);
      expect(recs[4]).toMatchObject({ result: 'interrupted', signal, inFlight: [{ host: hosts.hosts[0]!.name, task: 'slow task', module: 'shell' }] });
      const listed = (await jsonRuns()).find((r) => r.run === stopped.run);
      expect(listed).toMatchObject({ result: 'interrupted', end: { signal } });
      const text = await auditCommand('-v', '--failed');
      expect(text.stdout).toMatch(new RegExp(`interrupted \\(${signal}\\) +${stopped.run.slice(0, 8)}`));
      expect(text.stdout).toContain('slow task (shell) when interrupted: outcome unknown');
      // the same records reached the syslog server (logger outlives converge to send the last one)
      const fileLines = readFileSync(audit, 'utf8').trim().split('\n').filter((l) => l.includes(stopped.run));
      const deadline = Date.now() + 10_000;
      while (syslogMessages.filter((m) => m.includes(stopped.run)).length < fileLines.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(syslogMessages.filter((m) => m.includes(stopped.run))).toEqual(fileLines);
      // the event log (--log) is whole too
      for (const line of readFileSync(events, 'utf8').trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    });
  }

  it('later runs append normally: check predicts the changes, the run makes them, a second run changes nothing', async () => {
    const before = auditRecords().length;
    const outcomes: { code: number | null; run: string }[] = [];
    for (const args of [['--check'], [], []]) {
      const started = converge(['-e', 'round=4', ...args]);
      const { code } = await started.exited;
      expect(code, JSON.stringify(started.output())).toBe(0);
      const startRec = auditRecords().filter((r) => r.type === 'run-start').at(-1)!;
      outcomes.push({ code, run: startRec.run as string });
    }
    const recs = auditRecords();
    expect(recs.length).toBeGreaterThan(before);
    const runs = await jsonRuns();
    const byId = (id: string) => runs.find((r) => r.run === id)!;
    const [check, apply, again] = outcomes.map((o) => byId(o.run));
    expect(check).toMatchObject({ result: 'ok', start: { check: true } });
    expect(apply).toMatchObject({ result: 'ok', start: { check: false } });
    expect(check!.tasks.map((t: { task: string }) => t.task)).toEqual(['first file', 'second file']);
    expect(apply!.tasks.map((t: { task: string }) => t.task)).toEqual(check!.tasks.map((t: { task: string }) => t.task));
    expect(again).toMatchObject({ result: 'ok', tasks: [] });
    expect(runs.map((r) => r.result)).toEqual(['incomplete', 'incomplete', 'interrupted', 'interrupted', 'ok', 'ok', 'ok']);
    expect((await hosts.exec(hosts.hosts[0]!.name, 'cat /srv/audit/first.txt')).stdout).toBe('round 4\n');
  });
});
