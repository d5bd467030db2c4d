import { resourcesOverlap } from '@converge/core';
import type { FactRequest } from '@converge/core';
import type { Prepared } from '../../prepare/plan-nodes.js';
import { readsOf, userOf, type FactStore } from '../fact-store.js';
import type { PlannedChange } from './new-directories.js';

/**
 * The facts that a batch's script probes again after its applies, so that the next task needs
 * no probe round trip of its own: those of the `pending` tasks (run as `user`, outside `batch`)
 * that are unknown or stale, or read what `applied` writes. Left out: a fact that a pending task
 * before its own writes (by that task's resources) when that task has no facts to plan from (a
 * command without creates/removes always runs): its change makes the fact stale again, and a run
 * of commands would otherwise read every later file's content once per command.
 */
export function aheadRequests(store: FactStore, pending: readonly Prepared[], applied: readonly PlannedChange[], user: string, batch: ReadonlySet<Prepared>): FactRequest[] {
  const reqs = new Map<string, FactRequest>();
  const before: string[][] = [];
  for (const p of pending) {
    if (batch.has(p)) continue;
    if (userOf(p) === user) {
      for (const r of Object.values(p.facts)) {
        if (reqs.has(r.key)) continue;
        const reads = readsOf(r);
        if (before.some((w) => resourcesOverlap(w, reads))) continue;
        if (store.needsProbe(p, r) || applied.some((a) => resourcesOverlap(a.resources, reads))) reqs.set(r.key, r);
      }
    }
    if (Object.keys(p.facts).length === 0) before.push(p.def.resources?.(p.params as never) ?? ['*']);
  }
  return [...reqs.values()];
}
