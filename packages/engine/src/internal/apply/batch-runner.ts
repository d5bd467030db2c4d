import type { Command, ExecResult, FactRequest } from '@converge/core';
import { removeUploads, uploadControllerFiles } from './controller-files.js';
import { aheadRequests } from '../facts/batching/ahead.js';
import { distrustPlan, newDirectoriesGuard, newDirectoriesOf, stoppedAtGuard } from '../facts/batching/new-directories.js';
import { userOf } from '../facts/fact-store.js';
import { parseProbeOutput, probeScript } from '../facts/probe.js';
import { probeTasks } from '../facts/probing.js';
import { emitTaskStart, HostUnreachable, isConnectionLost, pendingItems, unreachable, type HostRunContext } from '../host/host-context.js';
import { planTask, reportUnchanged } from '../plan/plan-task.js';
import type { Prepared, TaskNode } from '../prepare/plan-nodes.js';
import { asConvergeError, describeError } from '../report/failure.js';
import { composeBatch, type BatchItem } from './batch-composer.js';
import { finishTask } from './finish.js';
import { stage, type Staged } from './stage.js';
import { newNonce, stepsScript } from './steps.js';

/** Where a batch ended: `next` is the first item not run (the one after a failure). */
export interface BatchEnd {
  next: number;
  failed: boolean;
}

/**
 * Runs item `start` (not check mode) and, in the same round trip, the items after it that are
 * independent of it ({@link composeBatch}). Facts that the batch makes stale are probed again
 * at the end of its script for the tasks still to come (`aheadRequests`), as task by task.
 * Reports stay in order. `announced`: the head's task-start event was emitted already (its first
 * script stopped before it, at a new-directories guard).
 */
export async function runBatch(ctx: HostRunContext, tasks: Prepared[], start: number, only?: TaskNode, announced = false): Promise<BatchEnd> {
  const head = tasks[start] as Prepared;
  const started = performance.now();
  if (!announced) emitTaskStart(ctx, head);
  const first = await planHead(ctx, head, started);
  if (first.kind === 'done') return { next: start + 1, failed: first.failed };
  const { items, next } = composeBatch(ctx, tasks, start, first.staged, only);
  const applies = items.flatMap((it) => (it.kind === 'apply' ? [it.staged] : []));
  const user = userOf(head);
  // The shell stops at the first failed step, so this probe runs only after every apply succeeded.
  const ahead = aheadRequests(ctx.facts, pendingItems(ctx), applies, user, new Set(items.map((it) => (it.kind === 'apply' ? it.staged.p : it.p))));
  const aheadNonce = newNonce();
  const { live, finished, onStdout } = liveStarts(ctx, items, head, started);
  let exec: ExecResult;
  let uploads = new Map<Command, string>();
  let allRan = false;
  try {
    uploads = await uploadControllerFiles(ctx.transport, applies.flatMap((a) => a.steps), head.become);
    const script = [...applies.map((a) => newDirectoriesGuard(a.plan, a.nonce) + stepsScript(a.steps, a.nonce, uploads)), ...(ahead.length > 0 ? [probeScript(ahead, aheadNonce)] : [])].join('\n');
    exec = await ctx.transport.exec(script, head.become ? { become: head.become, onStdout } : { onStdout });
    allRan = exec.exitCode === 0;
  } catch (e) {
    if (isConnectionLost(e)) unreachable(ctx, e);
    const err = asConvergeError(e, 'CONVERGE_APPLY');
    ctx.results.report(head, 'failed', { message: describeError(err), code: err.code, started });
    return { next: start + 1, failed: true };
  } finally {
    // Each step removes the file it read; steps that did not run (a failure stopped the script) left theirs.
    if (uploads.size > 0 && !allRan) await removeUploads(ctx.transport, uploads, head.become);
  }
  const end = readBatch(ctx, items, exec, started, live, finished);
  if (end.kind === 'guard') return end.p === head ? runBatch(ctx, tasks, start, only, true) : { next: tasks.indexOf(end.p), failed: false };
  if (end.kind === 'failed') return { next: tasks.indexOf(end.p) + 1, failed: true };
  // Without its last marker the probe did not run: a step failed (its error ignored) and the shell stopped.
  if (ahead.length > 0 && exec.stdout.includes(`\x1e${aheadNonce}F${ahead.length - 1}:`)) storeAhead(ctx, user, ahead, aheadNonce, exec, end);
  return { next, failed: false };
}

/** The head of a batch planned and staged; or, when it has nothing to apply or its plan failed, whether it failed. */
async function planHead(ctx: HostRunContext, head: Prepared, started: number): Promise<{ kind: 'staged'; staged: Staged } | { kind: 'done'; failed: boolean }> {
  try {
    if (ctx.facts.isStale(head)) await probeTasks(ctx, [head, ...pendingItems(ctx).filter((t) => t !== head)]);
    const planned = planTask(ctx, head);
    if (planned.plan.changes.length === 0) return { kind: 'done', failed: (await reportUnchanged(ctx, head, planned.plan, started)) === 'failed' };
    return { kind: 'staged', staged: stage(head, planned) };
  } catch (e) {
    if (e instanceof HostUnreachable) throw e;
    const err = asConvergeError(e, 'CONVERGE_PLAN');
    ctx.results.report(head, 'failed', { message: describeError(err), code: err.code, started });
    return { kind: 'done', failed: true };
  }
}

/** How reading a batch's output ended: every item reported (with where the ahead probe's output starts), a failed item, or a guard that stopped the script before an item. */
type ReadEnd = { kind: 'done'; outAt: number; errAt: number } | { kind: 'failed'; p: Prepared } | { kind: 'guard'; p: Prepared };

/**
 * Follows a batch's script as its stdout arrives. When the last step marker of a task arrives
 * and the script goes on, the task has succeeded: every task but the last of a batch is decided
 * by its steps' exit codes alone (see `endsBatch`), and the shell stops at the first failed
 * step. That task is then reported at once (`finished`), so that its result (and its audit
 * record) does not wait for the whole script, and the next task starts (its `task-start`), so
 * that the live line names the task that runs. `live`: the tasks announced so far (the head is,
 * by its caller).
 */
function liveStarts(ctx: HostRunContext, items: readonly BatchItem[], head: Prepared, started: number): { live: Set<Prepared>; finished: Set<BatchItem>; onStdout: (chunk: string) => void } {
  const applies = items.flatMap((it) => (it.kind === 'apply' ? [it.staged] : []));
  const live = new Set<Prepared>([head]);
  const finished = new Set<BatchItem>();
  let running = 0;
  // stdout from the end of the last finished task's output
  let rest = '';
  const onStdout = (chunk: string): void => {
    rest += chunk;
    while (running < applies.length - 1) {
      const a = applies[running] as Staged;
      let end = 0;
      if (a.steps.length > 0) {
        const m = new RegExp(`\\x1e${a.nonce}S${a.steps.length - 1}:(\\d+)\\x1e\\n`).exec(rest);
        // A failed last step stops the script: the batch's end reports it.
        if (!m || !(a.steps.at(-1)?.okExitCodes ?? [0]).includes(Number(m[1]))) break;
        end = m.index + m[0].length;
      }
      const own = rest.slice(0, end);
      rest = rest.slice(end);
      running += 1;
      if (a.steps.length > 0) {
        // The items before it (found in the desired state, skipped) are reported first: rows stay in order.
        for (const it of items) {
          if (finished.has(it)) continue;
          if (it.kind === 'apply') {
            if (it.staged !== a) break;
            finished.add(it);
            finishTask(ctx, a, { stdout: own, stderr: '', exitCode: 0, durationMs: performance.now() - started }, started, true);
            break;
          }
          finished.add(it);
          reportItem(ctx, it, started);
        }
      }
      const staged = applies[running] as Staged;
      // A task whose new-directory guard may stop the script is announced with the results,
      // so that a task planned again is announced once.
      if (newDirectoriesOf(staged.plan)?.length) continue;
      live.add(staged.p);
      emitTaskStart(ctx, staged.p);
    }
  };
  return { live, finished, onStdout };
}

/** Reports an item of a batch that has nothing to apply: skipped, or found in the desired state. */
function reportItem(ctx: HostRunContext, it: Exclude<BatchItem, { kind: 'apply' }>, started: number): void {
  if (it.kind === 'skip') {
    ctx.results.report(it.p, 'skipped', { message: it.p.skip ?? 'skipped' });
    return;
  }
  emitTaskStart(ctx, it.p, false);
  ctx.results.report(it.p, 'ok', { message: it.message, started });
}

/** Reports each item of a batch from its part of the script's output, in order (announcing the tasks not announced live; those `finished` live are reported already). */
function readBatch(ctx: HostRunContext, items: readonly BatchItem[], exec: ExecResult, started: number, live: ReadonlySet<Prepared>, finished: ReadonlySet<BatchItem>): ReadEnd {
  let outAt = 0;
  let errAt = 0;
  for (const it of items) {
    if (it.kind !== 'apply') {
      if (!finished.has(it)) reportItem(ctx, it, started);
      continue;
    }
    const a = it.staged;
    if (stoppedAtGuard(a.plan, a.nonce, exec.stdout, outAt)) {
      // A directory the plan took for new was there already (reached by another name, or made
      // by another writer): neither this task nor any after it ran. Plan them again from a probe.
      distrustPlan(ctx.facts, a.p, a.resources);
      return { kind: 'guard', p: a.p };
    }
    if (!live.has(a.p)) emitTaskStart(ctx, a.p, false);
    const outEnd = lastMarkerEnd(exec.stdout, new RegExp(`\\x1e${a.nonce}S\\d+:\\d+\\x1e\\n`, 'g'), outAt);
    const errEnd = lastMarkerEnd(exec.stderr, new RegExp(`\\x1e${a.nonce}S\\d+\\x1e\\n`, 'g'), errAt);
    const own: ExecResult = { stdout: exec.stdout.slice(outAt, outEnd), stderr: exec.stderr.slice(errAt, errEnd), exitCode: exec.exitCode, durationMs: exec.durationMs };
    outAt = outEnd;
    errAt = errEnd;
    if (finished.has(it)) continue;
    if (finishTask(ctx, a, own, started, true) === 'failed') return { kind: 'failed', p: a.p };
  }
  return { kind: 'done', outAt, errAt };
}

/** Keeps the values of the probe that ended the batch's script. */
function storeAhead(ctx: HostRunContext, user: string, ahead: FactRequest[], nonce: string, exec: ExecResult, at: { outAt: number; errAt: number }): void {
  ctx.facts.store(user, ahead, parseProbeOutput(ahead, nonce, exec.stdout.slice(at.outAt), exec.stderr.slice(at.errAt)));
}

/** End offset of the last match of `re` (global) at or after `from`, or `from` when none. */
function lastMarkerEnd(text: string, re: RegExp, from: number): number {
  re.lastIndex = from;
  let end = from;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + m[0].length;
  return end;
}
