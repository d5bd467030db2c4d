/**
 * Splits a line into words like Python's `shlex.split(line, comments=True)` (POSIX mode), which
 * Ansible's INI plugin uses for host lines.
 *
 * Quotes `'` and `"` group words and are removed; `\` escapes the next character (inside `"` only
 * before `"` or `\`); `#` starts a comment even inside a word (`a=b#c` gives `a=b`).
 * See https://docs.python.org/3/library/shlex.html#parsing-rules
 *
 * @throws Error `No closing quotation` / `No escaped character`, as Python's `ValueError`.
 */
export function shlexSplit(line: string): string[] {
  const WHITESPACE = ' \t\r\n';
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
        if (c === '') { state = null; break; }
        if (WHITESPACE.includes(c)) { if (token || quoted) break; continue; }
        if (c === '#') { i = skipLine(line, i); continue; }
        if (c === '\\') { escapedState = 'a'; state = c; continue; }
        if (c === "'" || c === '"') { state = c; continue; }
        token = c;
        state = 'a';
      } else if (state === "'" || state === '"') {
        quoted = true;
        if (c === '') throw new Error('No closing quotation');
        if (c === state) state = 'a';
        else if (c === '\\' && state === '"') { escapedState = state; state = c; }
        else token += c;
      } else if (state === '\\') {
        if (c === '') throw new Error('No escaped character');
        if ((escapedState === '"' || escapedState === "'") && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else {
        if (c === '') { state = null; break; }
        if (WHITESPACE.includes(c)) { state = ' '; if (token || quoted) break; continue; }
        if (c === '#') { i = skipLine(line, i); state = ' '; if (token || quoted) break; continue; }
        if (c === "'" || c === '"') { state = c; continue; }
        if (c === '\\') { escapedState = 'a'; state = c; continue; }
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
