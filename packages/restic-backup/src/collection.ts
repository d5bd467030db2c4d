import { defineModule, Type } from '@converge/core';
import type { Change, Command, FactRequest, FactRequests, FactValues, FileDiff, HostInfo, Module, PlanWithChanges, Static } from '@converge/core';
import type { TSchema } from '@sinclair/typebox';

/** What a list module hands from plan to apply: the plan of each entry that changes. */
export interface ItemPlan<D = unknown> {
  index: number;
  plan: PlanWithChanges<D>;
}

/** The facts of a list module: each entry's facts under `<index>:<key>`. */
export type ListFacts = Record<`${number}:${string}`, FactRequest>;

/**
 * A module over a list: `{ <key>: [item params, …] }` is planned as one task whose changes are
 * those of the item module for each entry (paths prefixed with the entry's `name`), applied in
 * list order. It lets a role whose inputs are vars manage as many repositories or jobs as the
 * vars hold, with the item module's facts, plan and apply unchanged.
 *
 * @param item - a module without `prepare` or `outcome`, whose params have a `name`.
 */
export function listModule<S extends TSchema, F extends FactRequests<F>, D>(name: string, key: string, item: Module<S, F, D, Static<S>>, description: string) {
  const def = item.definition;
  const items = (p: Record<string, Static<S>[]>): Static<S>[] => p[key] ?? [];
  const label = (x: Static<S>, i: number): string => {
    const n: unknown = (x as { name?: unknown }).name;
    return typeof n === 'string' ? n : String(i);
  };
  const itemFacts = (x: Static<S>, host: HostInfo): [string, FactRequest][] =>
    Object.entries<FactRequest | undefined>(def.facts?.(x, host) ?? {}).flatMap(([k, r]) => (r ? [[k, r] as [string, FactRequest]] : []));
  /** Entry `i`'s fact values under the item module's own keys, as its plan and apply read them. */
  const entryFacts = (facts: Readonly<Record<string, unknown>>, i: number): FactValues<F> => {
    const out: Record<string, unknown> = {};
    const prefix = `${i}:`;
    for (const [k, v] of Object.entries(facts)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    // The keys are the item module's own (its facts were requested under them, prefixed).
    return out as FactValues<F>;
  };
  const params = Type.Object({ [key]: Type.Array(def.params, { description: `One entry per ${key.replace(/s$/, '')}: the params of ${def.name}.` }) }, { additionalProperties: false });
  return defineModule({
    name,
    description,
    params,
    validate: (p) => {
      const list = items(p);
      const names = list.map(label);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup !== undefined) return `${key}: ${dup} is listed twice`;
      for (const [i, x] of list.entries()) {
        const problem = def.validate?.(x);
        if (problem) return `${key}[${i}] (${label(x, i)}): ${problem}`;
      }
      return undefined;
    },
    facts: (p, host) => {
      const out: ListFacts = {};
      items(p).forEach((x, i) => {
        for (const [k, req] of itemFacts(x, host)) out[`${i}:${k}`] = req;
      });
      return out;
    },
    plan: ({ params: p, facts, host, upstreamChanged }) => {
      const changes: Change[] = [];
      const diffs: FileDiff[] = [];
      const reasons: string[] = [];
      const data: ItemPlan<D>[] = [];
      items(p).forEach((x, i) => {
        const plan = def.plan({ params: x, facts: entryFacts(facts, i), host, upstreamChanged });
        if (plan.changes.length === 0) {
          reasons.push(plan.reason ?? `${label(x, i)}: no change`);
          return;
        }
        changes.push(...plan.changes.map((c) => ({ ...c, path: `${label(x, i)}.${c.path}` })));
        diffs.push(...(plan.diffs ?? []));
        // A plan with changes: apply gets it as such.
        data.push({ index: i, plan: plan as PlanWithChanges<D> });
      });
      if (changes.length === 0) return { changes, reason: reasons.length > 0 ? reasons.join('; ') : `no ${key}` };
      return { changes, diffs, data };
    },
    apply: ({ params: p, facts, host, upstreamChanged, plan }) => {
      const list = items(p);
      const steps: Command[] = [];
      for (const { index, plan: itemPlan } of plan.data) {
        const x = list[index];
        if (x !== undefined) steps.push(...def.apply({ params: x, facts: entryFacts(facts, index), host, upstreamChanged, plan: itemPlan }));
      }
      return steps;
    },
    endpoints: (p) => items(p).flatMap((x) => def.endpoints?.(x as never) ?? []),
    resources: (p) => {
      const list = items(p);
      if (list.length === 0) return [];
      return [...new Set(list.flatMap((x) => def.resources?.(x) ?? ['*']))];
    },
  });
}
