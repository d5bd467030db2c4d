import { ConvergeError, type SourceLocation } from '@converge/core';
import type { Inventory } from '@converge/inventory';
import type { TaskContext, TaskOptions } from '@converge/core';

/**
 * Checks a task's execution options (`throttle`, `runOnce`, `delegateTo`) for one host and
 * resolves `delegateTo` (a host name or a function of the host's context) to the host the task
 * runs on. A delegate equal to the host itself is no delegation.
 *
 * @returns the delegate host, or undefined when the task runs on its own host.
 * @throws ConvergeError `CONVERGE_PLAYBOOK` (with the task's location) for a throttle that is
 * not a whole number >= 1, a non-boolean runOnce, runOnce on a handler, or a delegate that is not
 * an inventory host (nor `localhost`) or whose function throws.
 */
export function resolveTaskControl(
  opts: TaskOptions,
  ctx: TaskContext,
  inventory: Inventory,
  where: string,
  handler: boolean,
  site: SourceLocation | undefined,
): string | undefined {
  const fail = (message: string, hint?: string, cause?: unknown): never => {
    throw new ConvergeError('CONVERGE_PLAYBOOK', `${where}: ${message}`, { ...(site ? { location: site } : {}), ...(hint ? { hint } : {}), ...(cause ? { cause } : {}) });
  };
  if (opts.throttle !== undefined && !(typeof opts.throttle === 'number' && Number.isInteger(opts.throttle) && opts.throttle >= 1)) {
    fail(`throttle ${JSON.stringify(opts.throttle)} is not a whole number >= 1`, 'throttle: 1 runs the task on one host at a time');
  }
  if (opts.runOnce !== undefined && typeof opts.runOnce !== 'boolean') fail('runOnce must be true or false');
  if (opts.runOnce && handler) fail('runOnce is not supported on handlers', 'run the handler on every notified host, or make it a task with runOnce');
  if (opts.delegateTo === undefined) return undefined;
  let delegate: unknown;
  try {
    delegate = typeof opts.delegateTo === 'function' ? opts.delegateTo(ctx) : opts.delegateTo;
  } catch (e) {
    fail(`computing delegateTo failed: ${(e as Error).message}`, undefined, e);
  }
  if (typeof delegate !== 'string' || delegate.trim() === '') fail(`delegateTo gave ${JSON.stringify(delegate)}, not a host name`);
  const name = delegate as string;
  if (name !== 'localhost' && !inventory.hosts.has(name)) {
    fail(`delegateTo host "${name}" is not in the inventory`, 'delegate to an inventory host (its connection vars are used) or to localhost');
  }
  return name === ctx.host ? undefined : name;
}
