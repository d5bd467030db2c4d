import { truthy } from '../python-ops.js';
import { isUndefined } from '../undefined.js';
import { filterArgs, type Filter } from './filter-args.js';

/** `default(value, default_value='', boolean=False)` (alias `d`): the fallback for an Undefined, or for any false value with `boolean=true`. Source: Jinja2 docs, `default`. */
export const defaultFilter: Filter = function (value, ...args) {
  const a = filterArgs(args);
  const fallback = Object.hasOwn(a.kwargs, 'default_value') ? a.kwargs.default_value : a.positional.length > 0 ? a.positional[0] : '';
  const boolean = truthy(a.get(1, 'boolean', false));
  if (isUndefined(value) || (boolean && !truthy(value))) return fallback;
  return value;
};

/** `mandatory(value, msg=None)`: the value, or an error naming the missing variable. Source: Ansible docs, `mandatory`. */
export const mandatory: Filter = function (value, ...args) {
  if (isUndefined(value)) {
    const msg = filterArgs(args).get(0, 'msg', null);
    // Ansible 2.14 writes the name with a space after it, then ' not defined.' (two spaces).
    throw new Error(msg === null ? `Mandatory variable '${value.expression}'  not defined.` : String(msg));
  }
  return value;
};

/** `ternary(value, true_val, false_val, none_val=None)`. Source: Ansible docs, `ternary`. */
export const ternary: Filter = function (value, ...args) {
  const a = filterArgs(args);
  const noneVal = a.get(2, 'none_val', null);
  if (value === null && noneVal !== null) return noneVal;
  return truthy(value) ? a.get(0, 'true_val', undefined) : a.get(1, 'false_val', undefined);
};
