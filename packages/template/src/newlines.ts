/**
 * Ansible's trailing-newline rules for the `template` module, in two steps.
 *
 * 1. Jinja2 (`keep_trailing_newline=False`, Ansible's default) normalises `\r\n` and `\r` to
 *    `\n` and drops ONE final newline of the template source before parsing
 *    ({@link prepareSource}).
 * 2. After rendering, Ansible counts the newlines at the end of the source and of the output;
 *    when the source has more, the missing ones are appended ({@link restoreTrailingNewlines}).
 *    It never removes newlines.
 *
 * Consequences, checked against ansible-core 2.14 (`test/fixtures/templates/`):
 * - `a {{ x }}\n` → `a hi\n`; `a {{ x }}` → `a hi`; `a {{ x }}\n\n` → `a hi\n\n`; empty → empty.
 * - A template whose output is empty still gets the source's final newlines: `{% if false %}x{% endif %}\n` → `\n`.
 * - With `trim_blocks` the newline right after a block tag is removed, so `a\n{% if true %}\nb\n{% endif %}`
 *   (no final newline) renders `a\nb\n`: the body's newline stays, nothing is added or removed.
 *
 * Source: Jinja2 3.1 `lexer.py` (`tokeniter`), Ansible 2.14 `template/__init__.py`
 * (`do_template`, `preserve_trailing_newlines`) and `plugins/action/template.py`.
 */
export function prepareSource(source: string): string {
  const lines = source.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** Number of `\n` characters at the end of `s`. */
export function countTrailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

/** Appends the final newlines that the source has and the rendered output lacks (see {@link prepareSource}). */
export function restoreTrailingNewlines(source: string, output: string): string {
  const missing = countTrailingNewlines(source) - countTrailingNewlines(output);
  return missing > 0 ? output + '\n'.repeat(missing) : output;
}
