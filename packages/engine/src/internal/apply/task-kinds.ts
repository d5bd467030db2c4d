import type { Prepared } from '../prepare/plan-nodes.js';

/** True when the task runs attempt by attempt (`until` or `retries`). */
export function retries(p: Prepared): boolean {
  const o = p.task.options;
  return o.until !== undefined || (o.retries ?? 0) > 0;
}

/**
 * True for a task that runs in its own round trip: under batch-wide control (`runOnce`,
 * `throttle`, `delegateTo`), or because it restarts the host (`ModuleDefinition.reconnect`).
 */
export function isControlled(p: Prepared): boolean {
  const o = p.task.options;
  return p.delegate !== undefined || o.runOnce === true || o.throttle !== undefined || p.def.reconnect !== undefined;
}

/** True when a task's result is decided by more than its steps' exit codes, so no task may follow it in one script. */
export function endsBatch(p: Prepared): boolean {
  const o = p.task.options;
  return p.def.outcome !== undefined || o.failedWhen !== undefined || o.changedWhen !== undefined || o.ignoreErrors === true || retries(p);
}
