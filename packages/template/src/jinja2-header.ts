import { ANSIBLE_LEXER_OPTIONS } from './compiler.js';
import type { LexerOptions } from './jinja-lexer.js';

/** The first line of a template that changes Jinja2's settings for it, e.g. `#jinja2: lstrip_blocks: True`. Source: Ansible 2.14 `template/__init__.py` (`JINJA2_OVERRIDE`). */
export const JINJA2_HEADER = '#jinja2:';

const SUPPORTED: Record<string, keyof LexerOptions> = { trim_blocks: 'trimBlocks', lstrip_blocks: 'lstripBlocks' };

/** A `#jinja2:` header line that converge refuses; `message` names the option. */
export class Jinja2HeaderError extends Error {
  override name = 'Jinja2HeaderError';
}

/**
 * Reads a template's `#jinja2:` header line as Ansible does (comma-separated `key: value` pairs,
 * values Python literals) and returns the template without that line and the lexer options it
 * sets. `trim_blocks` and `lstrip_blocks` are supported; any other option (`variable_start_string`,
 * `newline_sequence`, ...) is refused by name rather than ignored.
 *
 * @throws Jinja2HeaderError for a pair without `:` (Ansible's message), a value that is not
 *   `True`/`False`, or an unsupported option.
 */
export function readJinja2Header(source: string): { source: string; options: LexerOptions } {
  if (!source.startsWith(JINJA2_HEADER)) return { source, options: ANSIBLE_LEXER_OPTIONS };
  const eol = source.indexOf('\n');
  // Ansible slices with find('\n'): without a newline the header loses its last character and stays in the data.
  const line = source.slice(JINJA2_HEADER.length, eol < 0 ? source.length - 1 : eol);
  const options: LexerOptions = { ...ANSIBLE_LEXER_OPTIONS };
  for (const pair of line.split(',')) {
    if (!pair.includes(':')) throw new Jinja2HeaderError(`failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`);
    const i = pair.indexOf(':');
    const key = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const option = SUPPORTED[key];
    if (!option) throw new Jinja2HeaderError(`the #jinja2: header option '${key}' is not supported by converge (supported: ${Object.keys(SUPPORTED).join(', ')})`);
    if (value !== 'True' && value !== 'False') throw new Jinja2HeaderError(`the #jinja2: header option '${key}' must be True or False, got '${value}'`);
    options[option] = value === 'True';
  }
  return { source: source.slice(eol + 1), options };
}
