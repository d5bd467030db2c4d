import { setTimeout as sleep } from 'node:timers/promises';
import { formatLocation, type RegisteredResult } from '@converge/core';
import { runBatch } from '../apply/batch-runner.js';
import { HostUnreachable, type HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { describeError } from '../report/failure.js';
import type { ItemOutcome } from '../report/host-results.js';
import { itemResult } from './register.js';

/**
 * Ansible's `until`/`retries`: runs item `k` again, `delay` seconds apart, until the condition
 * holds for its result (by default: until it does not fail), at most `retries` more times
 * (3 with `until` alone). Each attempt plans from fresh facts; its row stays quiet until the
 * last attempt, which is shown (or replaced by the failure that ends the retries, or by the
 * host's becoming unreachable).
 */
export async function runWithRetries(ctx: HostRunContext, items: Prepared[], k: number): Promise<void> {
  const p = items[k] as Prepared;
  const o = p.task.options;
  const attempts = 1 + (o.retries ?? (o.until ? 3 : 0));
  const until = o.until ?? ((r: RegisteredResult) => !r.failed);
  const delayMs = Math.round((o.delay ?? 5) * 1000);
  ctx.results.beginAttempts(p);
  let lost: HostUnreachable | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      ctx.results.setAttempt(p, attempt);
      await runBatch(ctx, items, k, p.node);
      const outcome = ctx.results.outcome(p) as ItemOutcome;
      let done: boolean;
      try {
        done = until(itemResult(ctx, p));
      } catch (e) {
        ctx.results.endQuiet(p);
        ctx.results.report(p, 'failed', { message: `until failed: ${describeError(e)}${p.task.site ? ` (at ${formatLocation(p.task.site)})` : ''}`, code: 'CONVERGE_PLAYBOOK' });
        return;
      }
      if (done) return;
      if (attempt >= attempts) {
        ctx.results.endQuiet(p);
        const last = outcome.message ? `; last result: ${outcome.status}: ${outcome.message}` : `; last result: ${outcome.status}`;
        ctx.results.report(p, 'failed', {
          message: `${o.until ? 'until condition not met' : 'still failing'} after ${attempt} attempts${last}`,
          code: 'CONVERGE_APPLY',
          ...(outcome.result ? { result: outcome.result } : {}),
        });
        return;
      }
      ctx.options.emit({ type: 'task-retry', play: ctx.play.name, host: ctx.hp.host, task: p.name, attempt, retriesLeft: attempts - attempt, ...(outcome.message ? { message: outcome.message } : {}) });
      if (delayMs > 0) await sleep(delayMs);
      // The next attempt plans from fresh facts.
      ctx.facts.markStale(p);
    }
  } catch (e) {
    if (e instanceof HostUnreachable) lost = e;
    throw e;
  } finally {
    ctx.results.endAttempts(p, lost?.message);
  }
}
