import { factsAfter } from '../facts/batching/new-directories.js';
import type { FactResult } from '../facts/probe.js';
import { userOf } from '../facts/fact-store.js';
import type { HostRunContext } from '../host/host-context.js';
import { decidedOnController, planTask } from '../plan/plan-task.js';
import type { Prepared, TaskNode } from '../prepare/plan-nodes.js';
import { stage, type Staged } from './stage.js';
import { endsBatch, isControlled, retries } from './task-kinds.js';

/** One item of a batch: a task to apply, one found in the desired state, or one skipped. */
export type BatchItem = { kind: 'apply'; staged: Staged } | { kind: 'ok'; p: Prepared; message: string } | { kind: 'skip'; p: Prepared };

/**
 * The items that run in the same script as the staged head `first` (item `start` of `tasks`):
 * the items after it that are independent of it, planned from facts that no task of the batch
 * writes (or that the fact predicts after new directories), run as the same user, and following
 * only tasks whose success is decided by exit codes alone (see `endsBatch`), so that the shell
 * can stop at the first failure exactly where a task-by-task run would. With `only`, followers
 * must be items of that task. `next` is the first item after the batch.
 */
export function composeBatch(ctx: HostRunContext, tasks: readonly Prepared[], start: number, first: Staged, only?: TaskNode): { items: BatchItem[]; next: number } {
  const user = userOf(first.p);
  const items: BatchItem[] = [{ kind: 'apply', staged: first }];
  const applied = [first];
  let next = start + 1;
  if (endsBatch(first.p)) return { items, next };
  for (; next < tasks.length; next++) {
    const q = tasks[next] as Prepared;
    if (only && q.node !== only) break;
    if (isControlled(q) || ctx.options.control?.taskByTask) break;
    if (q.skip) {
      items.push({ kind: 'skip', p: q });
      continue;
    }
    if (retries(q) || userOf(q) !== user || ctx.facts.isStale(q)) break;
    const facts = factsAfter(ctx.facts, q, applied);
    if (!facts) break;
    const follower = planFollower(ctx, q, facts);
    if (!follower) break;
    items.push(follower);
    if (follower.kind !== 'apply') continue;
    applied.push(follower.staged);
    if (endsBatch(q)) {
      next += 1;
      break;
    }
  }
  return { items, next };
}

/** A follower planned from the facts as they will be; undefined when it must run on its own turn (a read-only result and its failedWhen, what is decided on the controller, or an error, reported as usual there). */
function planFollower(ctx: HostRunContext, q: Prepared, facts: ReadonlyMap<string, FactResult>): BatchItem | undefined {
  try {
    const planned = planTask(ctx, q, facts);
    if (planned.plan.changes.length > 0) return { kind: 'apply', staged: stage(q, planned) };
    if (decidedOnController(planned.plan)) return undefined;
    return { kind: 'ok', p: q, message: planned.plan.reason ?? 'already in the desired state' };
  } catch {
    return undefined;
  }
}
