/**
 * Python regular expressions (the dialect Ansible playbooks are written in) as JavaScript
 * RegExps, for line and block edits. Translated: `(?P<name>...)`, `(?P=name)`, `\A`, `\Z`, and
 * leading inline flags `(?i)`, `(?m)`, `(?s)` (`(?a)`, `(?u)`, `(?L)` are dropped; `(?x)` is
 * refused). Patterns are matched against one line without its line ending, so `$` ends the line
 * and a negated class like `[^#]+` cannot run into the next line (C-04).
 * Source: Python `re` module docs (Regular Expression Syntax, `Match.expand`).
 */

/** How a pattern is matched: against one line (default), or against a whole file (`replace`). */
export interface PythonRegexOptions {
  /**
   * Match a whole text with Python's `re.MULTILINE` (`^`/`$` at every line, global): `\A`/`\Z`
   * stay the text's ends, and a negated class (`[^#]`) does not match a newline unless the
   * pattern sets `(?s)`, so one match cannot run into the next lines (C-04).
   */
  wholeText?: boolean;
}

/** The compiled pattern, or a message explaining why it is unusable. */
export function compilePythonRegex(pattern: string, options: PythonRegexOptions = {}): RegExp | { error: string } {
  const whole = options.wholeText ?? false;
  if (pattern === '') return { error: 'the regular expression is empty: it would match every line' };
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('x')) return { error: `verbose regular expressions (?x) are not supported: ${JSON.stringify(pattern)}` };
    for (const c of f) if ('ims'.includes(c) && !flags.includes(c)) flags += c;
    src = src.slice(lead[0].length);
  }
  if (whole) {
    if (!flags.includes('m')) flags += 'm';
    flags += 'g';
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (!inClass && n === 'A') out += whole ? '(?<![\\s\\S])' : '^';
      else if (!inClass && n === 'Z') out += whole ? '(?![\\s\\S])' : '$';
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
      // A `]` right after `[` or `[^` is a literal in both dialects.
      if (src[i + 1] === '^') {
        out += whole && !flags.includes('s') ? '^\\n' : '^';
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
  try {
    return new RegExp(out, flags);
  } catch (e) {
    return { error: `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}` };
  }
}

/** {@link compilePythonRegex} for validated params: throws on a bad pattern. */
export function mustCompilePythonRegex(pattern: string, options: PythonRegexOptions = {}): RegExp {
  const r = compilePythonRegex(pattern, options);
  if ('error' in r) throw new TypeError(r.error);
  return r;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/**
 * Python's `Match.expand(template)`: `\1`..`\99`, `\g<1>`, `\g<name>` become the groups (an
 * unmatched group is empty), `\n` `\t` `\\` and friends their characters; an unknown escape of an
 * ASCII letter is an error, as in Python 3.7+.
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
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
      out += (/^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref]) ?? '';
      i += g[0].length;
    } else if (d) {
      const n = Number(d[0]);
      if (n >= m.length) throw new TypeError(`backreference \\${n} has no group in the regexp`);
      out += m[n] ?? '';
      i += d[0].length;
    } else {
      const n = rest[0] ?? '';
      if (ESCAPES[n] !== undefined) out += ESCAPES[n];
      else if (/[A-Za-z]/.test(n)) throw new TypeError(`bad escape \\${n} in the line`);
      else out += c + n;
      i += 1;
    }
  }
  return out;
}

/** Escapes text for use inside a RegExp (Python's `re.escape`). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
