/** Options of {@link shlexSplit}. */
export interface ShlexOptions {
  /** `#` starts a comment that runs to the end of the line, even inside a word (`a=b#c` gives `a=b`). Default false. */
  comments?: boolean;
}

const WHITESPACE = ' \t\r\n';

/**
 * Splits a line into words as Python's `shlex.split(s, comments=…)` does in POSIX mode: the way
 * Ansible's `command` module turns a free-form `cmd` into argv and its INI inventory plugin reads
 * a host line (with comments). Words are separated by space, tab, CR and LF; `'…'` keeps
 * everything literally; inside `"…"` a backslash escapes only `"` and `\`; outside quotes a
 * backslash escapes any character. Quotes are removed; `""` is an empty word. No variables,
 * globs or operators are interpreted.
 *
 * Source: Python docs, `shlex` — "Parsing Rules" (POSIX mode); CPython `Lib/shlex.py`.
 *
 * @throws Error starting with Python's `ValueError` message, `No closing quotation` or `No
 * escaped character`, then the line.
 * @example shlexSplit(`echo "a b" 'c'\\ d`) // ['echo', 'a b', 'c d']
 * @example shlexSplit('web1 x=1 # comment', { comments: true }) // ['web1', 'x=1']
 */
export function shlexSplit(line: string, options: ShlexOptions = {}): string[] {
  const comments = options.comments ?? false;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let state: string | null = ' ';
    let token = '';
    let quoted = false;
    let escapedState = ' ';
    for (;;) {
      const c = i < line.length ? (line[i] as string) : '';
      i++;
      if (state === ' ') {
        if (c === '') {
          state = null;
          break;
        }
        if (WHITESPACE.includes(c)) {
          if (token || quoted) break;
          continue;
        }
        if (comments && c === '#') {
          i = skipLine(line, i);
          continue;
        }
        if (c === '\\') {
          escapedState = 'a';
          state = c;
          continue;
        }
        if (c === "'" || c === '"') {
          state = c;
          continue;
        }
        token = c;
        state = 'a';
      } else if (state === "'" || state === '"') {
        quoted = true;
        if (c === '') throw new Error(`No closing quotation: the line has no closing quotation mark (${JSON.stringify(line)})`);
        if (c === state) state = 'a';
        else if (c === '\\' && state === '"') {
          escapedState = state;
          state = c;
        } else token += c;
      } else if (state === '\\') {
        if (c === '') throw new Error(`No escaped character: the line ends in a lone backslash (${JSON.stringify(line)})`);
        // Inside double quotes a backslash stays unless it escapes `"` or `\`.
        if (escapedState === '"' && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else {
        if (c === '') {
          state = null;
          break;
        }
        if (WHITESPACE.includes(c)) {
          state = ' ';
          if (token || quoted) break;
          continue;
        }
        if (comments && c === '#') {
          i = skipLine(line, i);
          state = ' ';
          if (token || quoted) break;
          continue;
        }
        if (c === "'" || c === '"') {
          state = c;
          continue;
        }
        if (c === '\\') {
          escapedState = 'a';
          state = c;
          continue;
        }
        token += c;
      }
    }
    if (!quoted && token === '') return out;
    out.push(token);
    if (state === null) return out;
  }
}

function skipLine(line: string, i: number): number {
  const nl = line.indexOf('\n', i);
  return nl < 0 ? line.length + 1 : nl + 1;
}
