/**
 * Python regular expressions (the dialect Ansible playbooks and templates are written in) as
 * JavaScript ones, and Python's replacement templates (`re.sub`, `Match.expand`).
 *
 * Source: Python docs, `re` — "Regular Expression Syntax", `re.sub`, `Match.expand`.
 */

/** Options of {@link translatePythonRegex}. */
export interface TranslateOptions {
  /**
   * A negated class (`[^#]`) does not match a newline unless the pattern sets `(?s)`, so that a
   * match against a whole file cannot run into the next lines (converge's rule for whole-file
   * edits, C-04; in Python such a class matches a newline).
   */
  negatedClassesStopAtNewline?: boolean;
}

/** A Python pattern translated: the source and flags of the equivalent JavaScript RegExp. */
export interface TranslatedRegex {
  source: string;
  /** `i`, `m`, `s` from the pattern's leading inline flags. */
  flags: string;
}

/**
 * Translates a Python `re` pattern for `new RegExp(source, flags)`: named groups `(?P<n>…)` and
 * back-references `(?P=n)`, `\A` and `\Z` (start and end of the text, in multiline mode too), a
 * `]` first in a class (a literal in both dialects), and leading inline flags `(?i)`, `(?m)`,
 * `(?s)` (`(?a)`, `(?u)`, `(?L)` change nothing here and are dropped). Everything else is the
 * same in both dialects and kept as it is; a construct JavaScript does not know fails when the
 * RegExp is made.
 *
 * @throws Error for verbose patterns `(?x)`, which would otherwise match something else.
 */
export function translatePythonRegex(pattern: string, options: TranslateOptions = {}): TranslatedRegex {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('x')) throw new Error(`verbose regular expressions (?x) are not supported: ${JSON.stringify(pattern)}`);
    for (const c of f) if ('ims'.includes(c) && !flags.includes(c)) flags += c;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?![\\s\\S])';
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += options.negatedClassesStopAtNewline && !flags.includes('s') ? '^\\n' : '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    const backref = /^\(\?P=(\w+)\)/.exec(src.slice(i));
    if (backref) {
      out += `\\k<${backref[1] ?? ''}>`;
      i += backref[0].length - 1;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/**
 * The groups of a match, as {@link expandPythonTemplate} reads them: a `RegExpExecArray`, or
 * the same shape built from `String.prototype.replace`'s callback arguments. Index 0 is the
 * whole match; `undefined` is a group that did not take part.
 */
export interface MatchGroups extends ArrayLike<string | undefined> {
  readonly groups?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * Python's replacement template (`re.sub`'s `repl`, `Match.expand`): `\1`..`\99`, `\g<1>` and
 * `\g<name>` become the groups (a group that did not match is empty, as in Python 3.5+), `\n`,
 * `\t`, `\\` and the other escapes their characters, and `\` before any other non-letter stays.
 *
 * @throws Error for a reference to a group the pattern does not have, and for an unknown escape
 * of an ASCII letter (Python 3.7+: `bad escape`).
 */
export function expandPythonTemplate(template: string, m: MatchGroups): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] ?? '';
    if (c !== '\\') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    const g = /^g<(\w+)>/.exec(rest);
    const d = /^\d{1,2}/.exec(rest);
    if (g) {
      const ref = g[1] ?? '';
      const numbered = /^\d+$/.test(ref);
      if (numbered ? Number(ref) >= m.length : !(m.groups && ref in m.groups)) throw new Error(`invalid group reference ${ref} in the replacement`);
      out += (numbered ? m[Number(ref)] : m.groups?.[ref]) ?? '';
      i += g[0].length;
    } else if (d) {
      const n = Number(d[0]);
      if (n >= m.length) throw new Error(`backreference \\${n} has no group in the regexp`);
      out += m[n] ?? '';
      i += d[0].length;
    } else {
      const n = rest[0] ?? '';
      if (ESCAPES[n] !== undefined) out += ESCAPES[n];
      else if (/[A-Za-z]/.test(n)) throw new Error(`bad escape \\${n} in the replacement`);
      else out += c + n;
      i += 1;
    }
  }
  return out;
}

/** Escapes text for use as a literal inside a RegExp (Python's `re.escape`). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
