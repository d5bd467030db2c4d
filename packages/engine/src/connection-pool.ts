import type { Inventory } from '@converge/inventory';
import { hostVars } from '@converge/inventory';
import type { ConnectionSpec, Transport } from '@converge/core';
import { connectionSpec } from './connection.js';

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

  /** `connectionVars`: the command line's connection settings, under the host's vars (see `RunOptions.connectionVars`). */
  constructor(inventory: Inventory, make: (spec: ConnectionSpec) => Transport, extraVars: Record<string, unknown> = {}, connectionVars: Record<string, unknown> = {}) {
    this.#inventory = inventory;
    this.#make = make;
    this.#extraVars = extraVars;
    this.#connectionVars = connectionVars;
  }

  /** The host's transport, connected. @throws what the transport's `connect` throws (the transport is closed then). */
  connect(host: string): Promise<Transport> {
    let p = this.#open.get(host);
    if (!p) {
      p = this.#connect(host);
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
    }
  }

  /** The connected transport of a host, if it is connected. */
  get(host: string): Transport | undefined {
    return this.#ready.get(host);
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
