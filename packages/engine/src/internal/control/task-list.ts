import type { HostRunContext } from '../host/host-context.js';
import type { BlockNode, PlanNode, TaskNode } from '../prepare/plan-nodes.js';
import { itemResult } from './register.js';
import { resolveAtTurn } from './resolve-at-turn.js';
import { runSegment } from './segment.js';

/**
 * Runs a list of tasks and blocks in order: consecutive tasks prepared up front run as one
 * segment (they may share scripts); a task prepared at its turn, and a block, end a segment.
 * True when the host failed in it.
 */
export async function runList(ctx: HostRunContext, nodes: readonly PlanNode[]): Promise<boolean> {
  let i = 0;
  while (i < nodes.length) {
    const n = nodes[i] as PlanNode;
    if (n.kind === 'block') {
      if (await runBlock(ctx, n)) return true;
      i += 1;
      continue;
    }
    if (!n.ready) {
      const turn = await resolveAtTurn(ctx, n);
      if (turn === 'failed') return true;
      if (turn === 'skipped') {
        i += 1;
        continue;
      }
    }
    const segment: TaskNode[] = [n];
    let j = i + 1;
    for (; j < nodes.length; j++) {
      const m = nodes[j] as PlanNode;
      // A task that sets vars starts a segment: the results of the tasks before it are registered first.
      if (m.kind !== 'task' || !m.ready || m.task.sets) break;
      segment.push(m);
    }
    if (await runSegment(ctx, segment, true)) return true;
    i = j;
  }
  return false;
}

/** Ansible's block: rescue runs when a task of the block failed (its failed rows become `rescued` when rescue succeeds), always runs in every case. */
async function runBlock(ctx: HostRunContext, b: BlockNode): Promise<boolean> {
  const mark = ctx.results.failureMark();
  let failed = await runList(ctx, b.tasks);
  if (failed && b.rescue.length > 0) {
    const caught = ctx.results.failuresSince(mark);
    const last = caught.at(-1);
    if (last) {
      // As Ansible: rescue tasks see the failed task and its result.
      const registered = ctx.options.state.registered;
      registered.set('ansible_failed_result', itemResult(ctx, last));
      registered.set('ansible_failed_task', { name: last.name, module: last.def.name, changed: false, failed: true, skipped: false });
    }
    failed = await runList(ctx, b.rescue);
    if (!failed) for (const p of caught) ctx.results.markRescued(p);
  }
  if (b.always.length > 0 && (await runList(ctx, b.always))) failed = true;
  return failed;
}
