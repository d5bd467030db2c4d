import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { maskRunEvent, type HostSummary, type RunEvent, type RunReport } from '@converge/engine';
import { isConvergeError, maskText } from '@converge/core';
import { JsonLinesFile } from './json-lines-file.js';
import { currentOperator, hashPath, type HashedPath, type Operator } from './operator.js';

/** Another place audit records go, e.g. a {@link SyslogSink}: gets each masked JSON line. */
export interface AuditSink {
  /** `severity`: RFC 5424 section 6.2.1 (4 warning for failures, 5 notice otherwise). */
  send(line: string, severity: number): void;
}

/** RFC 5424 section 6.2.1 severities of audit records in syslog. */
const WARNING = 4;
const NOTICE = 5;

/** What the caller knows about a run before it starts, for the `run-start` record. */
export interface AuditRunInfo {
  playbookPath: string;
  inventoryPaths: string[];
  limit?: string;
  check: boolean;
  diff: boolean;
  tags?: string[];
  skipTags?: string[];
  /** Names of extra vars (`-e`); never their values. */
  extraVarNames?: string[];
  /** The part of a split run (`--shard I/N`): the records of each part are in its own audit log. */
  shard?: { index: number; count: number };
}

/** How a run ended; `interrupted`: stopped by a signal (SIGINT, SIGTERM, SIGHUP) before its end. */
export type AuditResult = 'ok' | 'changes-pending' | 'failed' | 'unreachable' | 'error' | 'interrupted';

/** One line of the audit log. All records of a run share `run` (a UUID). */
export type AuditRecord =
  | {
      type: 'run-start';
      run: string;
      time: string;
      operator: Operator;
      playbook: HashedPath;
      inventory: HashedPath[];
      /** The run's hosts: `[]` when written, as the run starts, then given by `run-plan` (readers merge it in). */
      hosts: string[];
      limit?: string;
      check: boolean;
      diff: boolean;
      tags?: string[];
      skipTags?: string[];
      extraVarNames?: string[];
      shard?: { index: number; count: number };
      pid: number;
    }
  /** What the run will do once the inventory and the playbook are read, before any host is contacted: its hosts and the names of its extra vars. */
  | { type: 'run-plan'; run: string; time: string; hosts: string[]; extraVarNames?: string[] }
  | { type: 'task'; run: string; time: string; host: string; play: string; task: string; module: string; status: 'changed' | 'unknown' | 'failed'; changes: unknown[]; ignored?: boolean; handler?: boolean; message?: string; code?: string; site?: string }
  | { type: 'host-unreachable'; run: string; time: string; host: string; message: string }
  /**
   * Host key checking was off for a host (StrictHostKeyChecking no, `ansible_host_key_checking`,
   * ANSIBLE_HOST_KEY_CHECKING, ansible.cfg): its unknown host key was accepted unchecked. `source`
   * says where it was turned off.
   */
  | { type: 'host-key-checking-off'; run: string; time: string; host: string; source: string }
  /** A sink (syslog) failed: records after this one may be missing there, never in the file. */
  | { type: 'sink-error'; run: string; time: string; message: string }
  | {
      type: 'run-end';
      run: string;
      time: string;
      result: AuditResult;
      durationMs: number;
      summary?: Record<string, HostSummary>;
      error?: string;
      /** The signal that interrupted the run (result `interrupted`). */
      signal?: string;
      /** Tasks started and not finished when the run was interrupted: their outcome is unknown. */
      inFlight?: { host: string; task: string; module: string }[];
    };

/**
 * The audit log of converge runs: append-only JSON lines (see {@link JsonLinesFile}: one
 * complete line per record, flushed to disk in the background and at the end, mode 0600, never rewritten), written as the run goes:
 *
 * - `run-start`, written when the log is opened, before the inventory, the playbook or any host
 *   is read: operator (local user, uid, controller host, git commit/author/user/dirty of the
 *   playbook's repository), playbook and inventory paths with sha256 of their content, limit,
 *   check/diff mode, tags;
 * - `run-plan`, once the inventory and playbook are read and before any host is contacted: the
 *   hosts and the names (not values) of extra vars (readers merge it into `run-start`);
 * - `task`: every changed or failed task, as soon as its outcome is known (a task applied with
 *   others in one script, when its step markers arrive) (host, play, task, module, changes;
 *   secrets masked);
 * - `host-unreachable`;
 * - `host-key-checking-off`: a host connected to with host key checking turned off, and where
 *   it was turned off;
 * - `run-end`: result (`ok`, `changes-pending`, `failed`, `unreachable`, `error`), the per-host
 *   summary, duration, and the (masked) error of a run that stopped before contacting hosts;
 *   or, written by {@link AuditLog.interrupted}, result `interrupted` with the signal and the
 *   tasks that were running (their outcome is unknown).
 *
 * A run killed outright (SIGKILL, a crash, a power loss) has no `run-end`; every record written
 * before stays whole and the run reads back as `incomplete` (see {@link readAuditRuns}).
 *
 * Default path: `<state dir>/audit.jsonl`, the state dir being `<playbook dir>/.converge`.
 *
 * @example
 * const audit = AuditLog.open(path, { playbookPath, inventoryPaths, check: false, diff: false });
 * const report = await runPlaybook({ ..., onEvent: audit.onEvent });
 * audit.end(report);
 */
export class AuditLog {
  readonly run = randomUUID();
  readonly #file: JsonLinesFile;
  readonly #sinks: AuditSink[];
  #info: AuditRunInfo;
  readonly #started = Date.now();
  #startRecord: Extract<AuditRecord, { type: 'run-start' }> | undefined;
  #planHosts: string[] | undefined;
  #ended = false;
  /** Tasks started and not yet finished, by `host\0task`. */
  readonly #running = new Map<string, { host: string; task: string; module: string }>();

  private constructor(file: JsonLinesFile, info: AuditRunInfo, sinks: AuditSink[]) {
    this.#file = file;
    this.#info = info;
    this.#sinks = sinks;
  }

  /**
   * Opens the log for one run; every record written to the file is also given, as the same
   * masked line, to each of `sinks` (after the file: a sink never costs the file a record).
   * @throws ConvergeError `CONVERGE_STATE` when the file cannot be opened.
   */
  static open(path: string, info: AuditRunInfo, sinks: AuditSink[] = []): AuditLog {
    const log = new AuditLog(JsonLinesFile.open(path), info, sinks);
    log.#start();
    return log;
  }

  /** Records in the file that a sink failed (`sink-error`), so a reader knows its copy is partial. */
  sinkFailed(message: string): void {
    this.#file.append({ type: 'sink-error', run: this.run, time: new Date().toISOString(), message: maskText(message) });
  }

  #append(record: AuditRecord, severity: number): void {
    const line = this.#file.append(record);
    if (line === undefined) return;
    for (const sink of this.#sinks) sink.send(line, severity);
  }

  /** Records that host key checking was off for `host` (`source`: where it was turned off). */
  hostKeyCheckingOff(host: string, source: string): void {
    this.#append({ type: 'host-key-checking-off', run: this.run, time: new Date().toISOString(), host, source }, WARNING);
  }

  /** Records the names (never the values) of the extra vars, for the `run-plan` record. */
  setExtraVarNames(names: string[]): void {
    this.#info.extraVarNames = names;
  }

  get path(): string {
    return this.#file.path;
  }

  /** Feed every engine event here: writes run-start, changed/failed tasks and unreachable hosts. */
  onEvent = (event: RunEvent): void => {
    const e = maskRunEvent(event);
    const time = new Date().toISOString();
    if (e.type === 'run-start') this.#plan(e.hosts);
    else if (e.type === 'task-start') this.#running.set(`${e.host}\0${e.task}`, { host: e.host, task: e.task, module: e.module });
    else if (e.type === 'task-result') this.#running.delete(`${e.report.host}\0${e.report.task}`);
    if (e.type === 'task-result' && (e.report.status === 'changed' || e.report.status === 'unknown' || e.report.status === 'failed')) {
      const r = e.report;
      this.#append(
        {
          type: 'task',
          run: this.run,
          time,
          host: r.host,
          play: r.play,
          task: r.task,
          module: r.module,
          status: r.status as 'changed' | 'unknown' | 'failed',
          changes: r.changes,
          ...(r.ignored ? { ignored: true } : {}),
          ...(r.handler ? { handler: true } : {}),
          ...(r.status === 'failed' && r.message ? { message: r.message } : {}),
          ...(r.code ? { code: r.code } : {}),
          ...(r.site ? { site: r.site } : {}),
        },
        r.status === 'failed' && !r.ignored ? WARNING : NOTICE,
      );
    } else if (e.type === 'host-unreachable') {
      for (const [k, t] of this.#running) if (t.host === e.host) this.#running.delete(k);
      this.#append({ type: 'host-unreachable', run: this.run, time, host: e.host, message: e.message }, WARNING);
    }
  };

  /**
   * The run's audit facts, as its `run-start` record holds them with the hosts of its `run-plan`
   * merged in: the run id, operator and git facts, playbook and inventory hashes, mode. What
   * `--output json` adds as `audit`, so a report made from it names who ran what.
   */
  facts(): Extract<AuditRecord, { type: 'run-start' }> {
    const record = this.#start();
    if (!this.#planHosts) return record;
    const names = this.#info.extraVarNames;
    return { ...record, hosts: this.#planHosts, ...(names?.length ? { extraVarNames: names } : {}) };
  }

  #start(): Extract<AuditRecord, { type: 'run-start' }> {
    if (this.#startRecord) return this.#startRecord;
    const i = this.#info;
    const record: Extract<AuditRecord, { type: 'run-start' }> = {
      type: 'run-start',
      run: this.run,
      time: new Date(this.#started).toISOString(),
      operator: currentOperator(dirname(i.playbookPath)),
      playbook: hashPath(i.playbookPath),
      inventory: i.inventoryPaths.map(hashPath),
      hosts: [],
      ...(i.limit ? { limit: i.limit } : {}),
      check: i.check,
      diff: i.diff,
      ...(i.tags?.length ? { tags: i.tags } : {}),
      ...(i.skipTags?.length ? { skipTags: i.skipTags } : {}),
      ...(i.shard ? { shard: i.shard } : {}),
      pid: process.pid,
    };
    this.#startRecord = record;
    this.#append(record, NOTICE);
    return record;
  }

  #plan(hosts: string[]): void {
    if (this.#planHosts) return;
    this.#planHosts = hosts;
    const names = this.#info.extraVarNames;
    this.#append({ type: 'run-plan', run: this.run, time: new Date().toISOString(), hosts, ...(names?.length ? { extraVarNames: names } : {}) }, NOTICE);
  }

  /** Writes `run-end` from the report (or the error that stopped the run) and closes the log. */
  end(outcome: { report: RunReport; result: AuditResult } | { error: unknown }): void {
    if (this.#ended) return;
    this.#ended = true;
    const base = { type: 'run-end', run: this.run, time: new Date().toISOString(), durationMs: Date.now() - this.#started } as const;
    if ('error' in outcome) {
      const e = outcome.error;
      const text = isConvergeError(e) ? `[${e.code}] ${maskText(e.message)}` : maskText(e instanceof Error ? e.message : String(e));
      this.#append({ ...base, result: 'error', error: text }, WARNING);
    } else this.#append({ ...base, result: outcome.result, summary: outcome.report.summary }, outcome.result === 'ok' || outcome.result === 'changes-pending' ? NOTICE : WARNING);
    this.#file.close();
  }

  /**
   * Writes `run-end` with result `interrupted`, the signal and the tasks still running, flushes
   * and closes the log: call it from a signal handler before exiting. A no-op after {@link end}.
   */
  interrupted(signal: string): void {
    if (this.#ended) return;
    this.#ended = true;
    const inFlight = [...this.#running.values()];
    this.#append({ type: 'run-end', run: this.run, time: new Date().toISOString(), durationMs: Date.now() - this.#started, result: 'interrupted', signal, ...(inFlight.length ? { inFlight } : {}) }, WARNING);
    this.#file.close();
  }
}
