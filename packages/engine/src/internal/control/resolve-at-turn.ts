import { formatLocation } from '@converge/core';
import { gatherFacts, probeTasks } from '../facts/probing.js';
import type { HostRunContext } from '../host/host-context.js';
import { walkNodes, type Prepared, type TaskNode } from '../prepare/plan-nodes.js';
import { resolveTask } from '../prepare/resolve-task.js';
import { describeError } from '../report/failure.js';
import { UnknownInCheck } from '../prepare/set-vars.js';
import { registerNode, setVar } from './register.js';

/** A row for a task as a whole (no item), for results that concern no single item. */
export function nodeRow(ctx: HostRunContext, n: TaskNode, name: string): Prepared {
  const host = { name: ctx.hp.host, vars: {}, user: '', check: ctx.options.check, diff: ctx.options.diff };
  return { node: n, name, def: n.task.module, task: n.task, params: undefined, host, become: undefined, facts: {}, notify: [], answers: [], handler: n.handler };
}

/** Once facts are known, prepares the tasks that waited only for them, probing what they need in one round trip. */
export async function resolveFactsWaiters(ctx: HostRunContext): Promise<void> {
  const { state } = ctx.options;
  const known = state.facts ? { facts: state.facts } : {};
  const fresh: Prepared[] = [];
  for (const n of walkNodes(ctx.hp.nodes)) {
    if (n.ready || n.waitsFor !== 'facts') continue;
    const r = await resolveTask(ctx.hp.env, n, known);
    if (r.kind === 'ready') {
      n.ready = true;
      n.items = r.items;
      n.name = r.name;
      fresh.push(...r.items.filter((p) => !p.skip));
    } else if (r.kind === 'waits' && r.items) {
      n.items = r.items;
      n.waitsFor = r.on;
      fresh.push(...r.items.filter((p) => !p.skip));
    } else if (r.kind === 'waits') n.waitsFor = r.on;
    // Errors are reported at the task's turn, after the tasks before it ran.
  }
  if (fresh.length > 0) await probeTasks(ctx, fresh);
}

/**
 * Prepares a task that could not be before the host was contacted, now that the results
 * registered before it and the host facts are known (gathering the facts first when it reads
 * them), and probes its facts. A problem is the task's failure (with its location); in check
 * mode, a task that needs output only a real run gives is skipped with the reason.
 */
export async function resolveAtTurn(ctx: HostRunContext, n: TaskNode): Promise<'ready' | 'failed' | 'skipped'> {
  const { state } = ctx.options;
  for (let round = 0; round < 2; round++) {
    const r = await resolveTask(ctx.hp.env, n, { registered: state.registered, ...(state.vars ? { vars: state.vars } : {}), ...(state.facts ? { facts: state.facts } : {}) });
    if (r.kind === 'ready') {
      n.ready = true;
      n.items = r.items;
      n.name = r.name;
      await probeTasks(ctx, r.items.filter((p) => !p.skip));
      return 'ready';
    }
    if (r.kind === 'waits' && r.on === 'facts' && !state.facts && !state.factsError && round === 0) {
      await gatherFacts(ctx);
      continue;
    }
    const row = nodeRow(ctx, n, r.kind === 'waits' ? n.name : r.name);
    if (r.kind === 'unknown') {
      ctx.results.report(row, 'skipped', { message: r.message, checkUnknown: 'all' });
      registerNode(ctx, n, [row]);
      // The vars it would set are unknown too: tasks that read them are skipped with the reason.
      for (const name of n.task.sets ?? []) setVar(ctx, name, new UnknownInCheck(row.name));
      return 'skipped';
    }
    const message =
      r.kind === 'error'
        ? `${describeError(r.error)}${r.error.location ? ` (at ${formatLocation(r.error.location)})` : ''}`
        : r.on === 'facts'
          ? `host facts could not be gathered: ${state.factsError?.message ?? 'unknown error'}`
          : 'reads a registered result that no earlier task registered';
    const status = ctx.results.report(row, 'failed', { message, code: r.kind === 'error' ? r.error.code : 'CONVERGE_PLAYBOOK' });
    registerNode(ctx, n, [row]);
    if (status === 'failed') ctx.results.addFailure(row);
    return status === 'failed' ? 'failed' : 'skipped';
  }
  return 'failed';
}
