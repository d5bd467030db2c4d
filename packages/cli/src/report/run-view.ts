import type { HostSummary, RunReport, TaskStatus } from '@converge/engine';
import type { AuditRecord, AuditResult } from '../audit/audit-log.js';
import type { AuditRun } from '../audit/audit-query.js';
import type { RunDocument } from '../output/json.js';

/** A run's audit facts: its `run-start` record. */
export type RunFacts = Omit<Extract<AuditRecord, { type: 'run-start' }>, 'type'>;

/** One task on one host, as the report page shows it. */
export interface ReportCell {
  /** The task's name on this host (a name made from params differs between hosts). */
  name: string;
  status: TaskStatus;
  /** Milliseconds, when the source has them (a run's JSON output does, the audit log does not). */
  durationMs?: number;
  changes: { path: string; before: unknown; after: unknown }[];
  diff?: string;
  message?: string;
  ignored?: boolean;
  rescued?: boolean;
}

/**
 * A row of the host × task grid: one task of a play (a handler, a loop item), in run order. The
 * same task on every host is the same row: rows are matched by where the task is written (its
 * site) and its place among the host's rows from that site, else by name.
 */
export interface ReportTask {
  key: string;
  play: string;
  /** The name to show: the task's name when it is the same on every host, else its module and site. */
  task: string;
  module: string;
  handler: boolean;
  site?: string;
  names: Set<string>;
}

/**
 * One run as the HTML report shows it, from either source. From the audit log only changed and
 * failed tasks are known (the log records those): `partial` says so, and the other cells are
 * shown as not recorded rather than ok.
 */
export interface RunView {
  /** The run's id (audit log), or the source file's name. */
  id: string;
  source: 'json' | 'audit-log';
  partial: boolean;
  facts?: RunFacts;
  result?: AuditResult | 'incomplete';
  check?: boolean;
  durationMs?: number;
  startedAt?: string;
  hosts: string[];
  tasks: ReportTask[];
  /** By task key, then host. */
  cells: Map<string, Map<string, ReportCell>>;
  summary: Record<string, HostSummary>;
  /** Per host: its own time and round trips (JSON source). */
  hostStats: Record<string, { durationMs?: number; roundTrips?: number }>;
  unreachable: Record<string, string>;
  /** A run that stopped before contacting hosts: its (masked) error. */
  error?: string;
}

interface RowSource {
  play: string;
  task: string;
  module: string;
  handler: boolean;
  site?: string;
}

/** Adds rows in the order a source lists them; `seen` counts, per host, the rows of each task so far. */
function addCell(view: RunView, seen: Map<string, number>, row: RowSource, host: string, cell: ReportCell): void {
  const identity = JSON.stringify([row.play, row.handler, row.module, row.site ?? row.task]);
  const nth = seen.get(`${host}\0${identity}`) ?? 0;
  seen.set(`${host}\0${identity}`, nth + 1);
  const key = `${identity}#${nth}`;
  let task = view.tasks.find((t) => t.key === key);
  if (!task) {
    task = { key, play: row.play, task: row.task, module: row.module, handler: row.handler, ...(row.site ? { site: row.site } : {}), names: new Set() };
    view.tasks.push(task);
    view.cells.set(key, new Map());
  }
  task.names.add(row.task);
  if (task.names.size > 1 && task.site) task.task = `${row.module} at ${task.site.replace(/^.*\//, '')}`;
  view.cells.get(key)?.set(host, cell);
  if (!view.hosts.includes(host)) view.hosts.push(host);
}

/**
 * The view of a run from its `--output json` document (every task row, its diff and time, the
 * per-host stats, and the audit facts when the run kept an audit log).
 *
 * @param id - names the run on the page (the file name).
 */
export function viewFromJson(doc: RunDocument, id: string): RunView {
  const view: RunView = {
    id: doc.audit?.run ?? id,
    source: 'json',
    partial: false,
    ...(doc.audit ? { facts: doc.audit, startedAt: doc.audit.time } : {}),
    check: doc.check,
    hosts: [],
    tasks: [],
    cells: new Map(),
    summary: doc.summary,
    hostStats: doc.stats ?? {},
    unreachable: Object.fromEntries(Object.entries(doc.unreachable ?? {}).map(([h, r]) => [h, r.message])),
  };
  for (const h of Object.keys(doc.summary)) if (!view.hosts.includes(h)) view.hosts.push(h);
  const seen = new Map<string, number>();
  for (const t of doc.tasks as RunReport['tasks']) {
    addCell(view, seen, { play: t.play, task: t.task, module: t.module, handler: t.handler === true, ...(t.site ? { site: t.site } : {}) }, t.host, {
      name: t.task,
      status: t.status,
      durationMs: t.durationMs,
      changes: t.changes,
      ...(t.diff ? { diff: t.diff } : {}),
      ...(t.message ? { message: t.message } : {}),
      ...(t.ignored ? { ignored: true } : {}),
      ...(t.rescued ? { rescued: true } : {}),
    });
  }
  const durations = Object.values(view.hostStats).map((s) => s.durationMs ?? 0);
  if (durations.length > 0) view.durationMs = Math.max(...durations);
  view.result = resultOf(view);
  return view;
}

/**
 * The view of a run from the audit log: its facts, result and duration, the per-host recap of
 * its end record, and its changed and failed tasks (with their changes; the log keeps no diffs
 * and no per-task times).
 */
export function viewFromAudit(run: AuditRun): RunView {
  const view: RunView = {
    id: run.run,
    source: 'audit-log',
    partial: true,
    ...(run.start ? { facts: withoutType(run.start), startedAt: run.start.time, check: run.start.check } : {}),
    result: run.result,
    ...(run.end ? { durationMs: run.end.durationMs } : {}),
    hosts: [...(run.start?.hosts ?? [])],
    tasks: [],
    cells: new Map(),
    summary: run.end?.summary ?? {},
    hostStats: {},
    unreachable: Object.fromEntries(run.unreachable.map((u) => [u.host, u.message])),
    ...(run.end?.error ? { error: run.end.error } : {}),
  };
  for (const h of Object.keys(view.summary)) if (!view.hosts.includes(h)) view.hosts.push(h);
  const seen = new Map<string, number>();
  for (const t of run.tasks) {
    addCell(view, seen, { play: t.play, task: t.task, module: t.module, handler: t.handler === true, ...(t.site ? { site: t.site } : {}) }, t.host, {
      name: t.task,
      status: t.status,
      changes: t.changes as ReportCell['changes'],
      ...(t.message ? { message: t.message } : {}),
      ...(t.ignored ? { ignored: true } : {}),
    });
  }
  for (const u of run.unreachable) if (!view.hosts.includes(u.host)) view.hosts.push(u.host);
  return view;
}

function withoutType(r: Extract<AuditRecord, { type: 'run-start' }>): RunFacts {
  const { type: _type, ...rest } = r;
  return rest;
}

/** A JSON document's result, as the audit log would have recorded it. */
function resultOf(view: RunView): AuditResult {
  const rows = Object.values(view.summary);
  if (rows.some((s) => s.unreachable > 0)) return 'unreachable';
  if (rows.some((s) => s.failed > 0)) return 'failed';
  return 'ok';
}
