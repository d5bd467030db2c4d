import { isSecret } from './secret.js';

/**
 * Quotes one argument for a POSIX shell: the result is a single word whose value is exactly
 * `value`, whatever bytes it holds (quotes, `$`, backticks, newlines, non-ASCII).
 * Source: POSIX.1-2017 XCU 2.2.3 (single quotes preserve every character but `'`).
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A piece of shell text that {@link sh} inserts verbatim instead of quoting it. */
export class RawShell {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks trusted shell text (built by converge itself) to be inserted verbatim by {@link sh}. */
export function raw(text: string): RawShell {
  return new RawShell(text);
}

/**
 * Tagged template that builds a shell command: every interpolated value is quoted with
 * {@link quote}; arrays become several quoted words; {@link RawShell} values are inserted as they
 * are. The result is a {@link RawShell}, so commands compose.
 *
 * Secrets are refused: a secret must travel on stdin or in a file, never in a command line where
 * `ps` on the host would show it.
 *
 * @throws TypeError when a value is a Secret, undefined or null.
 * @example sh`install -d -m ${mode} -- ${path}`
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): RawShell {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new RawShell(out);
}

function render(v: unknown): string {
  if (v instanceof RawShell) return v.text;
  if (isSecret(v)) throw new TypeError('a Secret cannot be put on a command line; pass it on stdin');
  if (Array.isArray(v)) return v.map(render).join(' ');
  if (v === undefined || v === null) throw new TypeError(`cannot put ${String(v)} on a command line`);
  return quote(String(v));
}
