import { runBatch } from '../apply/batch-runner.js';
import { runTask } from '../apply/run-task.js';
import { isControlled, retries } from '../apply/task-kinds.js';
import type { HostRunContext } from '../host/host-context.js';
import type { Prepared, TaskNode } from '../prepare/plan-nodes.js';
import { runControlled } from './controlled.js';
import { registerNode } from './register.js';
import { nodeRow } from './resolve-at-turn.js';
import { runWithRetries } from './retries.js';

/**
 * Runs consecutive prepared tasks: in check mode and for handlers (`batch` false) one by one,
 * otherwise in batches (`runBatch`); tasks with `until`/`retries` run alone, attempt by
 * attempt; `runOnce`, `throttle` and `delegateTo` tasks under batch-wide control. Every item of
 * a loop runs even when one fails; then the tasks after it do not. Registers each task's result
 * once all its items ran. True when an item failed (not ignored), or the batch stopped the host.
 */
export async function runSegment(ctx: HostRunContext, nodes: TaskNode[], batch: boolean): Promise<boolean> {
  const items = nodes.flatMap((n) => n.items ?? []);
  for (const n of nodes) {
    if ((n.items ?? []).length > 0) continue;
    ctx.results.report(nodeRow(ctx, n, n.name), 'skipped', { message: 'no items in the loop' });
    registerNode(ctx, n, []);
  }
  let failedNode: TaskNode | undefined;
  for (let k = 0; k < items.length; ) {
    const p = items[k] as Prepared;
    if (failedNode && p.node !== failedNode) break;
    if (ctx.options.control?.shouldStop(ctx.hp.host)) return true;
    let next = k + 1;
    if (isControlled(p)) {
      if ((await runControlled(ctx, p)) === 'failed') failedNode ??= p.node;
    } else if (p.skip) ctx.results.report(p, 'skipped', { message: p.skip });
    else if (ctx.options.check || !batch) await runTask(ctx, p);
    else if (retries(p)) await runWithRetries(ctx, items, k);
    else next = (await runBatch(ctx, items, k, failedNode)).next;
    for (let x = k; x < next; x++) {
      const q = items[x] as Prepared;
      if (ctx.results.failed(q)) failedNode ??= q.node;
    }
    k = next;
  }
  for (const n of nodes) {
    const its = n.items ?? [];
    if (its.length === 0 || !its.every((p) => ctx.results.outcome(p))) continue;
    registerNode(ctx, n, its);
    for (const p of its) if (ctx.results.failed(p)) ctx.results.addFailure(p);
  }
  return failedNode !== undefined;
}
