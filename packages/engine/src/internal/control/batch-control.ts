import pLimit, { type LimitFunction } from 'p-limit';
import type { TaskStatus } from '../report/report.js';

/** What a host gets from {@link BatchControl.runOnce}. */
export interface RunOnceResult {
  /** True on the host that ran the task (its row is reported); false on the others. */
  ran: boolean;
  status: TaskStatus;
  /** The host that ran it. */
  runner: string;
  /** What the runner shared with the other hosts (its result, for `register`). */
  shared?: unknown;
}

interface OnceSlot {
  result?: Promise<{ status: TaskStatus; runner: string; shared?: unknown }>;
  waiters: (() => void)[];
}

/**
 * What the hosts of one serial batch share while they run a play: the stop decision
 * (`anyErrorsFatal`, `maxFailPercentage`), the limiters of `throttle`d tasks and the single
 * run of `runOnce` tasks. Hosts run independently otherwise (a host does not wait for the
 * others between tasks).
 */
export class BatchControl {
  /** The batch's hosts, in the play's order. */
  readonly hosts: readonly string[];
  readonly #maxFailPercentage: number | undefined;
  readonly #anyErrorsFatal: boolean;
  readonly #failed = new Set<string>();
  readonly #left = new Set<string>();
  readonly #throttles = new Map<object, LimitFunction>();
  readonly #once = new Map<object, Map<number, OnceSlot>>();
  #stop: string | undefined;
  /** Hosts that stopped before finishing the play without a failed task of their own, with why. */
  readonly stopped = new Map<string, string>();

  constructor(hosts: readonly string[], options: { maxFailPercentage?: number; anyErrorsFatal?: boolean } = {}) {
    this.hosts = hosts;
    this.#maxFailPercentage = options.maxFailPercentage;
    this.#anyErrorsFatal = options.anyErrorsFatal ?? false;
  }

  /**
   * True when a host's failure may stop the others (`anyErrorsFatal`, `maxFailPercentage`):
   * hosts then apply their tasks one round trip per task, so that they can stop between tasks
   * rather than after a script of several.
   */
  get taskByTask(): boolean {
    return this.#anyErrorsFatal || this.#maxFailPercentage !== undefined;
  }

  /** Why the batch stopped (and with it the play and the playbook), or undefined while it goes on. */
  get stopReason(): string | undefined {
    return this.#stop;
  }

  /**
   * True when the host must not start anything more (tasks, handlers, verify) because the batch
   * stopped; the host is then recorded in {@link stopped}.
   */
  shouldStop(host: string): boolean {
    if (this.#stop === undefined) return false;
    if (!this.#failed.has(host) && !this.stopped.has(host)) this.stopped.set(host, this.#stop);
    return true;
  }

  /** Records a host as failed because of another host (a failed `runOnce` task). */
  failWith(host: string, reason: string): void {
    if (!this.stopped.has(host)) this.stopped.set(host, reason);
  }

  /**
   * Records a failed host: with `anyErrorsFatal`, or when the failed hosts are now more than
   * `maxFailPercentage` percent of the batch, the batch stops.
   */
  hostFailed(host: string): void {
    if (this.#failed.has(host)) return;
    this.#failed.add(host);
    if (this.#stop !== undefined) return;
    if (this.#anyErrorsFatal) {
      this.#stop = `anyErrorsFatal: ${host} failed`;
      return;
    }
    const mfp = this.#maxFailPercentage;
    if (mfp !== undefined && (this.#failed.size / this.hosts.length) * 100 > mfp) {
      this.#stop = `maxFailPercentage ${mfp} exceeded: ${this.#failed.size} of ${this.hosts.length} hosts of the batch failed`;
    }
  }

  /** Records an unreachable host: with `anyErrorsFatal` the batch stops (maxFailPercentage counts failed hosts only, as Ansible). */
  hostUnreachable(host: string): void {
    if (this.#stop === undefined && this.#anyErrorsFatal) this.#stop = `anyErrorsFatal: ${host} is unreachable`;
  }

  /** Records that a host runs no more tasks of the play (finished, failed or unreachable): `runOnce` tasks then pass to the next host. */
  hostLeft(host: string): void {
    this.#left.add(host);
    for (const slots of this.#once.values()) for (const slot of slots.values()) this.#wake(slot);
  }

  /** True when the host is the first host of the batch that is still running: the one that runs `runOnce` tasks. */
  isFirst(host: string): boolean {
    return this.hosts.find((h) => !this.#left.has(h)) === host;
  }

  /** Runs `fn` with at most `limit` hosts of the batch running `task` (the task as written in the play) at once. */
  throttle<T>(task: object, limit: number, fn: () => Promise<T>): Promise<T> {
    let l = this.#throttles.get(task);
    if (!l) {
      l = pLimit(limit);
      this.#throttles.set(task, l);
    }
    return l(fn);
  }

  /**
   * Runs a task (one item of it, in a loop) once for the batch: on the first host of the batch still running when
   * the task is reached, while the other hosts wait for its status. If that host becomes
   * unreachable meanwhile (`run` rejects), the next host runs it.
   */
  async runOnce(task: object, item: number, host: string, run: () => Promise<{ status: TaskStatus; shared?: unknown }>): Promise<RunOnceResult> {
    let slots = this.#once.get(task);
    if (!slots) {
      slots = new Map();
      this.#once.set(task, slots);
    }
    let slot = slots.get(item);
    if (!slot) {
      slot = { waiters: [] };
      slots.set(item, slot);
    }
    for (;;) {
      const pending = slot.result;
      if (pending) {
        try {
          const r = await pending;
          return { ran: false, ...r };
        } catch {
          // The runner broke off (unreachable): look again, the next host may run it.
          if (slot.result === pending) delete slot.result;
          continue;
        }
      }
      if (this.isFirst(host)) {
        const mine = run().then((r) => ({ ...r, runner: host }));
        slot.result = mine;
        mine.catch(() => {
          if (slot.result === mine) delete slot.result;
        });
        this.#wake(slot);
        const r = await mine;
        return { ran: true, ...r };
      }
      await this.#wait(slot);
    }
  }

  #wait(slot: OnceSlot): Promise<void> {
    return new Promise((resolve) => slot.waiters.push(resolve));
  }

  #wake(slot: OnceSlot): void {
    const waiters = slot.waiters.splice(0);
    for (const w of waiters) w();
  }
}
