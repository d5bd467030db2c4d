import type { RegisteredResult } from '@converge/core';
import type { HostRunContext } from '../host/host-context.js';
import type { Prepared, TaskNode } from '../prepare/plan-nodes.js';
import { checkModeView } from '../prepare/unknown-reads.js';

/** The result of one item as `register` and `until` see it (Ansible's shape). */
export function itemResult(ctx: HostRunContext, p: Prepared): RegisteredResult {
  const o = ctx.results.outcome(p);
  const status = o?.status ?? 'skipped';
  const r: RegisteredResult = { ...(o?.result ?? {}), changed: status === 'changed' || status === 'unknown', failed: status === 'failed', skipped: status === 'skipped' };
  if (typeof r.stdout === 'string' && !Array.isArray(r.stdout_lines)) r.stdout_lines = r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n');
  if (typeof r.stderr === 'string' && !Array.isArray(r.stderr_lines)) r.stderr_lines = r.stderr === '' ? [] : r.stderr.replace(/\n$/, '').split('\n');
  if (o?.message !== undefined && r.msg === undefined) r.msg = o.message;
  if (o?.attempts !== undefined) r.attempts = o.attempts;
  if (p.item) r.item = p.item.value;
  return r;
}

/** Keeps a task's result under its `register` name: one item's result, or a loop's `results` (in check mode, views that mark what only a real run gives). */
export function registerNode(ctx: HostRunContext, n: TaskNode, items: Prepared[]): void {
  const name = n.task.options.register;
  if (!name) return;
  const env = ctx.hp.env;
  const view = (p: Prepared): RegisteredResult => {
    const r = itemResult(ctx, p);
    const unknown = ctx.results.outcome(p)?.checkUnknown;
    return unknown ? checkModeView(r, unknown, p.name, env) : r;
  };
  let result: RegisteredResult;
  if (n.task.options.loop === undefined || (items.length === 1 && !items[0]?.item)) {
    const only = items[0];
    result = only ? view(only) : { changed: false, failed: false, skipped: true, msg: 'no items in the loop', results: [] };
  } else {
    const results = items.map(view);
    const outcomes = items.map((p) => ctx.results.outcome(p));
    const changed = outcomes.some((o) => o?.status === 'changed' || o?.status === 'unknown');
    const failed = outcomes.some((o) => o?.status === 'failed');
    const skipped = outcomes.every((o) => o?.status === 'skipped');
    result = { changed, failed, skipped, results, ...(failed ? { msg: 'one or more items failed' } : skipped ? { msg: items.length === 0 ? 'no items in the loop' : 'all items skipped' } : {}) };
    if (outcomes.some((o) => o?.checkUnknown === 'all')) result = checkModeView(result, 'all', n.name, env);
  }
  ctx.options.state.vars?.delete(name);
  ctx.options.state.registered.set(name, result);
}

/** Sets a host var for the later tasks of the host (`Plan.vars`); it takes the place of a result registered under the same name. */
export function setVar(ctx: HostRunContext, name: string, value: unknown): void {
  const { state } = ctx.options;
  state.registered.delete(name);
  (state.vars ??= new Map()).set(name, value);
}
