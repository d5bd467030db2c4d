import type { RawShell } from './sh.js';

/**
 * Optional hints that let the engine probe a fact at a lower cost: the second argument of
 * `defineFact`. A fact is correct without them (its `command` alone gives its value); they are
 * the engine's optimisation, read only by its probe batching (`@converge/engine`, `facts/batching`),
 * and most facts have none. `file.state` (`@converge/modules`) uses all four.
 *
 * @typeParam A - the fact's arguments.
 * @typeParam T - the fact's parsed value.
 */
export interface FactProbeHints<A, T> {
  /**
   * Shell text the command relies on, typically function definitions: a probe script includes
   * it once, before its first command of this fact, so a long probe body is sent once per host
   * instead of once per request (`factCommand` puts it before the command to run a fact alone).
   * Must print nothing and change nothing. Name its functions and variables after the fact
   * (`cv_<family>_<name>…`) to keep facts apart.
   */
  prelude?: string;
  /**
   * Work shared by all requests of this fact in one probe script (e.g. one `stat` for many
   * paths instead of one per path): shell text run once in the probe script's own shell (not a
   * subshell; `LC_ALL=C`, stdin from /dev/null, output discarded), after the preludes and before
   * the commands, with the arguments of every request of this fact in that script in order. It
   * may only set shell variables that the commands read; each command must give the same value
   * without them (when it runs alone, or when the batch found nothing usable).
   */
  batch?(argsList: A[]): RawShell | string;
  /**
   * True when the command may run in the probe script's own shell rather than in a subshell,
   * which saves a process per request (a process costs milliseconds on small hosts). Only for a
   * command that never exits, changes directory, options, traps or `IFS`, and reads no variable
   * it did not set itself: typically the call of a {@link FactProbeHints.prelude} function that
   * assigns all of its variables first.
   */
  sameShell?: boolean;
  /**
   * The value after a task made the new, empty directories `dirs` (a plan's
   * {@link PlanProbeHints.newDirectories}; `mkdir -p` where nothing was), from the value probed
   * before: lets a task that writes into a directory made earlier in the same round trip be
   * planned without probing again. Return `undefined` when the value cannot be known that way
   * (the engine then probes it again). Pure; only called when the fact's resources overlap `dirs`.
   */
  afterNewDirectories?(value: T, args: A, dirs: readonly string[]): T | undefined;
}

/**
 * Optional hints of a plan (`Plan.hints`) that let the engine predict facts after the apply
 * instead of probing them again. A plan is correct without them.
 */
export interface PlanProbeHints {
  /**
   * Directories the apply creates where nothing was, outermost first (`mkdir -p`: each one new
   * and empty but for the next), when that is all the task changes. Facts that can tell their
   * value after it ({@link FactProbeHints.afterNewDirectories}) are then updated instead of
   * probed again, so tasks writing into these directories can run in the same round trip. The
   * engine checks right before the apply that none of them is there (the probe is out of date
   * when an earlier task made one under another name); when one is, the task is planned again.
   */
  newDirectories?: string[];
}
