import type { FactProbeHints } from './probe-hints.js';
import type { RawShell } from './sh.js';

/** What a fact's parser receives besides stdout. */
export interface FactOutput<A> {
  args: A;
  exitCode: number;
  stderr: string;
}

/**
 * A fact: a read-only shell command run on the host and a pure parser of its output.
 *
 * @typeParam A - the fact's arguments (JSON-serialisable: they are part of the cache key).
 * @typeParam T - the parsed value.
 */
export interface FactDefinition<A, T> {
  /** `family.name`, e.g. `file.stat`. */
  name: string;
  description?: string;
  /**
   * The probe. Must not change the host; its stderr is kept for error messages. It may call the
   * shell functions of a prelude ({@link FactProbeHints.prelude}): run it alone with {@link factCommand}.
   */
  command(args: A): RawShell | string;
  /** @deprecated give it in `defineFact`'s second argument ({@link FactProbeHints.prelude}). */
  prelude?: string;
  /** @deprecated give it in `defineFact`'s second argument ({@link FactProbeHints.batch}). */
  batch?(argsList: A[]): RawShell | string;
  /** @deprecated give it in `defineFact`'s second argument ({@link FactProbeHints.sameShell}). */
  sameShell?: boolean;
  /** Pure: the fact's value from the probe's stdout. Throw a `ConvergeError('CONVERGE_FACT', …)` when the output makes no sense. */
  parse(stdout: string, output: FactOutput<A>): T;
  /**
   * What the fact reads, as resource keys (absolute paths, or `kind:name` such as
   * `unit:nginx.service`, `package:nginx`). A changed task whose resources overlap makes the
   * fact stale; the engine re-probes it before the next task that needs it. Default `['*']`.
   */
  resources?(args: A): string[];
  /** @deprecated give it in `defineFact`'s second argument ({@link FactProbeHints.afterNewDirectories}). */
  afterNewDirectories?(value: T, args: A, dirs: readonly string[]): T | undefined;
}

/** One use of a fact with its arguments; what a module's `facts` function returns. */
export interface FactRequest<T = unknown> {
  readonly fact: FactDefinition<unknown, T>;
  readonly args: unknown;
  /** `name` + JSON of args: requests with the same key are probed once per host. */
  readonly key: string;
  /** The fact's probe hints (from `defineFact`), for the engine's probe batching. */
  readonly hints?: FactProbeHints<unknown, T>;
}

/** A callable fact: call it with arguments to make a {@link FactRequest}. */
export interface Fact<A, T> {
  (args: A): FactRequest<T>;
  readonly definition: FactDefinition<A, T>;
  /** The probe hints given to `defineFact` (with those of the deprecated fields of the definition). */
  readonly hints: FactProbeHints<A, T>;
}

/**
 * Defines a fact: a read-only probe plus a pure parser, testable from recorded output.
 * Declaring facts up front is what lets the engine batch every probe of a host into one
 * remote script. `hints` are optional ways for the engine to probe it at a lower cost
 * ({@link FactProbeHints}); a fact is complete without them.
 *
 * @example
 * export const fileStat = defineFact({
 *   name: 'file.stat',
 *   command: ({ path }) => sh`stat -c '%F|%a' -- ${path} 2>/dev/null`,
 *   parse: (out) => (out ? { exists: true, mode: out.split('|')[1] } : { exists: false }),
 *   resources: ({ path }) => [path],
 * })
 */
export function defineFact<A, T>(definition: FactDefinition<A, T>, hints: FactProbeHints<A, T> = {}): Fact<A, T> {
  const { prelude, batch, sameShell, afterNewDirectories } = definition;
  const merged: FactProbeHints<A, T> = { ...(prelude !== undefined ? { prelude } : {}), ...(batch ? { batch } : {}), ...(sameShell !== undefined ? { sameShell } : {}), ...(afterNewDirectories ? { afterNewDirectories } : {}), ...hints };
  const fn = ((args: A): FactRequest<T> => ({
    fact: definition as FactDefinition<unknown, T>,
    args,
    key: `${definition.name}:${stableJson(args)}`,
    hints: merged as FactProbeHints<unknown, T>,
  })) as Fact<A, T>;
  Object.defineProperty(fn, 'definition', { value: definition, enumerable: true });
  Object.defineProperty(fn, 'hints', { value: merged, enumerable: true });
  Object.defineProperty(fn, 'name', { value: definition.name });
  return fn;
}

/**
 * The self-contained shell text of one probe: the fact's prelude (when it has one) followed by
 * its command, for running a fact alone (tests, single probes). The engine's batched probe
 * script sends the prelude once per script instead.
 *
 * @example await transport.exec(factCommand(fileState, { path: '/etc/hosts' }))
 */
export function factCommand<A>(fact: Fact<A, unknown> | FactDefinition<A, unknown>, args: A): string {
  const def = 'definition' in fact ? fact.definition : fact;
  const prelude = 'definition' in fact ? fact.hints.prelude : fact.prelude;
  const cmd = String(def.command(args));
  return prelude ? `${prelude}\n${cmd}` : cmd;
}

/** JSON with sorted object keys, so equal arguments give equal keys. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  }) ?? 'null';
}

/** True when two sets of resource keys overlap: equal keys, `*`, or one path inside the other. */
export function resourcesOverlap(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x === '*' || y === '*' || x === y) return true;
      if (x.startsWith('/') && y.startsWith('/')) {
        const [s, l] = x.length < y.length ? [x, y] : [y, x];
        if (l.startsWith(s.endsWith('/') ? s : `${s}/`)) return true;
      }
    }
  }
  return false;
}
