/** Flags of Ansible's regex filters and tests. */
export interface RegexOptions {
  ignorecase?: boolean;
  multiline?: boolean;
}

/**
 * Translates a Python `re` pattern to a JavaScript RegExp (Unicode mode): named groups
 * `(?P<n>...)` and back-references `(?P=n)`, `\A`, `\Z`, and leading inline flags `(?i)`,
 * `(?m)`, `(?s)`. Source: Python docs, "re — Regular expression operations".
 */
export function toPythonRegExp(pattern: string, options: RegexOptions = {}, global = false): RegExp {
  let flags = 'u';
  let source = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    const f = inline[1] ?? '';
    if (f.includes('i')) flags += 'i';
    if (f.includes('m')) flags += 'm';
    if (f.includes('s')) flags += 's';
    source = source.slice(inline[0].length);
  }
  if (options.ignorecase && !flags.includes('i')) flags += 'i';
  if (options.multiline && !flags.includes('m')) flags += 'm';
  if (global) flags += 'g';
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  return new RegExp(source, flags);
}

/**
 * Translates a Python `re.sub` replacement (`\1`, `\g<1>`, `\g<name>`, `\n`, `\\`) to a function
 * usable with `String.prototype.replace`.
 */
export function pythonReplacement(repl: string): (match: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const groups = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    const numbered = rest.slice(0, typeof last === 'object' && last !== null ? -3 : -2) as (string | undefined)[];
    const group = (ref: string): string => (/^\d+$/.test(ref) ? (Number(ref) === 0 ? match : numbered[Number(ref) - 1] ?? '') : groups[ref] ?? '');
    return repl.replace(/\\g<([^>]+)>|\\(\d{1,2})|\\([nrtfv\\abx])/g, (_m, g: string | undefined, d: string | undefined, esc: string | undefined) => {
      if (g !== undefined) return group(g);
      if (d !== undefined) return group(d);
      return ({ n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '\\': '\\', a: '\x07', b: '\b', x: '\\x' } as Record<string, string>)[esc ?? ''] ?? '';
    });
  };
}
