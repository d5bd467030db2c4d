import { join } from 'node:path';
import { definePlaybook, type Play, type Task, type TaskListItem } from '@converge/core';
import { loadInventory } from '@converge/inventory';
import { runPlaybook, type RunEvent, type RunReport } from '@converge/engine';
import { SshTransport } from '@converge/ssh';
import type { TestHosts } from './hosts.js';

/** Options of {@link runTasks} and {@link convergeTwice}. */
export interface RunTasksOptions {
  check?: boolean;
  diff?: boolean;
  handlers?: Task[];
  vars?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  forceHandlers?: boolean;
  /** Host pattern of the play; default `all`. */
  hosts?: string;
  /**
   * The playbook file the plays stand for: relative `src` paths of copy and template resolve
   * against its folder (`files/`, `templates/`, the folder itself). Default `<hosts.dir>/playbook.ts`.
   */
  playbookPath?: string;
  /** Run state directory; default `<hosts.dir>/state`. */
  stateDir?: string;
  extraVars?: Record<string, unknown>;
  onEvent?: (e: RunEvent) => void;
}

/**
 * Runs tasks as one play on test hosts over real SSH, and returns the run report.
 *
 * @example const report = await runTasks(hosts, [file({ path: '/srv/app', state: 'directory' })])
 */
export async function runTasks(hosts: TestHosts, tasks: TaskListItem[], options: RunTasksOptions = {}): Promise<RunReport> {
  const play: Play = {
    name: 'test',
    hosts: options.hosts ?? 'all',
    tasks,
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.vars ? { vars: options.vars } : {}),
    ...(options.become !== undefined ? { become: options.become } : {}),
    ...(options.becomeUser ? { becomeUser: options.becomeUser } : {}),
  };
  return runPlays(hosts, [play], options);
}

/** Runs whole plays on test hosts over real SSH. */
export async function runPlays(hosts: TestHosts, plays: Play[], options: RunTasksOptions = {}): Promise<RunReport> {
  const inventory = await loadInventory(hosts.inventoryPath);
  return runPlaybook({
    playbook: definePlaybook(plays),
    playbookPath: options.playbookPath ?? join(hosts.dir, 'playbook.ts'),
    inventory,
    transport: (spec) => new SshTransport(spec, { knownHostsFile: hosts.knownHostsPath }),
    check: options.check ?? false,
    diff: options.diff ?? false,
    forks: Math.max(5, hosts.hosts.length),
    forceHandlers: options.forceHandlers ?? false,
    stateDir: options.stateDir ?? join(hosts.dir, 'state'),
    ...(options.extraVars ? { extraVars: options.extraVars } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}

/** `host<TAB>task` of every task a report shows as changed, sorted: what a check predicts or a run did. */
export function changedTasks(report: RunReport): string[] {
  return tasksWith(report, 'changed');
}

/** `host<TAB>task` of every task a check reports as `unknown` (its change is known after apply), sorted. */
export function unknownTasks(report: RunReport): string[] {
  return tasksWith(report, 'unknown');
}

function tasksWith(report: RunReport, status: 'changed' | 'unknown'): string[] {
  return report.tasks
    .filter((t) => t.status === status)
    .map((t) => `${t.host}\t${t.handler ? 'handler ' : ''}${t.task}`)
    .sort();
}

/** Every failed (not ignored, not rescued by a block) or unreachable row of a report, as readable lines. */
export function failures(report: RunReport): string[] {
  const rows = report.tasks.filter((t) => t.status === 'failed' && !t.ignored && !t.rescued).map((t) => `${t.host} "${t.task}" (${t.module}): ${t.message ?? 'failed'}`);
  for (const [host, s] of Object.entries(report.summary)) if (s.unreachable) rows.push(`${host}: unreachable`);
  return rows;
}

/** What {@link convergeTwice} ran. */
export interface ConvergeTwiceResult {
  check: RunReport;
  first: RunReport;
  second: RunReport;
  /** `--check` after the second run: must predict nothing. */
  recheck: RunReport;
}

/**
 * The integration-test contract of converge, in one call: `--check --diff` on the hosts as they
 * are, then a real run, then a second real run and a last check. Throws unless nothing failed,
 * the check predicted exactly the tasks the first run changed, but for those it reported as
 * `unknown` (known after apply), and changed nothing itself, and
 * the second run and the last check report zero changes.
 *
 * @throws Error with the differing task lists.
 */
export async function convergeTwice(hosts: TestHosts, tasks: TaskListItem[], options: RunTasksOptions = {}): Promise<ConvergeTwiceResult> {
  return convergeTwiceWith((o) => runTasks(hosts, tasks, { ...options, ...o }));
}

/**
 * {@link convergeTwice} for whole plays (roles, several host patterns): check, run, run again,
 * check again, with the same assertions.
 *
 * @throws Error with the differing task lists.
 */
export async function convergePlaysTwice(hosts: TestHosts, plays: Play[], options: RunTasksOptions = {}): Promise<ConvergeTwiceResult> {
  return convergeTwiceWith((o) => runPlays(hosts, plays, { ...options, ...o }));
}

async function convergeTwiceWith(run: (o: { check: boolean; diff?: boolean }) => Promise<RunReport>): Promise<ConvergeTwiceResult> {
  const check = await run({ check: true, diff: true });
  assertNoFailures('check run', check);
  const first = await run({ check: false, diff: true });
  assertNoFailures('first run', first);
  // Certain predictions must be exactly what the run does; a task the check reports as known
  // after apply may go either way.
  const unknown = new Set(unknownTasks(check));
  const predicted = changedTasks(check);
  const done = changedTasks(first).filter((t) => !unknown.has(t));
  if (JSON.stringify(predicted) !== JSON.stringify(done)) {
    throw new Error(`--check predicted other changes than the run made:\n  predicted: ${JSON.stringify(predicted)}\n  made:      ${JSON.stringify(done)}${unknown.size > 0 ? `\n  known after apply: ${JSON.stringify([...unknown])}` : ''}`);
  }
  const second = await run({ check: false });
  assertNoFailures('second run', second);
  const again = changedTasks(second);
  if (again.length > 0) throw new Error(`the second run changed something (not idempotent): ${JSON.stringify(again)}`);
  const recheck = await run({ check: true });
  assertNoFailures('last check', recheck);
  const left = [...changedTasks(recheck), ...unknownTasks(recheck)];
  if (left.length > 0) throw new Error(`--check after converging still predicts changes: ${JSON.stringify(left)}`);
  return { check, first, second, recheck };
}

function assertNoFailures(what: string, report: RunReport): void {
  const f = failures(report);
  if (f.length > 0) throw new Error(`${what} failed:\n  ${f.join('\n  ')}`);
}
