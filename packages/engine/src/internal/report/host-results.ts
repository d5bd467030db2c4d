import { formatLocation, maskText, type Change } from '@converge/core';
import type { Prepared } from '../prepare/plan-nodes.js';
import type { TaskReport, TaskStatus } from './report.js';

/** The final outcome of one item, unmasked, for `register`, `until` and rescue. */
export interface ItemOutcome {
  status: TaskStatus;
  ignored: boolean;
  message?: string;
  result?: Record<string, unknown>;
  attempts?: number;
  /** Check mode: what of the result only a real run gives. */
  checkUnknown?: 'output' | 'all';
  /** Vars the task set (`Plan.vars`): the other hosts of a `runOnce` task set them too. */
  vars?: Record<string, unknown>;
}

/** What a row says besides its status. */
export interface RowDetails {
  message?: string;
  code?: string;
  changes?: Change[];
  diff?: string;
  result?: Record<string, unknown>;
  /** `performance.now()` when the task started: the row's duration. */
  started?: number;
  checkUnknown?: 'output' | 'all';
  /** Text the task shows the operator (`Plan.output`). */
  output?: string;
  /** Vars the task set (kept in its outcome, not shown). */
  vars?: Record<string, unknown>;
}

/**
 * Records a row of the run report; with `replaces`, it takes that row's place (verify turning a
 * change into a failure, a retry); `quiet` records without an event (an attempt that may be
 * retried). Returns the row as recorded (masked).
 */
export type RecordRow = (r: TaskReport, replaces?: TaskReport, quiet?: boolean) => TaskReport;

/**
 * The results of one host's tasks in a play: one row per item in the run report (a later
 * verdict on the same item replaces its row), the item's outcome as `register`, `until` and
 * rescue see it, the items that failed (what a block's rescue catches), and the attempt of items
 * being retried, whose rows stay quiet until the last attempt.
 */
export class HostResults {
  readonly #host: string;
  readonly #play: string;
  readonly #record: RecordRow;
  readonly #rows = new Map<Prepared, TaskReport>();
  readonly #outcomes = new Map<Prepared, ItemOutcome>();
  readonly #failures: Prepared[] = [];
  readonly #attempts = new Map<Prepared, number>();
  readonly #quiet = new Set<Prepared>();

  constructor(host: string, play: string, record: RecordRow) {
    this.#host = host;
    this.#play = play;
    this.#record = record;
  }

  /** Reports an item: its row (replacing its earlier one) and its outcome. Returns the status as the run goes on with it (`ok` for an ignored failure). */
  report(p: Prepared, status: TaskStatus, extra: RowDetails): TaskStatus {
    const attempts = this.#attempts.get(p);
    const ignored = status === 'failed' && p.task.options.ignoreErrors === true;
    const r: TaskReport = {
      host: this.#host,
      play: this.#play,
      task: p.name,
      module: p.def.name,
      status,
      changes: extra.changes ?? [],
      durationMs: extra.started === undefined ? 0 : Math.round(performance.now() - extra.started),
      ...(extra.diff !== undefined ? { diff: extra.diff } : {}),
      ...(extra.message !== undefined ? { message: extra.message } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {}),
      ...(extra.result !== undefined ? { result: extra.result } : {}),
      ...(extra.output !== undefined ? { output: extra.output } : {}),
      ...(p.item ? { item: p.item.label } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
      ...(p.handler ? { handler: true } : {}),
      ...(ignored ? { ignored: true } : {}),
      ...(p.delegate ? { delegatedTo: p.delegate } : {}),
      ...(p.task.site ? { site: formatLocation(p.task.site) } : {}),
    };
    this.#outcomes.set(p, {
      status,
      ignored,
      ...(extra.message !== undefined ? { message: extra.message } : {}),
      ...(extra.result !== undefined ? { result: extra.result } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
      ...(extra.checkUnknown ? { checkUnknown: extra.checkUnknown } : {}),
      ...(extra.vars ? { vars: extra.vars } : {}),
    });
    // One row per task: verify's verdict (or a retry) replaces the row it judged.
    const row = this.#record(r, this.#rows.get(p), this.#quiet.has(p));
    this.#rows.set(p, row);
    return ignored ? 'ok' : status;
  }

  /** The item's outcome, once it has one. */
  outcome(p: Prepared): ItemOutcome | undefined {
    return this.#outcomes.get(p);
  }

  /** Gives an item an outcome without a row (a `runOnce` result from the host that ran it, a delegate's). */
  setOutcome(p: Prepared, o: ItemOutcome): void {
    this.#outcomes.set(p, o);
  }

  /** True when the item failed and the failure was not ignored. */
  failed(p: Prepared): boolean {
    const o = this.#outcomes.get(p);
    return o?.status === 'failed' && !o.ignored;
  }

  /** The item's current row. */
  row(p: Prepared): TaskReport | undefined {
    return this.#rows.get(p);
  }

  /**
   * A recorder of rows for the item that a run elsewhere (a delegate's) reports: its rows take
   * the place of the item's row here.
   */
  recorderFor(p: Prepared): RecordRow {
    return (r, replaces, quiet) => {
      const row = this.#record(r, replaces ?? this.#rows.get(p), quiet);
      this.#rows.set(p, row);
      return row;
    };
  }

  /** Marks a failed item's row as rescued (its block's rescue tasks succeeded). */
  markRescued(p: Prepared): void {
    const row = this.#rows.get(p);
    if (!row || row.rescued) return;
    this.#rows.set(p, this.#record({ ...row, rescued: true }, row));
  }

  /** Adds an item to the failures a block's rescue catches. */
  addFailure(p: Prepared): void {
    this.#failures.push(p);
  }

  /** A mark in the list of failures, for {@link failuresSince}. */
  failureMark(): number {
    return this.#failures.length;
  }

  /** The failures recorded since `mark`, in order. */
  failuresSince(mark: number): Prepared[] {
    return this.#failures.slice(mark);
  }

  /** Starts the attempts of a retried item: its rows are recorded without events until {@link endAttempts}. */
  beginAttempts(p: Prepared): void {
    this.#quiet.add(p);
  }

  /** Sets the item's current attempt (shown in its row). */
  setAttempt(p: Prepared, attempt: number): void {
    this.#attempts.set(p, attempt);
  }

  /** Makes the item's next row a shown one (its final verdict follows). Returns false when it was not quiet. */
  endQuiet(p: Prepared): boolean {
    return this.#quiet.delete(p);
  }

  /**
   * Ends the attempts of a retried item: the row of the attempt that ended them is now shown.
   * When the host became unreachable meanwhile (`lost`, its message), that is the task's outcome,
   * not the earlier attempt's failure.
   */
  endAttempts(p: Prepared, lost?: string): void {
    if (!this.#quiet.delete(p)) return;
    const row = this.#rows.get(p);
    if (row && lost !== undefined) {
      const { code: _code, result: _result, ...rest } = row;
      this.#rows.set(p, this.#record({ ...rest, status: 'unreachable', message: maskText(lost), attempts: this.#attempts.get(p) ?? 1 }, row));
    } else if (row) this.#rows.set(p, this.#record(row, row));
  }
}
