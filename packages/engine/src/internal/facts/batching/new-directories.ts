import { quote, resourcesOverlap } from '@converge/core';
import type { Plan } from '@converge/core';
import type { Prepared } from '../../prepare/plan-nodes.js';
import { factKey, readsOf, userOf, type FactStore } from '../fact-store.js';
import type { FactResult } from '../probe.js';
import { valueAfterNewDirectories } from './probe-batching.js';

/**
 * Planning into a directory made earlier in the same script: the engine's use of the plan hint
 * `newDirectories` and the fact hint `afterNewDirectories` (see `PlanProbeHints` and
 * `FactProbeHints` in `@converge/core`). A task writing into a directory that an earlier task of
 * the batch creates reads facts that the `mkdir` changes; a fact that can tell its value after
 * new, empty directories is updated instead of probed again, and the script checks right before
 * the task's steps that the directories are still absent (the claim rests on a probe that said
 * "absent", and resources are compared by name: a directory made under another name would be
 * taken for new).
 */

/** A planned task with changes, as far as new directories go: its plan and what its apply changes. */
export interface PlannedChange {
  plan: Plan;
  resources: readonly string[];
}

/** The directories a plan creates where nothing was (`Plan.hints.newDirectories`, or the deprecated `Plan.newDirectories`). */
export function newDirectoriesOf(plan: Plan): string[] | undefined {
  return plan.hints?.newDirectories ?? plan.newDirectories;
}

/**
 * The facts of `q` as they will be once the batch's earlier applies `before` ran: as probed
 * where none of them touches what the fact reads, updated by the fact's `afterNewDirectories`
 * where the only ones that do make new directories; `undefined` when a fact must be probed again.
 */
export function factsAfter(store: FactStore, q: Prepared, before: readonly PlannedChange[]): Map<string, FactResult> | undefined {
  const out = new Map<string, FactResult>();
  for (const r of Object.values(q.facts)) {
    const reads = readsOf(r);
    const key = factKey(userOf(q), r);
    let f = out.get(key) ?? store.get(q, r);
    for (const a of before) {
      if (!resourcesOverlap(a.resources, reads)) continue;
      const dirs = newDirectoriesOf(a.plan);
      const value = dirs && f?.ok ? valueAfterNewDirectories(r, f.value, dirs) : undefined;
      if (value === undefined) return undefined;
      f = { ok: true, value };
    }
    if (f) out.set(key, f);
  }
  return out;
}

/**
 * Records an applied change in the store: facts reading its resources become stale, except
 * that, after a script that checked the plan's new directories were absent (`guarded`), the
 * facts of the same user that can tell their value after them are updated (as
 * {@link factsAfter} predicted for the tasks batched after it).
 */
export function recordChange(store: FactStore, p: Prepared, resources: readonly string[], plan: Plan | undefined): void {
  const dirs = plan ? newDirectoriesOf(plan) : undefined;
  if (!dirs) {
    store.changed(resources);
    return;
  }
  const user = `${userOf(p)}\u0000`;
  store.changed(resources, (key, r, current, stale) => (current?.ok && key.startsWith(user) && !stale ? valueAfterNewDirectories(r, current.value, dirs) : undefined));
}

/**
 * The shell line that ends the script before a task's steps when a directory its plan takes for
 * new is there: then the facts the task was planned from, and what was predicted from them for
 * the tasks after it, are not what is on the host. Prints the task's `G` marker.
 */
export function newDirectoriesGuard(plan: Plan, nonce: string): string {
  const dirs = newDirectoriesOf(plan) ?? [];
  if (dirs.length === 0) return '';
  const tests = dirs.map((d) => `[ -e ${quote(d)} ] || [ -h ${quote(d)} ]`).join(' || ');
  return `if ${tests}; then printf '\\036${nonce}G\\036\\n'; exit 0; fi\n`;
}

/** True when the script stopped at the guard of the task with this nonce (its output from `from` on). */
export function stoppedAtGuard(plan: Plan, nonce: string, stdout: string, from: number): boolean {
  return (newDirectoriesOf(plan)?.length ?? 0) > 0 && stdout.includes(`\x1e${nonce}G\x1e\n`, from);
}

/**
 * After a script stopped at a task's guard: what the task (and those batched after it) were
 * planned from is out of date. The facts reading what it would change, and its own, are stale:
 * it is planned again from a probe.
 */
export function distrustPlan(store: FactStore, p: Prepared, resources: readonly string[]): void {
  store.changed(resources);
  store.markStale(p);
}
