import type { HostFacts, RegisteredResult } from '@converge/core';

/**
 * What one evaluation of a task (its loop, `when`, params and `prepare`) read that is not known
 * yet: host facts before they are gathered, a registered result before the task that registers
 * it ran, and, in check mode, what of a predicted result only a real run gives. The reads return
 * placeholders and evaluation goes on; what was read decides the outcome afterwards (an error
 * caused by a placeholder then means "wait", not a problem of the playbook).
 */
export class UnknownReads {
  /** Host facts were read before they were gathered. */
  facts = false;
  /** A registered name read before the task that registers it ran. */
  registered: string | undefined;
  /** In check mode: the task whose predicted result lacks what was read. */
  checkUnknown: string | undefined;
  #count = 0;

  /** How many unknown reads there were so far: an evaluation step read one when it grew. */
  get count(): number {
    return this.#count;
  }

  /** What a task waits for after these reads: host facts first, else a registered result. */
  get waitsOn(): 'facts' | 'registered' | undefined {
    if (this.facts) return 'facts';
    return this.registered !== undefined ? 'registered' : undefined;
  }

  noteFacts(): void {
    this.facts = true;
    this.#count += 1;
  }

  noteRegistered(name: string): void {
    this.registered = name;
    this.#count += 1;
  }

  noteCheckUnknown(task: string): void {
    this.checkUnknown = task;
    this.#count += 1;
  }
}

/**
 * The reads of the evaluation in progress on one host. Evaluations of a host run one at a time;
 * values that outlive one evaluation (the vars of a role before the host is contacted, the
 * check-mode views of registered results) note their reads into the current one.
 */
export class HostReads {
  current = new UnknownReads();

  /** Starts the reads of a new evaluation. */
  begin(): UnknownReads {
    this.current = new UnknownReads();
    return this.current;
  }
}

/** Where a host's reads go, and the names its tasks register (a host's `PrepEnv`). */
export interface ReadsOfHost {
  readonly registeredNames: ReadonlySet<string>;
  readonly reads: HostReads;
}

/** What `ctx.facts` gives before the host facts are gathered (the read is noted). */
export const FACTS_PLACEHOLDER: HostFacts = Object.freeze({ hostname: '', kernel: '', architecture: '' });

/**
 * The vars before the host is contacted: a registered name (or each of `names`: the registered
 * names and the set vars a task waits for) that no role param or extra var overrides is a
 * non-enumerable accessor that notes the read and gives `undefined`, so copies and templates
 * (which see only enumerable vars, and tell their caller of undefined names) skip it and a direct
 * read is noted.
 */
export function deferringVars(
  vars: Record<string, unknown>,
  env: ReadsOfHost,
  upper: { params: Record<string, unknown>; magic: Record<string, unknown> },
  names: ReadonlySet<string> = env.registeredNames,
): Record<string, unknown> {
  return notingReads(vars, names, upper, (name) => env.reads.current.noteRegistered(name));
}

/**
 * The vars in check mode once tasks that set vars could not be predicted (`unknown`: each var and
 * the task that would have set it): each var that no role param or extra var overrides is a
 * non-enumerable accessor that notes the read as unpredictable and gives `undefined`; templates
 * tell of it as an undefined name.
 */
export function unknownVarsView(vars: Record<string, unknown>, unknown: ReadonlyMap<string, string>, env: ReadsOfHost, upper: { params: Record<string, unknown>; magic: Record<string, unknown> }): Record<string, unknown> {
  return notingReads(vars, unknown.keys(), upper, (name) => env.reads.current.noteCheckUnknown(unknown.get(name) ?? name));
}

/** A copy of `vars` where each of `names` that no role param or extra var overrides is a non-enumerable accessor that calls `note` and gives `undefined`. */
function notingReads(vars: Record<string, unknown>, names: Iterable<string>, upper: { params: Record<string, unknown>; magic: Record<string, unknown> }, note: (name: string) => void): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const name of names) {
    if (Object.hasOwn(upper.params, name) || Object.hasOwn(upper.magic, name)) continue;
    out ??= { ...vars };
    Object.defineProperty(out, name, {
      enumerable: false,
      configurable: true,
      get() {
        note(name);
        return undefined;
      },
    });
  }
  return out ?? vars;
}

/** Keys of a result that only running the task gives (beyond changed/failed/skipped/msg). */
const OUTPUT_KEYS = ['rc', 'stdout', 'stderr', 'stdout_lines', 'stderr_lines'];
const PLAIN_KEYS = new Set(['then', 'toJSON', 'constructor', 'valueOf', 'toString', 'asymmetricMatch', '$$typeof', 'nodeType']);

/**
 * A predicted (check mode) result as later tasks see it: reading what only a real run gives
 * (`output`: a command's rc/stdout/...; `all`: even whether it changed) is noted, so the reading
 * task is reported as unpredictable; the read gives `undefined`.
 */
export function checkModeView(result: RegisteredResult, unknown: 'output' | 'all', task: string, env: ReadsOfHost): RegisteredResult {
  const known = new Set(unknown === 'all' ? [] : Object.keys(result));
  return new Proxy(result, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !known.has(key) && !PLAIN_KEYS.has(key)) {
        env.reads.current.noteCheckUnknown(task);
        return undefined;
      }
      return Reflect.get(target, key, receiver);
    },
    ownKeys(target) {
      return [...new Set([...Reflect.ownKeys(target), ...OUTPUT_KEYS])];
    },
    getOwnPropertyDescriptor(target, key) {
      return Reflect.getOwnPropertyDescriptor(target, key) ?? (typeof key === 'string' && OUTPUT_KEYS.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined);
    },
  });
}
