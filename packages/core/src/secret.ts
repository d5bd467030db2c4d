const SECRET = Symbol.for('converge.secret');
const MASK = '********';

/**
 * A value that must never be shown: every converge output (pretty, JSON, JUnit, diffs, errors,
 * logs) prints {@link MASK} instead. The value is read with {@link Secret.reveal} only where it
 * is used (a command's stdin, a file's content).
 *
 * Masking is also by value: {@link SecretRegistry} remembers every revealed value so that a
 * secret interpolated into a larger string is still masked when that string is printed.
 */
export class Secret {
  readonly [SECRET] = true;
  #value: string | undefined;
  readonly #source: (() => string) | undefined;

  /**
   * @param value the clear text, or a function that yields it on first {@link reveal} (a lazy
   * secret, e.g. a Vault lookup resolved before the run); the value is registered for masking
   * when it is known.
   */
  constructor(value: string | (() => string)) {
    if (typeof value === 'function') this.#source = value;
    else {
      this.#value = value;
      registerSecretValue(value);
    }
  }

  /** The clear text. Call only where the value is used, never to print it. @throws what a lazy source throws. */
  reveal(): string {
    if (this.#value === undefined) {
      const v = (this.#source as () => string)();
      registerSecretValue(v);
      this.#value = v;
    }
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

/** The text printed in place of a secret. */
export { MASK as SECRET_MASK };

/** Wraps a string as a {@link Secret}. */
export function secret(value: string): Secret {
  return new Secret(value);
}

/**
 * Builds a {@link Secret} from a template literal whose placeholders may be secrets, e.g.
 * `` secretText`password=${vars.db_password}` ``: the host receives the clear text, every output
 * shows the mask. A plain template literal would turn each secret into its mask (`********`),
 * which converge refuses in params.
 *
 * The text is built lazily, on first {@link Secret.reveal}, so a lazy secret (a Vault lookup)
 * is read only when the value is used.
 */
export function secretText(strings: TemplateStringsArray, ...values: unknown[]): Secret {
  return new Secret(() => strings.reduce((out, s, i) => out + s + (i < values.length ? String(reveal(values[i])) : ''), ''));
}

/**
 * Finds a string inside params (plain objects and arrays, not secrets) that holds the secret
 * mask, i.e. a secret that was turned into text before it reached a module.
 *
 * @returns the param path (e.g. `line`, `env.PASSWORD`, `values[1]`) or undefined.
 */
export function findSecretMask(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes(MASK) ? path || '(params)' : undefined;
  if (value === null || typeof value !== 'object' || isSecret(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecretMask(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const hit = findSecretMask(v, path ? `${path}.${k}` : k);
    if (hit) return hit;
  }
  return undefined;
}

/** True for a {@link Secret}, also one made by another copy of this package. */
export function isSecret(v: unknown): v is Secret {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[SECRET] === true;
}

/** The clear text of a secret, or the value itself when it is not one. */
export function reveal<T>(v: T | Secret): T | string {
  return isSecret(v) ? v.reveal() : v;
}

const registry: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('converge.secret.registry')] ??= new Set<string>()) as Set<string>;

/** Remembers a value to be masked wherever it appears. Values shorter than 4 characters are not masked by value (they would mask ordinary text); they are still masked where they travel as a {@link Secret}. */
export function registerSecretValue(value: string): void {
  if (value.length >= 4 && !registry.has(value)) {
    registry.add(value);
    sorted = undefined;
  }
}

/** The registry longest first, kept until a value is added (masking runs for every string of every report). */
let sorted: { size: number; values: string[] } | undefined;

/**
 * Replaces every registered secret value in `text` with the mask, longest first so that a
 * secret containing another is masked whole.
 */
export function maskText(text: string): string {
  if (registry.size === 0 || text.length === 0) return text;
  let out = text;
  // The registry is shared by every copy of this package (globalThis): also check its size.
  if (sorted?.size !== registry.size) sorted = { size: registry.size, values: [...registry].sort((a, b) => b.length - a.length) };
  const values = sorted.values;
  for (const v of values) {
    if (out.includes(v)) out = out.split(v).join(MASK);
  }
  return out;
}

/**
 * Deep-copies a value for output: secrets become the mask, strings are masked by value.
 * Cycles are cut as `[Circular]`.
 */
export function maskValue(value: unknown, ancestors: WeakSet<object> = new WeakSet()): unknown {
  if (isSecret(value)) return MASK;
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  // Only a value that contains itself is a cycle; the same list shared by two hosts is not.
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => maskValue(v, ancestors));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, ancestors);
    return out;
  } finally {
    ancestors.delete(value);
  }
}
