import { pyStr } from '../python-repr.js';
import { makeTuple } from '../python-value.js';
import { expandPythonTemplate } from '@converge/core';
import { toPythonRegExp } from '../python-regex.js';
import { filterArgs, type Filter } from './filter-args.js';

function options(a: ReturnType<typeof filterArgs>): { ignorecase: boolean; multiline: boolean } {
  return { ignorecase: a.kwargs.ignorecase === true, multiline: a.kwargs.multiline === true };
}

/** `regex_replace(value, pattern, replacement='', ignorecase=False, multiline=False)`: Python `re.sub`. Source: Ansible docs, `regex_replace`. */
export const regexReplace: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const re = toPythonRegExp(pyStr(a.get(0, 'pattern', '')), { ignorecase: a.get(2, 'ignorecase', false) === true, multiline: a.get(3, 'multiline', false) === true }, true);
  const replacement = pyStr(a.get(1, 'replacement', ''));
  return pyStr(v).replace(re, (...args: unknown[]) => expandPythonTemplate(replacement, matchOf(args)));
};

/** The match of a `String.prototype.replace` callback's arguments: `(match, ...groups, offset, text[, named])`. */
function matchOf(args: unknown[]): { length: number; [i: number]: string | undefined; groups?: Record<string, string | undefined> } {
  const named = typeof args[args.length - 1] === 'object' && args[args.length - 1] !== null ? (args[args.length - 1] as Record<string, string | undefined>) : undefined;
  const indexed = args.slice(0, named ? -3 : -2) as (string | undefined)[];
  return Object.assign(indexed, named ? { groups: named } : {});
}

/** `regex_search(value, regex, *groups)`: the first match, or the listed groups (`'\\1'`, `'\\g<name>'`), or `None`. Source: Ansible docs, `regex_search`. */
export const regexSearch: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const [pattern, ...groups] = a.positional.map((x) => pyStr(x));
  const m = toPythonRegExp(pattern ?? '', options(a)).exec(pyStr(v));
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    const named = /^\\g<(\S+)>$/.exec(g);
    if (named) return m.groups?.[named[1] ?? ''] ?? null;
    const num = /^\\(\d+)$/.exec(g);
    if (num) return m[Number(num[1])] ?? null;
    throw new Error(`Unknown argument: ${g}`);
  });
};

/** `regex_findall(value, regex, multiline=False, ignorecase=False)`: Python `re.findall` (groups, or tuples of groups). */
export const regexFindall: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const re = toPythonRegExp(pyStr(a.get(0, 'regex', '')), { multiline: a.get(1, 'multiline', false) === true, ignorecase: a.get(2, 'ignorecase', false) === true }, true);
  return [...pyStr(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : makeTuple(m.slice(1).map((g) => g ?? ''))));
};
