import type { FactRequest } from './fact.js';
import type { Change, Command, FileDiff, HostInfo, Module, Plan } from './module.js';
import type { TSchema } from '@sinclair/typebox';
import { validateParams } from './params.js';

/** What {@link planModule} returns: the plan and the steps apply would run. */
export interface ModuleCaseResult {
  changes: Change[];
  diffs: FileDiff[];
  reason: string | undefined;
  commands: Command[];
  /** The whole plan, for what a case checks beyond changes (`result`, `verdict`, `vars`, `output`). */
  plan: Plan;
}

/**
 * Runs a module's validate -> facts -> plan -> apply on recorded facts, without a host: the way
 * module cases `{ params, facts } -> { changes, commands }` are tested. `prepare` is not run:
 * pass already-prepared params when the module has one.
 *
 * @param facts - values keyed like the module's `facts` requests.
 * @throws ConvergeError `CONVERGE_PARAMS` for invalid params, as the engine would.
 */
export function planModule<S extends TSchema, F extends Record<string, FactRequest>, D, R>(
  mod: Module<S, F, D, R>,
  input: { params: unknown; facts: Record<string, unknown>; host?: Partial<HostInfo>; upstreamChanged?: boolean; predicted?: Record<string, unknown> },
): ModuleCaseResult {
  const def = mod.definition;
  const params = validateParams<R>(def.params, structuredCloneKeepingSecrets(input.params), `module ${def.name}`);
  const problem = def.validate?.(params as never);
  if (problem) throw new Error(`module ${def.name}: ${problem}`);
  const host: HostInfo = { name: 'test-host', vars: {}, user: 'root', check: false, diff: true, ...input.host };
  const facts = input.facts as never;
  const plan: Plan<D> = def.plan({ params, facts, host, upstreamChanged: input.upstreamChanged ?? false, ...(input.predicted ? { predicted: input.predicted } : {}) });
  const commands = plan.changes.length > 0 ? def.apply({ params, facts, host, upstreamChanged: input.upstreamChanged ?? false, plan }) : [];
  return { changes: plan.changes, diffs: plan.diffs ?? [], reason: plan.reason, commands, plan };
}

function structuredCloneKeepingSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneKeepingSecrets);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneKeepingSecrets(x)]));
  }
  return v;
}
