import { isUndefined, throwUndefined } from '../undefined.js';
import { isDict } from '../python-value.js';
import { defaultFilter, mandatory, ternary } from './defaults.js';
import { abs, bool, float, int, length, list, round, string } from './types.js';
import { b64decode, b64encode, basename, capitalize, center, dirname, format, hash, indent, lower, md5, quote, replace, sha1, split, title, trim, upper, wordwrap } from './strings.js';
import { regexFindall, regexReplace, regexSearch } from './regex.js';
import { combine, dict2items, difference, first, flatten, intersect, items2dict, join, last, map, max, min, product, reject, rejectattr, select, selectattr, sort, sum, symmetricDifference, union, unique, zip } from './collections.js';
import { fromJson, fromYaml, fromYamlAll, toJson, toNiceJson, toNiceYaml, toYaml } from './serialization.js';
import { random, shuffle } from './random.js';
import type { Filter } from './filter-args.js';
import { moreFilters } from './more.js';

/** Filters that look at an Undefined themselves instead of failing on it. */
const ACCEPTS_UNDEFINED = new Set(['default', 'd', 'mandatory']);

function strictArgs(name: string, filter: Filter): Filter {
  if (ACCEPTS_UNDEFINED.has(name)) return filter;
  return function (this: ThisParameterType<Filter>, value: unknown, ...args: unknown[]) {
    if (isUndefined(value)) throwUndefined(value);
    for (const a of args) {
      if (isUndefined(a)) throwUndefined(a);
      if (isDict(a) && Object.hasOwn(a, '__keywords')) for (const k of Object.values(a)) if (isUndefined(k)) throwUndefined(k);
    }
    return filter.call(this, value, ...args);
  };
}

const table: Record<string, Filter> = {
  default: defaultFilter, d: defaultFilter, mandatory, ternary,
  bool, int, float, string, list, length, count: length, abs, round,
  lower, upper, capitalize, title, replace, trim, center, indent, wordwrap, format, quote, split,
  b64encode, b64decode, hash, md5, sha1, basename, dirname,
  regex_replace: regexReplace, regex_search: regexSearch, regex_findall: regexFindall,
  first, last, join, map, select, reject, selectattr, rejectattr, unique, union, intersect, difference,
  symmetric_difference: symmetricDifference, min, max, sum, sort, dict2items, items2dict, combine, zip, product, flatten,
  to_json: toJson, to_nice_json: toNiceJson, from_json: fromJson, to_yaml: toYaml, to_nice_yaml: toNiceYaml,
  from_yaml: fromYaml, from_yaml_all: fromYamlAll,
  random, shuffle,
  ...moreFilters,
};

/**
 * The Jinja2 and Ansible filters, by name, with Ansible 2.14 semantics. Every filter except
 * `default`/`d`/`mandatory` fails with the undefined-variable error when given an Undefined.
 * Sources: Jinja2 docs, "List of Builtin Filters"; Ansible docs, "Using filters to manipulate data".
 */
export const ansibleFilters: Record<string, (...args: unknown[]) => unknown> = Object.fromEntries(
  Object.entries(table).map(([name, f]) => [name, strictArgs(name, f) as (...args: unknown[]) => unknown]),
);
