import { setTimeout as sleep } from 'node:timers/promises';
import { maskText, type ExecResult, type Reconnect } from '@converge/core';
import { gatherFacts } from '../facts/probing.js';
import { isConnectionLost, type HostRunContext } from '../host/host-context.js';
import { renderDiff } from '../plan/diff.js';
import { describeError } from '../report/failure.js';
import type { TaskStatus } from '../report/report.js';
import { finishTask, markApplied, notify } from './finish.js';
import type { Staged } from './stage.js';
import { parseStepsOutput, stepsScript } from './steps.js';

/**
 * Applies a task that restarts the host (`ModuleDefinition.reconnect`): reads the boot identity,
 * runs the steps (a connection lost while they run is the restart under way), then gets the host
 * back ({@link reconnect}). Every module fact is stale after it (its resources are everything);
 * the host facts are gathered again when they were. The result gets `rebooted` and `elapsed`.
 */
export async function runRestarting(ctx: HostRunContext, staged: Staged, spec: Reconnect, started: number): Promise<TaskStatus> {
  const p = staged.p;
  const before = await bootId(ctx, spec);
  if (!before.ok) return ctx.results.report(p, 'failed', { message: `cannot read the boot identity before restarting: ${before.message}`, code: 'CONVERGE_APPLY', started });
  let exec: ExecResult | undefined;
  try {
    exec = await ctx.transport.exec(stepsScript(staged.steps, staged.nonce), p.become ? { become: p.become } : {});
  } catch (e) {
    if (!isConnectionLost(e)) throw e;
  }
  // Steps that failed (or printed no result) did not start the restart: reported as any apply.
  if (exec && !stepsSucceeded(staged, exec)) return finishTask(ctx, staged, exec, started);
  const back = await reconnect(ctx, spec, before.id);
  if (!back.ok) {
    markApplied(ctx, p, staged.resources);
    return ctx.results.report(p, 'failed', { message: back.message, code: 'CONVERGE_TIMEOUT', changes: staged.plan.changes, started });
  }
  if (ctx.options.state.facts) await gatherFacts(ctx);
  const more = { rebooted: true, elapsed: back.elapsed };
  if (exec) return finishTask(ctx, staged, exec, started, false, more);
  markApplied(ctx, p, staged.resources);
  notify(ctx, p);
  const { plan } = staged;
  return ctx.results.report(p, 'changed', { changes: plan.changes, ...(ctx.options.diff ? { diff: renderDiff(plan.changes, plan.diffs ?? []) } : {}), result: more, started });
}

/** True when every step of a staged task ran and exited with a code it accepts. */
function stepsSucceeded(a: Staged, exec: ExecResult): boolean {
  try {
    const results = parseStepsOutput(a.steps, a.nonce, exec);
    return results.length === a.steps.length && results.every((r) => (a.steps[r.index]?.okExitCodes ?? [0]).includes(r.exitCode));
  } catch {
    return false;
  }
}

/** The host's boot identity ({@link Reconnect.bootId}), read as the login user. */
async function bootId(ctx: HostRunContext, spec: Reconnect): Promise<{ ok: true; id: string } | { ok: false; message: string }> {
  try {
    const r = await ctx.transport.exec(String(spec.bootId));
    const id = r.stdout.trim();
    return r.exitCode === 0 && id !== '' ? { ok: true, id } : { ok: false, message: `exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ', no output'}` };
  } catch (e) {
    if (isConnectionLost(e)) return { ok: false, message: describeError(e) };
    throw e;
  }
}

/**
 * Closes the connection, waits the spec's settle time, and connects again once a second until
 * the host answers with another boot identity than `before` and the test command succeeds,
 * within the spec's timeout (an attempt under way when it runs out may end up to the host's
 * connect timeout later). Before the restart is seen, a connection may still reach the boot
 * that is going down: it is closed and tried again.
 */
async function reconnect(ctx: HostRunContext, spec: Reconnect, before: string): Promise<{ ok: true; elapsed: number } | { ok: false; message: string }> {
  const t = ctx.transport;
  const t0 = performance.now();
  const deadline = t0 + spec.timeoutSeconds * 1000;
  await t.close();
  if (spec.settleSeconds) await sleep(spec.settleSeconds * 1000);
  let back = false;
  let last = 'it never answered';
  for (;;) {
    try {
      await t.connect();
      if (!back) {
        const now = await bootId(ctx, spec);
        back = now.ok && now.id !== before;
        last = now.ok ? 'it answered with the boot identity it had before (it did not restart)' : `reading its boot identity failed: ${now.message}`;
      }
      if (back) {
        const test = spec.test === undefined ? undefined : await t.exec(String(spec.test));
        if (!test || test.exitCode === 0) return { ok: true, elapsed: Math.round((performance.now() - t0) / 1000) };
        last = `it restarted, but the test command exited with ${test.exitCode}${test.stderr.trim() ? `: ${test.stderr.trim()}` : ''}`;
      }
    } catch (e) {
      last = describeError(e);
    }
    if (performance.now() >= deadline) break;
    if (!back) await t.close();
    await sleep(1000);
  }
  return { ok: false, message: `the host did not come back within ${spec.timeoutSeconds} s: ${maskText(last)}` };
}
