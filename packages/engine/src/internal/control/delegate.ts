import { ConvergeError, maskText } from '@converge/core';
import type { Transport } from '@converge/core';
import { runTask } from '../apply/run-task.js';
import { probeTasks } from '../facts/probing.js';
import { emitTaskStart, HostUnreachable, hostRunContext, type HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { describeError } from '../report/failure.js';
import type { TaskStatus } from '../report/report.js';
import { verifyApplied } from '../verify/verify.js';

/**
 * Runs a delegated task on the delegate's connection, as a run of that one task there (see
 * {@link runAlone}); its result and notifications come back to this host, and its rows take the
 * place of the task's row here. The host's own fact store is not touched.
 */
export async function runDelegated(ctx: HostRunContext, p: Prepared): Promise<TaskStatus> {
  const delegate = p.delegate as string;
  const started = performance.now();
  let transport: Transport;
  try {
    if (!ctx.options.connect) throw new ConvergeError('CONVERGE_INTERNAL', 'no connection pool for delegated tasks');
    transport = await ctx.options.connect(delegate);
  } catch (e) {
    emitTaskStart(ctx, p);
    return ctx.results.report(p, 'failed', { message: `delegate ${delegate} is unreachable: ${maskText(describeError(e))}`, code: 'CONVERGE_CONNECT', started });
  }
  const { control: _c, ...rest } = ctx.options;
  const sub = hostRunContext({ ...ctx.hp, nodes: [], handlers: [] }, ctx.play, transport, { ...rest, delegate, record: ctx.results.recorderFor(p) });
  const status = await runAlone(sub, p);
  const outcome = sub.results.outcome(p);
  if (outcome) ctx.results.setOutcome(p, outcome);
  for (const n of sub.notified) ctx.notified.add(n);
  return status;
}

/**
 * Runs one task on the context's connection, outside the host's task list: probes its facts
 * (fresh: other hosts may be changing the delegate too), plans, applies and verifies at once
 * (what a delegated task needs on its delegate). The delegate's breakage is the task's failure.
 */
async function runAlone(ctx: HostRunContext, p: Prepared): Promise<TaskStatus> {
  const started = performance.now();
  try {
    await probeTasks(ctx, [p], true);
    let status = await runTask(ctx, p);
    if (status !== 'failed' && !ctx.options.check && !(await verifyApplied(ctx))) status = 'failed';
    return status;
  } catch (e) {
    if (!(e instanceof HostUnreachable)) throw e;
    return ctx.results.report(p, 'failed', { message: `delegate ${ctx.options.delegate ?? ctx.transport.host} is unreachable: ${maskText(e.message)}`, code: 'CONVERGE_CONNECT', started });
  }
}
