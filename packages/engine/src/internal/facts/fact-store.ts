import { ConvergeError, resourcesOverlap } from '@converge/core';
import type { FactRequest } from '@converge/core';
import type { Prepared } from '../prepare/plan-nodes.js';
import type { FactResult } from './probe.js';

/** The key of a fact request as a user reads it: the same fact read by two become users is two values. */
export function factKey(user: string, r: FactRequest): string {
  return `${user}\u0000${r.key}`;
}

/** The become user a task runs as ('' for the login user). */
export function userOf(p: Prepared): string {
  return p.become?.user ?? '';
}

/** What the facts of a task read, as resource keys (a fact that does not say reads everything). */
export function readsOf(r: FactRequest): string[] {
  return r.fact.resources?.(r.args) ?? ['*'];
}

/**
 * One host's probed fact values for a play: the value (or error) of each fact read as each
 * user, the request behind each value (to tell which a change makes stale), and which values a
 * change made stale since they were probed.
 */
export class FactStore {
  readonly #values = new Map<string, FactResult>();
  readonly #requests = new Map<string, FactRequest>();
  readonly #stale = new Set<string>();

  /** The current value of a fact for a task (stale or not), if it was probed. */
  get(p: Prepared, r: FactRequest): FactResult | undefined {
    return this.#values.get(factKey(userOf(p), r));
  }

  /** True when the fact must be probed for the task: never probed, or stale (or always, with `fresh`). */
  needsProbe(p: Prepared, r: FactRequest, fresh = false): boolean {
    const key = factKey(userOf(p), r);
    return fresh || !this.#values.has(key) || this.#stale.has(key);
  }

  /** True when a fact of the task was made stale by a change since it was probed. */
  isStale(p: Prepared): boolean {
    return Object.values(p.facts).some((r) => this.#stale.has(factKey(userOf(p), r)));
  }

  /** Keeps probed values of a become user as current. */
  store(user: string, reqs: readonly FactRequest[], results: ReadonlyMap<string, FactResult>): void {
    const byKey = new Map(reqs.map((r) => [r.key, r]));
    for (const [key, value] of results) {
      this.#values.set(`${user}\u0000${key}`, value);
      const req = byKey.get(key);
      if (req) this.#requests.set(`${user}\u0000${key}`, req);
      this.#stale.delete(`${user}\u0000${key}`);
    }
  }

  /** Records that the probe of these requests as `user` failed with `error` (a become failure): the tasks reading them fail with it. */
  storeFailure(user: string, reqs: readonly FactRequest[], error: Error): void {
    for (const r of reqs) this.#values.set(factKey(user, r), { ok: false, error });
  }

  /** Makes the task's own facts stale (a retry plans from fresh facts). */
  markStale(p: Prepared): void {
    for (const r of Object.values(p.facts)) this.#stale.add(factKey(userOf(p), r));
  }

  /**
   * Records a change of `resources`: every probed fact that reads one of them is stale, unless
   * `update` gives its value after the change (it is given the fact's key and current value;
   * see the new-directory prediction of `facts/batching`).
   */
  changed(resources: readonly string[], update?: (key: string, r: FactRequest, current: FactResult | undefined, stale: boolean) => unknown): void {
    for (const [key, r] of this.#requests) {
      if (!resourcesOverlap(resources, readsOf(r))) continue;
      const value = update?.(key, r, this.#values.get(key), this.#stale.has(key));
      if (value === undefined) this.#stale.add(key);
      else this.#values.set(key, { ok: true, value });
    }
  }

  /**
   * The fact values a task plans from, by the names its module gave them; `overrides` (by key)
   * take the place of probed values (predicted ones).
   *
   * @throws ConvergeError `CONVERGE_INTERNAL` when a fact was not probed; the probe's error when
   * one failed.
   */
  valuesFor(p: Prepared, overrides?: ReadonlyMap<string, FactResult>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(p.facts)) {
      const key = factKey(userOf(p), r);
      const f = overrides?.get(key) ?? this.#values.get(key);
      if (!f) throw new ConvergeError('CONVERGE_INTERNAL', `fact ${r.fact.name} was not probed`);
      if (!f.ok) throw f.error;
      out[name] = f.value;
    }
    return out;
  }
}

/** What all facts of a task read, as resource keys. */
export function factResources(p: Prepared): string[] {
  return Object.values(p.facts).flatMap(readsOf);
}
