import { runTask } from '../apply/run-task.js';
import { probeTasks } from '../facts/probing.js';
import type { HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import type { ItemOutcome } from '../report/host-results.js';
import type { TaskStatus } from '../report/report.js';
import { runDelegated } from './delegate.js';
import { setVar } from './register.js';

/**
 * Runs a task that needs more than this host's connection: `runOnce` (one host of the batch
 * runs it, the others wait and take its result for `register`), `throttle` (a limit shared by
 * the batch) and `delegateTo` (run on the delegate). Always in its own round trip.
 */
export async function runControlled(ctx: HostRunContext, p: Prepared): Promise<TaskStatus> {
  const control = ctx.options.control;
  const opts = p.task.options;
  const go = async (): Promise<TaskStatus> => {
    if (p.skip) return ctx.results.report(p, 'skipped', { message: p.skip });
    const run = async () => {
      if (p.delegate) return runDelegated(ctx, p);
      await probeTasks(ctx, [p]);
      return runTask(ctx, p);
    };
    return control && opts.throttle ? control.throttle(p.task, opts.throttle, run) : run();
  };
  if (!opts.runOnce || !control || p.handler) return go();
  const once = await control.runOnce(p.task, p.item?.index ?? 0, ctx.hp.host, async () => {
    const status = await go();
    return { status, shared: ctx.results.outcome(p) };
  });
  if (once.ran) return once.status;
  // As Ansible: the other hosts of the batch get the runner's result (no row of their own).
  if (once.shared) ctx.results.setOutcome(p, { ...(once.shared as ItemOutcome) });
  else ctx.results.setOutcome(p, { status: once.status, ignored: false });
  // As Ansible: the vars a runOnce task sets are set on every host of the batch.
  for (const [name, value] of Object.entries((once.shared as ItemOutcome | undefined)?.vars ?? {})) setVar(ctx, name, value);
  if (once.status !== 'failed') return once.status;
  if (ctx.results.outcome(p)?.ignored) return 'ok';
  control.failWith(ctx.hp.host, `runOnce task "${p.name}" failed on ${once.runner}`);
  return 'failed';
}
