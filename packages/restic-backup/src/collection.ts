import { defineModule, Type } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, HostInfo, Module, ModuleDefinition, Plan } from '@converge/core';
import type { TArray, TObject, TSchema } from '@sinclair/typebox';

type AnyDef = ModuleDefinition<TSchema, Record<string, FactRequest>, unknown, unknown>;

/** What a list module hands from plan to apply: the plan of each entry that changes. */
export interface ItemPlan {
  index: number;
  plan: Plan;
}

/**
 * A module over a list: `{ <key>: [item params, …] }` is planned as one task whose changes are
 * those of the item module for each entry (paths prefixed with the entry's `name`), applied in
 * list order. It lets a role whose inputs are vars manage as many repositories or jobs as the
 * vars hold, with the item module's facts, plan and apply unchanged.
 *
 * @param item - a module without `prepare` or `outcome`, whose params have a `name`.
 */
export function listModule<S extends TSchema>(
  name: string,
  key: string,
  item: Module<S, Record<string, FactRequest>, unknown, unknown>,
  description: string,
): Module<TObject<Record<string, TArray<S>>>, Record<string, FactRequest>, ItemPlan[], unknown> {
  const def = item.definition as unknown as AnyDef;
  const items = (p: unknown): { name?: string }[] => ((p as Record<string, unknown>)[key] as { name?: string }[] | undefined) ?? [];
  const label = (x: { name?: string }, i: number): string => x.name ?? String(i);
  const subFacts = (facts: Record<string, unknown>, i: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const prefix = `${i}:`;
    for (const [k, v] of Object.entries(facts)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  };
  const params = Type.Object({ [key]: Type.Array(def.params as S, { description: `One entry per ${key.replace(/s$/, '')}: the params of ${def.name}.` }) }, { additionalProperties: false });
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
        const problem = def.validate?.(x as never);
        if (problem) return `${key}[${i}] (${label(x, i)}): ${problem}`;
      }
      return undefined;
    },
    facts: (p, host: HostInfo) => {
      const out: Record<string, FactRequest> = {};
      items(p).forEach((x, i) => {
        for (const [k, req] of Object.entries(def.facts?.(x as never, host) ?? {})) out[`${i}:${k}`] = req;
      });
      return out;
    },
    plan: ({ params: p, facts, host, upstreamChanged }) => {
      const changes: Change[] = [];
      const diffs: FileDiff[] = [];
      const reasons: string[] = [];
      const data: ItemPlan[] = [];
      items(p).forEach((x, i) => {
        const plan = def.plan({ params: x as never, facts: subFacts(facts as Record<string, unknown>, i) as never, host, upstreamChanged });
        if (plan.changes.length === 0) {
          reasons.push(plan.reason ?? `${label(x, i)}: no change`);
          return;
        }
        changes.push(...plan.changes.map((c) => ({ ...c, path: `${label(x, i)}.${c.path}` })));
        diffs.push(...(plan.diffs ?? []));
        data.push({ index: i, plan });
      });
      if (changes.length === 0) return { changes, reason: reasons.length > 0 ? reasons.join('; ') : `no ${key}` };
      return { changes, diffs, data };
    },
    apply: ({ params: p, facts, host, upstreamChanged, plan }) => {
      const list = items(p);
      const steps: Command[] = [];
      for (const { index, plan: itemPlan } of plan.data ?? []) {
        steps.push(...def.apply({ params: list[index] as never, facts: subFacts(facts as Record<string, unknown>, index) as never, host, upstreamChanged, plan: itemPlan }));
      }
      return steps;
    },
    endpoints: (p) => items(p).flatMap((x) => def.endpoints?.(x as never) ?? []),
    resources: (p) => {
      const list = items(p);
      if (list.length === 0) return [];
      return [...new Set(list.flatMap((x) => def.resources?.(x as never) ?? ['*']))];
    },
  }) as unknown as Module<TObject<Record<string, TArray<S>>>, Record<string, FactRequest>, ItemPlan[], unknown>;
}
