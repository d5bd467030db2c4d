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
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    registerSecretValue(value);
  }

  /** The clear text. Call only where the value is used, never to print it. */
  reveal(): string {
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
  if (value.length >= 4) registry.add(value);
}

/**
 * Replaces every registered secret value in `text` with the mask, longest first so that a
 * secret containing another is masked whole.
 */
export function maskText(text: string): string {
  if (registry.size === 0 || text.length === 0) return text;
  let out = text;
  const values = [...registry].sort((a, b) => b.length - a.length);
  for (const v of values) {
    if (out.includes(v)) out = out.split(v).join(MASK);
  }
  return out;
}

/**
 * Deep-copies a value for output: secrets become the mask, strings are masked by value.
 * Cycles are cut as `[Circular]`.
 */
export function maskValue(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (isSecret(value)) return MASK;
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, seen));
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, seen);
  return out;
}
