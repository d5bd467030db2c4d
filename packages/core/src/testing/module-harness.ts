import type { Static, TSchema } from '@sinclair/typebox';
import { ConvergeError } from '../errors.js';
import type { Change, Command, FactRequests, FactValues, FileDiff, HostInfo, Module, Plan, PlanWithChanges } from '../module.js';
import { cloneParams, validateParams } from '../params.js';
import { findSecretMask, SECRET_MASK } from '../secret.js';

/** One module case: params as a playbook gives them, and the facts' recorded values. */
export interface ModuleCase<F> {
  /** Params before validation (defaults are applied as the engine does). */
  params: unknown;
  /** Values keyed like the module's `facts` requests, e.g. `{ unit: parseFact(systemdUnit(...), recorded) }`. */
  facts: FactValues<F>;
  /** The host the task runs on; default `test-host`, user root, not check mode, diff on. */
  host?: Partial<HostInfo>;
  /** As the engine says in check mode when an earlier task changes what these facts read. */
  upstreamChanged?: boolean;
  /** As the engine says in check mode when earlier tasks predict these resources ({@link Plan.predicts}). */
  predicted?: Record<string, unknown>;
}

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
 * @param input - params, and fact values keyed like the module's `facts` requests.
 * @throws ConvergeError `CONVERGE_PARAMS` for params the schema or the module's `validate`
 * refuses, or that hold a secret's mask, as the engine would before contacting a host.
 * @example
 * const r = planModule(systemdService, { params: { name: 'nginx', state: 'started' }, facts: { unit } });
 * expect(r.commands.map((c) => String(c.script))).toEqual(['systemctl start -- nginx']);
 */
export function planModule<S extends TSchema, F extends FactRequests<F>, D, R>(mod: Module<S, F, D, R>, input: ModuleCase<F>): ModuleCaseResult {
  const def = mod.definition;
  const where = `module ${def.name}`;
  // Without `prepare` the validated params are what plan and apply take (R is Static<S>); with one, the case gives prepared params.
  const params = validateParams<Static<S> & R>(def.params, cloneParams(input.params), where);
  const masked = findSecretMask(params);
  if (masked) throw new ConvergeError('CONVERGE_PARAMS', `${where}: param "${masked}" holds "${SECRET_MASK}", a secret turned into text`);
  const problem = def.validate?.(params);
  if (problem) throw new ConvergeError('CONVERGE_PARAMS', `${where}: ${problem}`);
  const host: HostInfo = { name: 'test-host', vars: {}, user: 'root', check: false, diff: true, ...input.host };
  const upstreamChanged = input.upstreamChanged ?? false;
  const plan = def.plan({ params, facts: input.facts, host, upstreamChanged, ...(input.predicted ? { predicted: input.predicted } : {}) });
  const commands = plan.changes.length > 0 ? def.apply({ params, facts: input.facts, host, upstreamChanged, plan: plan as PlanWithChanges<D> }) : [];
  return { changes: plan.changes, diffs: plan.diffs ?? [], reason: plan.reason, commands, plan };
}
