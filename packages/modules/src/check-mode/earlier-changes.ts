import type { Change, HostInfo } from '@converge/core';

// How a plan reads `upstreamChanged`. The engine sets it only in check mode, when an earlier task
// of the run would change a resource these facts read: nothing was applied, so the facts show the
// host as it was before that task (in a real run the facts are probed again after the change, and
// `upstreamChanged` is false). The rules that modules write more than once live here.

/**
 * A prerequisite a task needs on the host (a program, a directory, an account, a running
 * server): when it is missing, the plan is refused with `error()` — unless an earlier task of
 * this check run changes what the facts read and may provide it (`upstreamChanged`); the plan
 * then goes on as if it were there, and the real run, planned after that task, decides.
 *
 * @throws what `error` returns (a `ConvergeError('CONVERGE_PLAN', …)` naming what is missing and
 * how to provide it), or throws itself.
 * @example requirePrerequisite(facts.module.modprobe, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'modprobe: the host has no modprobe', { hint: 'install kmod first' }))
 */
export function requirePrerequisite(present: boolean, upstreamChanged: boolean, error: () => Error): void {
  if (!present && !upstreamChanged) throw error();
}

/** The `before` of a change whose current value the facts cannot tell yet: an earlier task of this check run provides what it is read from. */
export const NOT_KNOWN_YET = 'not known before an earlier task runs';

/**
 * A change predicted after earlier changes of this check run: its `before` is {@link NOT_KNOWN_YET},
 * its `after` what the task makes of it.
 */
export function changeNotKnownYet(path: string, after: unknown): Change {
  return { path, before: NOT_KNOWN_YET, after };
}

/**
 * True in check mode when an earlier task of the run changes what these facts read: a value read
 * from the host now (an HTTP response, a remote commit, a node's cluster state) is the one before
 * that change, so the plan predicts rather than reads. False in a real run (and in a module case
 * that sets `upstreamChanged` without check mode).
 */
export function predictingEarlierChanges(input: { host: HostInfo; upstreamChanged: boolean }): boolean {
  return input.host.check && input.upstreamChanged;
}
