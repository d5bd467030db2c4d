import pLimit, { type LimitFunction } from 'p-limit';
import type { Inventory } from '@converge/inventory';
import { hostVars } from '@converge/inventory';
import type { ConnectionSpec, Transport } from '@converge/core';
import { connectionSpec } from './connection-spec.js';

/**
 * The run's connections: one transport per host, opened on first use and shared by everything
 * that runs on that host (its own tasks and tasks delegated to it). A host that is not in the
 * inventory (the implicit `localhost`) connects with no vars. A failed connection is remembered:
 * asking again gives the same error.
 */
export class ConnectionPool {
  readonly #make: (spec: ConnectionSpec) => Transport;
  readonly #inventory: Inventory;
  readonly #extraVars: Record<string, unknown>;
  readonly #connectionVars: Record<string, unknown>;
  readonly #open = new Map<string, Promise<Transport>>();
  readonly #ready = new Map<string, Transport>();
  readonly #started = new Map<string, number>();
  readonly #connectMs = new Map<string, number>();

  readonly #limit: LimitFunction | undefined;

  /**
   * `connectionVars`: the command line's connection settings, under the host's vars (see
   * `RunOptions.connectionVars`); `limit`: at most this many connections being set up at once
   * (no limit by default).
   */
  constructor(inventory: Inventory, make: (spec: ConnectionSpec) => Transport, extraVars: Record<string, unknown> = {}, connectionVars: Record<string, unknown> = {}, limit?: number) {
    this.#inventory = inventory;
    this.#make = make;
    this.#extraVars = extraVars;
    this.#connectionVars = connectionVars;
    this.#limit = limit === undefined ? undefined : pLimit(Math.max(1, limit));
  }

  /** The host's transport, connected. @throws what the transport's `connect` throws (the transport is closed then). */
  connect(host: string): Promise<Transport> {
    let p = this.#open.get(host);
    if (!p) {
      const limit = this.#limit;
      p = limit ? limit(() => this.#connect(host)) : this.#connect(host);
      this.#open.set(host, p);
    }
    return p;
  }

  async #connect(host: string): Promise<Transport> {
    this.#started.set(host, performance.now());
    const vars = { ...this.#connectionVars, ...(this.#inventory.hosts.has(host) ? hostVars(this.#inventory, host) : {}), ...this.#extraVars };
    let t: Transport | undefined;
    try {
      t = this.#make(connectionSpec(host, vars));
      await t.connect();
      this.#ready.set(host, t);
      return t;
    } catch (e) {
      if (t) await t.close().catch(() => undefined);
      throw e;
    } finally {
      this.#connectMs.set(host, performance.now() - (this.#started.get(host) ?? performance.now()));
    }
  }

  /** Milliseconds the host's connection took to set up (or to fail), once it is settled (waiting for the limit not included). */
  connectTime(host: string): number {
    return this.#connectMs.get(host) ?? 0;
  }

  /** The connected transport of a host, if it is connected. */
  get(host: string): Transport | undefined {
    return this.#ready.get(host);
  }

  /** Closes a host's connection (a later {@link get} gives nothing); returns its round trips and milliseconds since it started connecting, or undefined when it was not connected. */
  async release(host: string): Promise<{ roundTrips: number; durationMs: number } | undefined> {
    const t = this.#ready.get(host);
    if (!t) return undefined;
    this.#ready.delete(host);
    const stats = { roundTrips: t.stats.roundTrips, durationMs: Math.round(performance.now() - (this.#started.get(host) ?? performance.now())) };
    await t.close().catch(() => undefined);
    return stats;
  }

  /** The hosts connected now. */
  connected(): string[] {
    return [...this.#ready.keys()];
  }

  /** Closes every connection; returns each host's round trips and milliseconds since it started connecting. */
  async closeAll(): Promise<Map<string, { roundTrips: number; durationMs: number }>> {
    const out = new Map<string, { roundTrips: number; durationMs: number }>();
    await Promise.all(
      [...this.#ready].map(async ([host, t]) => {
        out.set(host, { roundTrips: t.stats.roundTrips, durationMs: Math.round(performance.now() - (this.#started.get(host) ?? performance.now())) });
        await t.close().catch(() => undefined);
      }),
    );
    this.#ready.clear();
    return out;
  }
}
