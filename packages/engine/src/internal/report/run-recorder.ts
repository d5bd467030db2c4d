import { emptySummary, type HostSummary, type RunEvent, type RunReport, type TaskReport } from './report.js';
import { maskTaskReport } from './report-masking.js';

/**
 * The run report as the run fills it: rows masked and counted in the host's summary (a row that
 * replaces another takes its place and its count), the host's costs, and the hosts stopped by
 * others' failures.
 */
export class RunRecorder {
  readonly report: RunReport;
  readonly #emit: (e: RunEvent) => void;

  constructor(check: boolean, hosts: readonly string[], emit: (e: RunEvent) => void) {
    this.report = { summary: {}, tasks: [], stats: {}, check };
    this.#emit = emit;
    for (const h of hosts) {
      this.report.summary[h] = emptySummary();
      this.report.stats[h] = { roundTrips: 0, durationMs: 0 };
    }
  }

  /** Records a row (masked); with `replaces`, in that row's place; `quiet`: without a `task-result` event. Returns the row as recorded. */
  record(r: TaskReport, replaces?: TaskReport, quiet = false): TaskReport {
    const { tasks } = this.report;
    const masked = maskTaskReport(r);
    const at = replaces ? tasks.indexOf(replaces) : -1;
    if (replaces && at >= 0) {
      this.#count(replaces, -1);
      tasks[at] = masked;
    } else tasks.push(masked);
    this.#count(masked, 1);
    if (!quiet) this.#emit({ type: 'task-result', report: masked });
    return masked;
  }

  /** Counts the host as unreachable. */
  unreachable(host: string): void {
    const s = this.report.summary[host];
    if (s) s.unreachable = 1;
  }

  /** Sets the costs of a host's connection. */
  setStats(host: string, stats: { roundTrips: number; durationMs: number }): void {
    const s = this.report.stats[host];
    if (!s) return;
    s.roundTrips = stats.roundTrips;
    s.durationMs = stats.durationMs;
  }

  /** Sets a host's own time (a host that could not be reached: the time its connection took to fail). */
  setDuration(host: string, durationMs: number): void {
    const s = this.report.stats[host];
    if (s) s.durationMs = durationMs;
  }

  /** Adds the costs of a connection to a delegate (round trips add up; the longest duration counts). */
  addDelegateStats(host: string, stats: { roundTrips: number; durationMs: number }): void {
    const s = this.report.stats[host];
    this.report.stats[host] = { roundTrips: (s?.roundTrips ?? 0) + stats.roundTrips, durationMs: Math.max(s?.durationMs ?? 0, stats.durationMs) };
  }

  #count(r: TaskReport, sign: 1 | -1): void {
    const summary = this.report.summary;
    const s: HostSummary = summary[r.host] ?? (summary[r.host] = emptySummary());
    if (r.status === 'ok') s.ok += sign;
    else if (r.status === 'changed') {
      s.ok += sign;
      s.changed += sign;
    } else if (r.status === 'unknown') {
      s.ok += sign;
      s.unknown += sign;
    } else if (r.status === 'failed') {
      if (r.rescued) s.rescued += sign;
      else if (r.ignored) {
        s.ok += sign;
        s.ignored += sign;
      } else s.failed += sign;
    } else if (r.status === 'skipped') s.skipped += sign;
  }
}
