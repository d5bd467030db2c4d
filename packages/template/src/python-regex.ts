import { translatePythonRegex } from '@converge/core';

/** Flags of Ansible's regex filters and tests. */
export interface RegexOptions {
  ignorecase?: boolean;
  multiline?: boolean;
}

/**
 * A Python `re` pattern of a filter or test as a JavaScript RegExp in Unicode mode (the
 * translation is `@converge/core`'s {@link translatePythonRegex}), with the filter's
 * `ignorecase`/`multiline` and, for `re.sub`/`re.findall`, the global flag.
 */
export function toPythonRegExp(pattern: string, options: RegexOptions = {}, global = false): RegExp {
  const { source, flags: inline } = translatePythonRegex(pattern);
  let flags = `u${inline}`;
  if (options.ignorecase && !flags.includes('i')) flags += 'i';
  if (options.multiline && !flags.includes('m')) flags += 'm';
  if (global) flags += 'g';
  return new RegExp(source, flags);
}
