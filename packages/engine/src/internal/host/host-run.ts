import type { Play, Transport } from '@converge/core';
import { resolveFactsWaiters } from '../control/resolve-at-turn.js';
import { runList } from '../control/task-list.js';
import { probeTasks } from '../facts/probing.js';
import { notifiedHandlers, rememberedHandlers, runHandlers } from '../handlers/handlers.js';
import type { HostPlay } from '../prepare/plan-nodes.js';
import { verifyApplied } from '../verify/verify.js';
import { HostUnreachable, hostRunContext, pendingItems, type HostRunContext, type HostRunOptions } from './host-context.js';

/**
 * One host's part of one play, in the order of the run: facts (one probe of every fact of the
 * tasks prepared up front, with the host facts when asked), the tasks and blocks (plan, apply,
 * control), the notified handlers, and verify. Failures are rows of the report; the outcome
 * says how the host ended the play.
 */
export async function runHostPlay(hp: HostPlay, play: Play, transport: Transport, options: HostRunOptions): Promise<'ok' | 'failed' | 'unreachable'> {
  const ctx = hostRunContext(hp, play, transport, options);
  try {
    return await runSequence(ctx);
  } catch (e) {
    if (e instanceof HostUnreachable) return 'unreachable';
    throw e;
  }
}

async function runSequence(ctx: HostRunContext): Promise<'ok' | 'failed'> {
  const { options, hp } = ctx;
  const { state, control, check } = options;
  rememberedHandlers.load(ctx);
  const gather = hp.gatherFacts && !state.facts && !state.factsError;
  await probeTasks(ctx, pendingItems(ctx), false, gather);
  if (state.facts) await resolveFactsWaiters(ctx);

  let failed = await runList(ctx, hp.nodes);
  if (failed) control?.hostFailed(hp.host);
  else if (control?.shouldStop(hp.host)) failed = true;

  const handlers = notifiedHandlers(ctx);
  if (failed && !options.forceHandlers) {
    await rememberedHandlers.keep(ctx, handlers);
    return 'failed';
  }
  const handlersFailed = handlers.length > 0 ? await runHandlers(ctx, handlers) : false;
  await rememberedHandlers.settle(ctx, handlers, handlersFailed);
  if (failed || handlersFailed) return 'failed';
  if (!check) return (await verifyApplied(ctx)) ? 'ok' : 'failed';
  return 'ok';
}
