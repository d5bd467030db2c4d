import { probeTasks } from '../facts/probing.js';
import type { HostRunContext } from '../host/host-context.js';
import type { TaskNode } from '../prepare/plan-nodes.js';
import { resolveAtTurn } from '../control/resolve-at-turn.js';
import { runSegment } from '../control/segment.js';

/** The play's handlers that were notified (by name or `listen`), in the order of the play. */
export function notifiedHandlers(ctx: HostRunContext): TaskNode[] {
  return ctx.hp.handlers.filter((h) => h.answers.some((a) => ctx.notified.has(a)));
}

/**
 * Runs notified handlers, one task at a time, after preparing those that read results of the
 * play: one probe for all of them first. True when one failed.
 */
export async function runHandlers(ctx: HostRunContext, handlers: TaskNode[]): Promise<boolean> {
  for (const h of handlers) {
    if (h.ready) continue;
    const turn = await resolveAtTurn(ctx, h);
    if (turn === 'failed') return true;
  }
  const ready = handlers.filter((h) => h.ready);
  await probeTasks(
    ctx,
    ready.flatMap((h) => (h.items ?? []).filter((p) => !p.skip && !p.delegate)),
  );
  for (const h of ready) {
    if (await runSegment(ctx, [h], false)) return true;
  }
  return false;
}

/**
 * Remembers handlers across runs (field case C-19): handlers notified by a run that failed
 * before running them are written to the pending-handlers file, and those left by an earlier
 * run count as notified. Not in check mode.
 */
export const rememberedHandlers = {
  /** Marks the handlers an earlier failed run of this playbook and play left pending as notified. */
  load(ctx: HostRunContext): void {
    const { pending, playbookPath } = ctx.options;
    for (const h of pending.get(playbookPath, ctx.play.name, ctx.hp.host)) ctx.notified.add(h);
  },

  /** The host failed before its handlers ran: keeps them for the next run, and warns. */
  async keep(ctx: HostRunContext, handlers: TaskNode[]): Promise<void> {
    const { pending, playbookPath, check, emit } = ctx.options;
    if (check || handlers.length === 0) return;
    await pending.set(playbookPath, ctx.play.name, ctx.hp.host, handlers.map((h) => h.name));
    emit({ type: 'warning', host: ctx.hp.host, message: `handlers not run because a task failed; the next run will run them: ${handlers.map((h) => h.name).join(', ')}` });
  },

  /** After the handlers ran: clears the host's pending handlers, or keeps those that failed before they applied anything. */
  async settle(ctx: HostRunContext, handlers: TaskNode[], handlersFailed: boolean): Promise<void> {
    const { pending, playbookPath, check } = ctx.options;
    if (check) return;
    const left = handlersFailed ? handlers.filter((h) => !(h.items ?? []).some((p) => ctx.changes.wasApplied(p))).map((h) => h.name) : [];
    if (pending.get(playbookPath, ctx.play.name, ctx.hp.host).length > 0 || left.length > 0) await pending.set(playbookPath, ctx.play.name, ctx.hp.host, left);
  },
};
