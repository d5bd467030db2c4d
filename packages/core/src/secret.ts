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
  readonly #composite: boolean;

  /**
   * @param value the clear text, or a function that yields it on first {@link reveal} (a lazy
   * secret, e.g. a Vault lookup resolved before the run); the value is registered for masking
   * when it is known.
   * @param options `composite`: the text is built around other secrets (a configuration file
   * holding a password), which are masked themselves: it is masked as a whole, not line by line,
   * so that its other lines (`global`, `[mysqld]`) are not taken for secrets elsewhere.
   */
  constructor(value: string | (() => string), options: { composite?: boolean } = {}) {
    this.#composite = options.composite === true;
    if (typeof value === 'function') this.#source = value;
    else {
      this.#value = value;
      registerSecretValue(value, { lines: !this.#composite });
    }
  }

  /** The clear text. Call only where the value is used, never to print it. @throws what a lazy source throws. */
  reveal(): string {
    if (this.#value === undefined) {
      const v = (this.#source as () => string)();
      registerSecretValue(v, { lines: !this.#composite });
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
  return new Secret(() => strings.reduce((out, s, i) => out + s + (i < values.length ? String(reveal(values[i])) : ''), ''), { composite: values.some(isSecret) });
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

/**
 * How a remembered value is masked, by its length:
 * - `anywhere` (8 characters and more): every occurrence, also inside a longer word;
 * - `word` (4 to 7): occurrences that stand as a word of their own (not glued to letters, digits
 *   or `_`), so that a short secret such as `changed` or `group` does not cut into
 *   `unchanged` or `group_vars`, where masking would corrupt the text and point at the secret;
 * - `whole` (1 to 3): only a text that is the value and nothing else (a command's output, a
 *   field), as a shorter value inside text would mask ordinary words.
 */
type MaskKind = 'anywhere' | 'word' | 'whole';

/** Values at least this long are masked anywhere in text. */
const MASK_ANYWHERE = 8;
/** Values at least this long (and shorter than {@link MASK_ANYWHERE}) are masked as words. */
const MASK_AS_WORD = 4;

/** A remembered value: how it is masked, and whether it is a secret's whole value (`primary`) or a line of one. */
interface Remembered {
  kind: MaskKind;
  primary: boolean;
}

const registry: Map<string, Remembered> = ((globalThis as Record<symbol, unknown>)[Symbol.for('converge.secret.registry.v2')] ??= new Map<string, Remembered>()) as Map<string, Remembered>;

/**
 * Remembers a value to be masked wherever it appears: the value, the value without surrounding
 * whitespace (a password file's final newline, output trimmed before it is shown), and each line
 * of a multi-line value with and without its surrounding whitespace (a diff or a log shows a
 * private key line by line), unless `lines: false` or the value holds another secret already
 * remembered (a text built around secrets). How each is masked depends on its length (see {@link maskText}):
 * 8 characters and more anywhere, 4 to 7 as a word of their own, 1 to 3 only as a whole text.
 * A value is always masked where it travels as a {@link Secret}, whatever its length.
 */
export function registerSecretValue(value: string, options: { lines?: boolean } = {}): void {
  // A line break at either end stays in the text, so the lines around the mask stay apart.
  const whole = new Set([value.replace(/^[\r\n]+|[\r\n]+$/g, ''), value.trim()]);
  const lines = new Set<string>();
  if (value.includes('\n') && options.lines !== false && !holdsOtherSecret(value)) {
    for (const line of value.split('\n')) lines.add(line.replace(/\r$/, '')).add(line.trim());
  }
  for (const v of [...whole, ...lines]) {
    if (v === '') continue;
    const primary = whole.has(v);
    const had = registry.get(v);
    if (had && (had.primary || !primary)) continue;
    registry.set(v, { kind: v.length >= MASK_ANYWHERE ? 'anywhere' : v.length >= MASK_AS_WORD ? 'word' : 'whole', primary });
    sorted = undefined;
  }
}

/**
 * True when a text holds a secret already remembered (4 characters or more, a whole value, not a
 * line of one: two keys share their `-----BEGIN` line): it is a text built around that secret, not
 * a secret of its own, so its other lines are not registered (see {@link Secret}'s `composite`).
 */
function holdsOtherSecret(text: string): boolean {
  for (const [v, e] of registry) if (e.primary && e.kind !== 'whole' && v !== text && v !== text.trim() && text.includes(v)) return true;
  return false;
}

/** The registry longest first, kept until a value is added (masking runs for every string of every report). */
let sorted: { size: number; values: [string, MaskKind][] } | undefined;

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/**
 * Replaces every remembered secret value in `text` with the mask, longest first so that a
 * secret containing another is masked whole: values of 8 characters and more wherever they
 * appear, values of 4 to 7 where they stand as a word (the characters around them are not
 * letters, digits or `_`), and values of 1 to 3 only when they are the whole text (surrounding
 * whitespace aside). Mask data (a command's output, a file's content, a name, a value) before it
 * is cut, serialised or framed by converge's own words, never converge's text around it: a
 * secret that is a common word would otherwise replace converge's vocabulary.
 */
export function maskText(text: string, replacement: (secret: string) => string = () => MASK): string {
  if (registry.size === 0 || text.length === 0) return text;
  // The registry is shared by every copy of this package (globalThis): also check its size.
  if (sorted?.size !== registry.size) sorted = { size: registry.size, values: [...registry].map(([v, e]): [string, MaskKind] => [v, e.kind]).sort((a, b) => b[0].length - a[0].length) };
  if (registry.get(text.trim()) !== undefined) return replacement(text.trim());
  let out = text;
  for (const [v, kind] of sorted.values) {
    if (kind === 'whole' || !out.includes(v)) continue;
    out = kind === 'anywhere' ? out.split(v).join(replacement(v)) : maskWord(out, v, replacement(v));
  }
  return out;
}

/** Masks the occurrences of `v` in `text` that are not glued to a word character on a side where `v` has one. */
function maskWord(text: string, v: string, mask: string): string {
  const wordStart = WORD_CHAR.test(v[0] as string);
  const wordEnd = WORD_CHAR.test(v[v.length - 1] as string);
  let out = '';
  let from = 0;
  for (let at = text.indexOf(v); at >= 0; at = text.indexOf(v, at + v.length)) {
    const glued = (wordStart && at > 0 && WORD_CHAR.test(text[at - 1] as string)) || (wordEnd && WORD_CHAR.test(text[at + v.length] ?? ''));
    if (glued) continue;
    out += text.slice(from, at) + mask;
    from = at + v.length;
  }
  return out + text.slice(from);
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
