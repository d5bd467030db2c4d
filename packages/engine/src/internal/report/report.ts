import type { Change } from '@converge/core';

/** Status of one task on one host. */
/**
 * Status of one task on one host. `unknown` (check mode only): the task would change something,
 * but what depends on an earlier change of the run that cannot be known before it runs (the
 * changes shown are its best prediction), as Terraform's "known after apply".
 */
export type TaskStatus = 'ok' | 'changed' | 'unknown' | 'failed' | 'skipped' | 'unreachable';

/** One task's outcome on one host, as reported (secrets already masked). */
export interface TaskReport {
  host: string;
  play: string;
  task: string;
  module: string;
  status: TaskStatus;
  changes: Change[];
  /** Unified diff of file contents and before/after lines of attributes; only with `--diff`. */
  diff?: string;
  /** Why nothing changed, why it was skipped, or what failed. */
  message?: string;
  /** Error code when failed. */
  code?: string;
  /** Module result data (e.g. rc/stdout/stderr of a command). */
  result?: Record<string, unknown>;
  /** Text the task shows the operator (`debug`'s message, `assert`'s success message), printed under its row. */
  output?: string;
  handler?: boolean;
  /** A failure that `ignoreErrors` let pass. */
  ignored?: boolean;
  /** A failure inside a block whose rescue tasks then succeeded: counted as rescued, not failed. */
  rescued?: boolean;
  /** The loop item's label, for a row of one item of a loop (the task name ends in `(item=LABEL)`). */
  item?: string;
  /** How many times the task ran, for a task with `until` or `retries`. */
  attempts?: number;
  /** The host the task ran on when it was delegated (`delegateTo`); `host` is the host it ran for. */
  delegatedTo?: string;
  /**
   * Where the task is written (`file:line:column` of the module call in the playbook or role):
   * the same task on every host, whatever name its params give it on each.
   */
  site?: string;
  durationMs: number;
}

/**
 * A host that stopped before the end of a play although no task of its own failed: the batch
 * stopped (`anyErrorsFatal`, `maxFailPercentage`) or a `runOnce` task failed on another host.
 * It counts as failed (exit code, retry file) and runs no later play.
 */
export interface StoppedHost {
  host: string;
  play: string;
  reason: string;
}

/** Per-host counts, as Ansible's recap. */
export interface HostSummary {
  ok: number;
  changed: number;
  /** Check mode: tasks whose change is known after apply (status `unknown`), counted apart from `changed` (and in `ok`, as `changed`). */
  unknown: number;
  failed: number;
  skipped: number;
  unreachable: number;
  ignored: number;
  /** Failures that a block's rescue handled. */
  rescued: number;
}

/** Per-host costs. */
export interface HostStats {
  /** Remote command round trips after connecting. */
  roundTrips: number;
  /** The host's own time: connecting, then running its tasks of each play (not waiting for other hosts). */
  durationMs: number;
}

/** Why a host could not be reached (secrets masked). */
export interface UnreachableReason {
  /** The error, with its detail (e.g. a ProxyCommand's stderr). */
  message: string;
  /** Its stable code: `CONVERGE_CONNECT`, `CONVERGE_HOST_KEY`, `CONVERGE_AUTH`, `CONVERGE_TRANSPORT`, ... */
  code?: string;
  /** What to do about it. */
  hint?: string;
}

/** What a run did: the document `--output json` prints. */
export interface RunReport {
  summary: Record<string, HostSummary>;
  tasks: TaskReport[];
  stats: Record<string, HostStats>;
  check: boolean;
  /** Hosts stopped by another host's failure; absent when none was. */
  stopped?: StoppedHost[];
  /** Why each unreachable host was unreachable; absent when every host was reached. */
  unreachable?: Record<string, UnreachableReason>;
  /** The part of a split run this report covers (`--shard I/N`); absent for a whole run. */
  shard?: { index: number; count: number };
}

/** Events the engine emits while it runs, in order, for live output and logs. */
export type RunEvent =
  | { type: 'run-start'; check: boolean; diff: boolean; hosts: string[] }
  | { type: 'play-start'; play: string; hosts: string[] }
  | { type: 'task-start'; play: string; host: string; task: string; module: string; handler: boolean }
  | { type: 'task-result'; report: TaskReport }
  /** A task with `until`/`retries` did not reach its condition and runs again. */
  | { type: 'task-retry'; play: string; host: string; task: string; attempt: number; retriesLeft: number; message?: string }
  | ({ type: 'host-unreachable'; host: string } & UnreachableReason)
  | { type: 'warning'; host?: string; message: string }
  | { type: 'play-end'; play: string }
  | { type: 'run-end'; report: RunReport };

/** An empty summary row. */
export function emptySummary(): HostSummary {
  return { ok: 0, changed: 0, unknown: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0, rescued: 0 };
}
