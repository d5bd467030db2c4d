import type { FactProbeHints, FactRequest } from '@converge/core';

/**
 * The engine's own ways to probe at a lower cost, from the hints a fact may give
 * (`defineFact(definition, hints)`, see `FactProbeHints` in `@converge/core`): the only code
 * that reads `prelude`, `batch` and `sameShell`. A fact without hints is probed by its command
 * alone, in a subshell of its own.
 */
function hintsOf(r: FactRequest): FactProbeHints<unknown, unknown> {
  return r.hints ?? {};
}

/**
 * The shell text a probe script runs once before its commands: the prelude of each fact in it
 * (once per fact, in order of first use), then each fact's batch over all of its requests (its
 * output discarded).
 */
export function sharedProbeText(requests: readonly FactRequest[]): string[] {
  const facts = new Map<unknown, { hints: FactProbeHints<unknown, unknown>; args: unknown[] }>();
  for (const r of requests) {
    const entry = facts.get(r.fact);
    if (entry) entry.args.push(r.args);
    else facts.set(r.fact, { hints: hintsOf(r), args: [r.args] });
  }
  const lines: string[] = [];
  for (const { hints } of facts.values()) if (hints.prelude) lines.push(hints.prelude);
  for (const { hints, args } of facts.values()) {
    const text = hints.batch ? String(hints.batch(args)) : '';
    if (text.trim() !== '') lines.push(`{ ${text}\n} >/dev/null 2>&1`);
  }
  return lines;
}

/** True when the request's command may run in the probe script's own shell instead of a subshell (`sameShell`). */
export function runsInScriptShell(r: FactRequest): boolean {
  return hintsOf(r).sameShell === true;
}

/** The fact's value after new, empty directories were made, as the fact predicts it (`afterNewDirectories`); undefined when it cannot tell. */
export function valueAfterNewDirectories(r: FactRequest, value: unknown, dirs: readonly string[]): unknown {
  return hintsOf(r).afterNewDirectories?.(value, r.args, dirs);
}
