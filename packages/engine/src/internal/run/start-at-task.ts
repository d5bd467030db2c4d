import { ConvergeError } from '@converge/core';
import { globToRegExp } from '@converge/inventory';
import { walkNodes, type PlanNode, type PlayPlan, type TaskNode } from '../prepare/plan-nodes.js';

/**
 * `--start-at-task NAME`, as ansible-playbook: plays before the first task named NAME (the
 * name, or a glob of it with `*`, `?` and `[...]` as Python's fnmatch) run no task, that play
 * starts at that task, and later plays run whole. Only tasks that the tags select are
 * considered; handlers are not tasks here. Changes `plans` in place.
 * Source: ansible-core `PlayIterator` (start_at_task).
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` when no task of any play has that name, before any
 * host is contacted (ansible-playbook only says so after the run).
 */
export function applyStartAtTask(plans: PlayPlan[], name: string): void {
  const re = globToRegExp(name);
  const matches = (task: string) => task === name || re.test(task);
  let found = false;
  for (const plan of plans) {
    if (found) return;
    const starts = plan.hosts.map((hp) => walkNodes(hp.nodes).findIndex((n) => matches(n.name) || (n.items ?? []).some((p) => matches(p.name))));
    const hits = starts.filter((i) => i >= 0);
    const start = hits.length > 0 ? Math.min(...hits) : Number.POSITIVE_INFINITY;
    for (const hp of plan.hosts) {
      const keep = new Set(walkNodes(hp.nodes).slice(Number.isFinite(start) ? start : Number.MAX_SAFE_INTEGER));
      hp.nodes = prune(hp.nodes, keep);
    }
    if (hits.length > 0) found = true;
  }
  if (!found) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--start-at-task ${JSON.stringify(name)}: no task of the playbook has that name`, {
      hint: 'list the task names with --list-tasks (tags given with --tags/--skip-tags apply)',
    });
  }
}

/** The nodes with only the kept tasks left (blocks keep their structure, emptied of skipped tasks). */
function prune(nodes: readonly PlanNode[], keep: Set<TaskNode>): PlanNode[] {
  const out: PlanNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') {
      if (keep.has(n)) out.push(n);
      continue;
    }
    const b = { ...n, tasks: prune(n.tasks, keep), rescue: prune(n.rescue, keep), always: prune(n.always, keep) };
    if (b.tasks.length + b.rescue.length + b.always.length > 0) out.push(b);
  }
  return out;
}
