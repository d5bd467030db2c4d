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
   * shell functions of {@link FactDefinition.prelude}: run it alone with {@link factCommand}.
   */
  command(args: A): RawShell | string;
  /**
   * Shell text the command relies on, typically function definitions: a probe script includes
   * it once, before its first command of this fact, so a long probe body is sent once per host
   * instead of once per request. Must print nothing and change nothing. Name its functions and
   * variables after the fact (`cv_<family>_<name>…`) to keep facts apart.
   */
  prelude?: string;
  /**
   * Work shared by all requests of this fact in one probe script (e.g. one `stat` for many
   * paths instead of one per path): shell text run once in the probe script's own shell (not a
   * subshell; `LC_ALL=C`, stdin from /dev/null, output discarded), after the preludes and before the
   * commands, with the arguments of every request of this fact in that script in order. It may
   * only set shell variables that the commands read; each command must give the same value
   * without them (when it runs alone, or when the batch found nothing usable).
   */
  batch?(argsList: A[]): RawShell | string;
  /**
   * True when the command may run in the probe script's own shell rather than in a subshell,
   * which saves a process per request (a process costs milliseconds on small hosts). Only for a
   * command that never exits, changes directory, options, traps or `IFS`, and reads no variable
   * it did not set itself: typically the call of a {@link FactDefinition.prelude} function that
   * assigns all of its variables first.
   */
  sameShell?: boolean;
  /** Pure: the fact's value from the probe's stdout. Throw a `ConvergeError('CONVERGE_FACT', …)` when the output makes no sense. */
  parse(stdout: string, output: FactOutput<A>): T;
  /**
   * What the fact reads, as resource keys (absolute paths, or `kind:name` such as
   * `unit:nginx.service`, `package:nginx`). A changed task whose resources overlap makes the
   * fact stale; the engine re-probes it before the next task that needs it. Default `['*']`.
   */
  resources?(args: A): string[];
  /**
   * The value after a task made the new, empty directories `dirs` (a plan's
   * `Plan.newDirectories`; `mkdir -p` where nothing was), from the value probed before:
   * lets a task that writes into a directory made earlier in the same round trip be planned
   * without probing again. Return `undefined` when the value cannot be known that way (the
   * engine then re-probes it). Pure; only called when the fact's resources overlap `dirs`.
   */
  afterNewDirectories?(value: T, args: A, dirs: readonly string[]): T | undefined;
}

/** One use of a fact with its arguments; what a module's `facts` function returns. */
export interface FactRequest<T = unknown> {
  readonly fact: FactDefinition<unknown, T>;
  readonly args: unknown;
  /** `name` + JSON of args: requests with the same key are probed once per host. */
  readonly key: string;
}

/** A callable fact: call it with arguments to make a {@link FactRequest}. */
export interface Fact<A, T> {
  (args: A): FactRequest<T>;
  readonly definition: FactDefinition<A, T>;
}

/**
 * Defines a fact: a read-only probe plus a pure parser, testable from recorded output.
 * Declaring facts up front is what lets the engine batch every probe of a host into one
 * remote script.
 *
 * @example
 * export const fileStat = defineFact({
 *   name: 'file.stat',
 *   command: ({ path }) => sh`stat -c '%F|%a' -- ${path} 2>/dev/null`,
 *   parse: (out) => (out ? { exists: true, mode: out.split('|')[1] } : { exists: false }),
 *   resources: ({ path }) => [path],
 * })
 */
export function defineFact<A, T>(definition: FactDefinition<A, T>): Fact<A, T> {
  const fn = ((args: A): FactRequest<T> => ({
    fact: definition as FactDefinition<unknown, T>,
    args,
    key: `${definition.name}:${stableJson(args)}`,
  })) as Fact<A, T>;
  Object.defineProperty(fn, 'definition', { value: definition, enumerable: true });
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
  const cmd = String(def.command(args));
  return def.prelude ? `${def.prelude}\n${cmd}` : cmd;
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
