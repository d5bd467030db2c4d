import { translatePythonRegex } from '@converge/core';

/** How a pattern is matched: against one line (default), or against a whole file (`replace`). */
export interface PythonRegexOptions {
  /**
   * Match a whole text with Python's `re.MULTILINE` (`^`/`$` at every line, global): `\A`/`\Z`
   * stay the text's ends, and a negated class (`[^#]`) does not match a newline unless the
   * pattern sets `(?s)`, so one match cannot run into the next lines (C-04).
   */
  wholeText?: boolean;
}

/**
 * A `regexp`, `insertafter`, `insertbefore`, `after` or `before` param of the line, block and
 * whole-file edits as a RegExp (the Python dialect, translated by `@converge/core`'s
 * {@link translatePythonRegex}), or a message saying why it is unusable. Line patterns are
 * matched against one line without its line ending, so `$` ends the line and a negated class
 * like `[^#]+` cannot run into the next line (C-04). An empty pattern is refused: it would match
 * every line.
 */
export function compilePythonRegex(pattern: string, options: PythonRegexOptions = {}): RegExp | { error: string } {
  const whole = options.wholeText ?? false;
  if (pattern === '') return { error: 'the regular expression is empty: it would match every line' };
  let translated: ReturnType<typeof translatePythonRegex>;
  try {
    translated = translatePythonRegex(pattern, { negatedClassesStopAtNewline: whole });
  } catch (e) {
    return { error: (e as Error).message };
  }
  const flags = whole ? `${translated.flags}${translated.flags.includes('m') ? '' : 'm'}g` : translated.flags;
  try {
    return new RegExp(translated.source, flags);
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
