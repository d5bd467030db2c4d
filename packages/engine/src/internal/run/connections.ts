import type { Transport } from '@converge/core';
import { unreachableReason } from '../report/failure.js';
import type { RunEvent } from '../report/report.js';
import type { RunRecorder } from '../report/run-recorder.js';
import { ConnectionPool } from './connection-pool.js';
import { DEFAULT_CONNECT_CONCURRENCY, type RunOptions } from './run-options.js';

/**
 * The connections of a run: each host's, opened when its first play reaches it (at most
 * `connectConcurrency` handshakes at once) and closed after its last play, and those of
 * delegates (`delegateTo`) that are not open as hosts of the current play, closed at the end.
 * A host that cannot be reached is reported once and stays down for the run.
 */
export class RunConnections {
  readonly #hosts: ConnectionPool;
  readonly #delegates: ConnectionPool;
  readonly #connecting = new Map<string, Promise<Transport | undefined>>();
  readonly #down = new Set<string>();
  readonly #recorder: RunRecorder;
  readonly #emit: (e: RunEvent) => void;

  /** Each host's own time: connecting, then its runs of each play (not the time other hosts of a batch take). */
  readonly #spent = new Map<string, number>();

  constructor(options: RunOptions, recorder: RunRecorder, emit: (e: RunEvent) => void) {
    const extraVars = options.extraVars ?? {};
    const connectionVars = options.connectionVars ?? {};
    this.#hosts = new ConnectionPool(options.inventory, options.transport, extraVars, connectionVars, options.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY);
    this.#delegates = new ConnectionPool(options.inventory, options.transport, extraVars, connectionVars);
    this.#recorder = recorder;
    this.#emit = emit;
  }

  /** True when the host could not be reached, or its connection broke. */
  isDown(host: string): boolean {
    return this.#down.has(host);
  }

  /** Marks a host as down (its connection broke during a play) and counts it unreachable. */
  markDown(host: string): void {
    this.#down.add(host);
    this.#recorder.unreachable(host);
  }

  /** The host's connection, connecting once; undefined (and reported) when it is unreachable. */
  connect(host: string): Promise<Transport | undefined> {
    let c = this.#connecting.get(host);
    if (!c) {
      c = this.#hosts.connect(host).then(
        (t) => {
          this.#add(host, this.#hosts.connectTime(host));
          return t;
        },
        (e: unknown) => {
          this.#add(host, this.#hosts.connectTime(host));
          this.#recorder.setDuration(host, Math.round(this.#spent.get(host) ?? 0));
          this.#down.add(host);
          this.#recorder.unreachable(host);
          this.#emit({ type: 'host-unreachable', host, ...unreachableReason(e) });
          return undefined;
        },
      );
      this.#connecting.set(host, c);
    }
    return c;
  }

  /** The connection a task delegated to `host` runs on: the host's own when it is open, else a delegate connection. */
  delegate(host: string): Promise<Transport> {
    const open = this.#hosts.get(host);
    return open ? Promise.resolve(open) : this.#delegates.connect(host);
  }

  /** Adds the time of a host's run of a play (since `since`, a `performance.now()`) to the host's own time. */
  spend(host: string, since: number): void {
    this.#add(host, performance.now() - since);
  }

  #add(host: string, ms: number): void {
    this.#spent.set(host, (this.#spent.get(host) ?? 0) + ms);
  }

  /** Records a host's counters (round trips, its own time) and closes its connection: after its last play, or when it is out of the run. */
  async release(host: string): Promise<void> {
    const stats = await this.#hosts.release(host);
    if (stats) this.#recorder.setStats(host, { roundTrips: stats.roundTrips, durationMs: Math.round(this.#spent.get(host) ?? 0) });
  }

  /** Closes every connection; the round trips of delegate connections add to their host's. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#hosts.connected().map((h) => this.release(h)));
    for (const [host, st] of await this.#delegates.closeAll()) this.#recorder.addDelegateStats(host, st);
  }
}
