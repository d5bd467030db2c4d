import { dirname, resolve } from 'node:path';
import { formatLocation, type ConvergeError } from '@converge/core';
import { walkNodes } from '../prepare/plan-nodes.js';
import { asConvergeError } from '../report/failure.js';
import type { RunEvent } from '../report/report.js';
import { collectPlans, preparedHostPlays } from './prepare-run.js';
import type { PreparedHostPlay, RunOptions } from './run-options.js';

/** Options of {@link validatePlaybook}: those of a run, less what only connecting and running need. */
export type ValidateOptions = Omit<RunOptions, 'transport' | 'forks' | 'connectConcurrency' | 'forceHandlers' | 'startAtTask' | 'stateDir' | 'onEvent'>;

/** What {@link validatePlaybook} found. */
export interface PlaybookValidation {
  /** Every problem, each with its location where known (duplicates removed); empty when a run would start. */
  problems: ConvergeError[];
  /** Warnings a run would print (a play whose pattern matches no host). */
  warnings: string[];
  /** Per play and host, what a run would do (as {@link RunOptions.beforeConnect} gets it). */
  targets: PreparedHostPlay[];
  /**
   * Task rows prepared before any host is contacted (each loop item counts), and tasks that
   * are prepared at their turn (they read facts or registered results).
   */
  tasks: { prepared: number; atTheirTurn: number };
}

/**
 * Everything a run checks before it contacts a host, and nothing after: every play's hosts,
 * every task of every host evaluated and its params validated (templates rendered, files read),
 * the vars each play and role declares checked against every host's vars, play options, each
 * host's connection settings (`checkConnection`), then `beforeConnect` (a policy such as data
 * residency) when nothing else failed. No transport is made and no host contacted.
 *
 * @returns the problems (collected, not thrown) and what a run would do.
 * @throws ConvergeError `CONVERGE_OPTIONS` for a `limit` that matches no host.
 */
export async function validatePlaybook(options: ValidateOptions): Promise<PlaybookValidation> {
  const check = options.check ?? false;
  const diff = options.diff ?? false;
  const warnings: string[] = [];
  const emit = (e: RunEvent): void => {
    if (e.type === 'warning') warnings.push(e.message);
  };
  const { plans, errors } = await collectPlans(options, dirname(resolve(options.playbookPath)), check, diff, emit);
  const targets = preparedHostPlays(plans, options);
  if (errors.length === 0 && options.beforeConnect) {
    try {
      await options.beforeConnect(targets);
    } catch (e) {
      errors.push(asConvergeError(e, 'CONVERGE_PLAYBOOK'));
    }
  }
  const nodes = plans.flatMap((p) => p.hosts.flatMap((h) => walkNodes([...h.nodes, ...h.handlers])));
  return {
    problems: [...new Map(errors.map((e) => [`${e.message}@${e.location ? formatLocation(e.location) : ''}`, e])).values()],
    warnings,
    targets,
    tasks: { prepared: nodes.reduce((n, t) => n + (t.ready ? (t.items?.length ?? 0) : 0), 0), atTheirTurn: nodes.filter((t) => !t.ready).length },
  };
}
