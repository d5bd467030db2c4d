import { readFileSync } from 'node:fs';
import { ConvergeError } from '@converge/core';
import type { AuditRecord, AuditResult } from './audit-log.js';

type Start = Extract<AuditRecord, { type: 'run-start' }>;
type End = Extract<AuditRecord, { type: 'run-end' }>;
type TaskRecord = Extract<AuditRecord, { type: 'task' }>;
type Unreachable = Extract<AuditRecord, { type: 'host-unreachable' }>;

/** One run as read back from the audit log. */
export interface AuditRun {
  run: string;
  start?: Start;
  tasks: TaskRecord[];
  unreachable: Unreachable[];
  end?: End;
  /**
   * `end.result`, or `incomplete` when the run wrote no end: it was killed outright (SIGKILL),
   * crashed or lost power, or it is still running.
   */
  result: AuditResult | 'incomplete';
}

/** Filters of {@link readAuditRuns}; all given filters must match. */
export interface AuditFilter {
  /** Runs that started at or after this time. */
  since?: Date;
  /** Runs that had this host. */
  host?: string;
  /** Runs that did not end `ok` (failed, unreachable, error, changes-pending, interrupted, incomplete). */
  failed?: boolean;
}

/**
 * Reads an audit log (see {@link AuditLog}) and groups its records by run, oldest first.
 * A line that is not valid JSON (a torn last line after a power loss) is skipped, counted and
 * its number (1-based) returned, so the caller can report it.
 *
 * @returns the runs, the number of skipped lines and their numbers; no runs when the file does not exist.
 * @throws ConvergeError `CONVERGE_STATE` when the file exists but cannot be read.
 */
export function readAuditRuns(path: string, filter: AuditFilter = {}): { runs: AuditRun[]; skippedLines: number; skippedLineNumbers: number[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], skippedLines: 0, skippedLineNumbers: [] };
    throw new ConvergeError('CONVERGE_STATE', `cannot read the audit log ${path}`, { cause: e });
  }
  const runs = new Map<string, AuditRun>();
  const skippedLineNumbers: number[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let rec: AuditRecord;
    try {
      rec = JSON.parse(line) as AuditRecord;
    } catch {
      skippedLineNumbers.push(i + 1);
      continue;
    }
    if (!rec || typeof rec !== 'object' || typeof rec.run !== 'string') {
      skippedLineNumbers.push(i + 1);
      continue;
    }
    const r = runs.get(rec.run) ?? { run: rec.run, tasks: [], unreachable: [], result: 'incomplete' as const };
    runs.set(rec.run, r);
    if (rec.type === 'run-start') r.start = rec;
    else if (rec.type === 'run-plan' && r.start) r.start = { ...r.start, hosts: rec.hosts, ...(rec.extraVarNames ? { extraVarNames: rec.extraVarNames } : {}) };
    else if (rec.type === 'task') r.tasks.push(rec);
    else if (rec.type === 'host-unreachable') r.unreachable.push(rec);
    else if (rec.type === 'run-end') {
      r.end = rec;
      r.result = rec.result;
    }
  }
  const out = [...runs.values()].filter((r) => {
    const startedAt = r.start?.time ?? r.end?.time;
    if (filter.since && (!startedAt || new Date(startedAt) < filter.since)) return false;
    if (filter.host && !(r.start?.hosts.includes(filter.host) || r.tasks.some((t) => t.host === filter.host) || r.unreachable.some((u) => u.host === filter.host))) return false;
    if (filter.failed && r.result === 'ok') return false;
    return true;
  });
  return { runs: out, skippedLines: skippedLineNumbers.length, skippedLineNumbers };
}
