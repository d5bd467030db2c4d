import { hostFacts, isConvergeError } from '@converge/core';
import type { BecomeSpec, FactRequest, HostFacts } from '@converge/core';
import { unreachable, type HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { userOf } from './fact-store.js';
import { probe, type FactResult } from './probe.js';

/**
 * Probes every fact of the given tasks that is not known or is stale (all of them with
 * `fresh`): one round trip per become user. With `gather`, the host facts ride along with the
 * first group. A become failure is the value of the facts it concerns; any other failure of the
 * connection ends the host's run (unreachable).
 */
export async function probeTasks(ctx: HostRunContext, tasks: readonly Prepared[], fresh = false, gather = false): Promise<void> {
  const groups = new Map<string, { become: BecomeSpec | undefined; reqs: FactRequest[] }>();
  for (const p of tasks) {
    for (const r of Object.values(p.facts)) {
      if (!ctx.facts.needsProbe(p, r, fresh)) continue;
      const g = groups.get(userOf(p)) ?? { become: p.become, reqs: [] };
      g.reqs.push(r);
      groups.set(userOf(p), g);
    }
  }
  const factsRequest = hostFacts({});
  if (gather) {
    const first = groups.values().next().value;
    if (first) first.reqs.push(factsRequest);
    else groups.set('', { become: undefined, reqs: [factsRequest] });
  }
  const state = ctx.options.state;
  for (const [user, g] of groups) {
    let results: Map<string, FactResult>;
    try {
      results = await probe(ctx.transport, g.reqs, g.become ? { become: g.become } : {});
    } catch (e) {
      if (isConvergeError(e) && e.code === 'CONVERGE_BECOME') {
        ctx.facts.storeFailure(user, g.reqs, e);
        if (g.reqs.includes(factsRequest)) state.factsError = e;
        continue;
      }
      unreachable(ctx, e);
    }
    if (gather) {
      const value = results.get(factsRequest.key);
      results.delete(factsRequest.key);
      if (value?.ok) state.facts = value.value as HostFacts;
      else if (value) state.factsError = value.error;
    }
    ctx.facts.store(user, g.reqs, results);
  }
}

/** Gathers the host facts in a round trip of their own (a task read them only once earlier results were known). */
export async function gatherFacts(ctx: HostRunContext): Promise<void> {
  await probeTasks(ctx, [], false, true);
}
