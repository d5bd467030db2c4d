import { createHash, randomBytes } from 'node:crypto';
import { ConvergeError, formatLocation } from '@converge/core';
import { hostVars, selectHosts } from '@converge/inventory';
import { prepareHostPlay, registeredNames, setVarNames } from '../prepare/prepare-host-play.js';
import { walkNodes, type HostPlay, type PlayPlan, type PrepEnv } from '../prepare/plan-nodes.js';
import { ExpectedVars } from '../prepare/set-vars.js';
import { HostReads } from '../prepare/unknown-reads.js';
import { asConvergeError } from '../report/failure.js';
import { connectionSpec } from './connection-spec.js';
import type { RunEvent } from '../report/report.js';
import type { PreparedHostPlay, RunOptions } from './run-options.js';
import { checkPlayControl, orderHosts, serialBatches } from './serial-batches.js';
import { shardHosts } from './shard.js';
import { applyStartAtTask } from './start-at-task.js';

/**
 * Prepares every play for every host before any host is contacted: hosts selected (`limit`, `shard`),
 * every task evaluated and its params validated, play options and hosts' connection vars
 * checked, `beforeConnect` called (a policy may stop the run there), then `startAtTask` applied.
 * Warns of a play whose host pattern matches no host.
 *
 * @throws ConvergeError with every problem found (one, or a list of them), each with its
 * location: `CONVERGE_PARAMS`, `CONVERGE_TEMPLATE`, `CONVERGE_PLAYBOOK`, `CONVERGE_INVENTORY`;
 * `CONVERGE_OPTIONS` for a `limit` that matches no host or an unknown `startAtTask`.
 */
export async function prepareRun(options: RunOptions, playbookDir: string, check: boolean, diff: boolean, emit: (e: RunEvent) => void): Promise<PlayPlan[]> {
  const { plans, errors } = await collectPlans(options, playbookDir, check, diff, emit);
  if (errors.length > 0) throw aggregate(errors);
  if (options.beforeConnect) await options.beforeConnect(preparedHostPlays(plans, options));
  if (options.startAtTask !== undefined) applyStartAtTask(plans, options.startAtTask);
  return plans;
}

/**
 * The part of {@link prepareRun} that finds problems: every play prepared for every host, play
 * options and connection settings checked, each problem collected (not thrown) with its location.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for a `limit` that matches no host.
 */
export async function collectPlans(
  options: Omit<RunOptions, 'transport'>,
  playbookDir: string,
  check: boolean,
  diff: boolean,
  emit: (e: RunEvent) => void,
): Promise<{ plans: PlayPlan[]; errors: ConvergeError[] }> {
  const limitHosts = options.limit ? new Set(selectHosts(options.inventory, options.limit)) : undefined;
  if (limitHosts && limitHosts.size === 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--limit ${JSON.stringify(options.limit)} matches no host of the inventory`, { hint: 'check the pattern with `converge inventory -i INVENTORY --list`' });
  }
  const inShard = options.shard ? shardHosts(limitHosts ?? options.inventory.hosts.keys(), options.shard) : undefined;
  const plans: PlayPlan[] = [];
  const errors: ConvergeError[] = [];
  const registered = registeredNames(options.playbook, errors);
  const setNames = setVarNames(options.playbook, errors);
  // Ansible's `omit`: one random placeholder per run (ansible-core 2.14 `VariableManager._omit_token`).
  const omit = `__omit_place_holder__${createHash('sha1').update(randomBytes(64)).digest('hex')}`;
  /** Per host for the whole run: what the evaluation in progress read that is not known yet, and the vars its tasks set. */
  const reads = new Map<string, HostReads>();
  const expected = new Map<string, ExpectedVars>();
  for (const play of options.playbook.plays) {
    errors.push(...checkPlayControl(play));
    const matched = selectHosts(options.inventory, play.hosts);
    if (matched.length === 0) {
      emit({ type: 'warning', message: `play "${play.name}": the host pattern ${JSON.stringify(play.hosts)} matches no host of the inventory (${options.inventory.sources.join(', ')}); the play does nothing` });
    }
    const hosts = matched.filter((h) => (!limitHosts || limitHosts.has(h)) && (!inShard || inShard.has(h)));
    // ansible_play_hosts and ansible_play_batch as the play will run them (order, serial batches).
    const playOrder = orderHosts(hosts, play.order, (h) => h);
    const batchOf = new Map(serialBatches(playOrder, play.serial).flatMap((batch) => batch.map((h) => [h, batch] as const)));
    const hostPlays: HostPlay[] = [];
    for (const host of hosts) {
      try {
        let hostReads = reads.get(host);
        if (!hostReads) reads.set(host, (hostReads = new HostReads()));
        let hostSets = expected.get(host);
        if (!hostSets) expected.set(host, (hostSets = new ExpectedVars()));
        const env: PrepEnv = { options, play, host, check, diff, magic: { playbookDir, check, diff, playHosts: playOrder, playBatch: batchOf.get(host) ?? playOrder, omit }, registeredNames: registered, setNames, reads: hostReads, expected: hostSets };
        hostPlays.push(await prepareHostPlay(env, playbookDir, errors));
      } catch (e) {
        errors.push(asConvergeError(e, 'CONVERGE_PLAYBOOK'));
      }
    }
    plans.push({ play, hosts: hostPlays });
  }
  errors.push(...connectionProblems(options, plans));
  return { plans, errors };
}

/** A host's connection vars (port, connection type; `checkConnection`'s checks) are checked here, not when it is reached. */
function connectionProblems(options: Omit<RunOptions, 'transport'>, plans: PlayPlan[]): ConvergeError[] {
  const errors: ConvergeError[] = [];
  for (const host of new Set(plans.flatMap((p) => p.hosts.map((h) => h.host)))) {
    try {
      const spec = connectionSpec(host, { ...(options.connectionVars ?? {}), ...hostVars(options.inventory, host), ...(options.extraVars ?? {}) });
      options.checkConnection?.(spec);
    } catch (e) {
      errors.push(asConvergeError(e, 'CONVERGE_INVENTORY'));
    }
  }
  return errors;
}

function aggregate(errors: ConvergeError[]): ConvergeError {
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  const first = unique[0] as ConvergeError;
  if (unique.length === 1) return first;
  const shown = unique.slice(0, 20).map((e) => (e.location ? `${e.message}\n  at ${formatLocation(e.location)}` : e.message));
  const more = unique.length > 20 ? `\n(and ${unique.length - 20} more)` : '';
  return new ConvergeError(first.code, `${unique.length} problems found before contacting any host:\n- ${shown.join('\n- ')}${more}`, { cause: first });
}

/** What {@link RunOptions.beforeConnect} is given: per play and host, the vars and the tasks that declare endpoints. */
export function preparedHostPlays(plans: PlayPlan[], options: Pick<RunOptions, 'inventory' | 'extraVars'>): PreparedHostPlay[] {
  const out: PreparedHostPlay[] = [];
  for (const { play, hosts } of plans) {
    for (const hp of hosts) {
      const tasks: PreparedHostPlay['tasks'] = [];
      for (const n of walkNodes([...hp.nodes, ...hp.handlers])) {
        const def = n.task.module;
        if (!def.endpoints) continue;
        const endpoints = n.ready && n.items ? n.items.flatMap((item) => (item.skip ? [] : (def.endpoints?.(item.params as never) ?? []))) : undefined;
        tasks.push({ name: n.name, module: def.name, endpoints });
      }
      out.push({ play: play.name, host: hp.host, vars: { ...hostVars(options.inventory, hp.host), ...(play.vars ?? {}), ...(options.extraVars ?? {}) }, tasks });
    }
  }
  return out;
}
