import { PyDateTime, strftime, strptime, timeFields } from '../python-datetime.js';
import { pyStr } from '../python-repr.js';
import { isNumber, num } from '../python-value.js';
import { parsePyFloat } from './types.js';
import { filterArgs, type Filter } from './filter-args.js';

/**
 * ansible-core 2.14's date filters. Sources: ansible-core 2.14 `plugins/filter/core.py`
 * (`strftime`, `to_datetime`); Python docs, `time.strftime` and `datetime.strptime`.
 */

/** `strftime(string_format, second=None, utc=False)`: `time.strftime` of `second` (now by default), local time or UTC. */
export const strftimeFilter: Filter = (format, ...args) => {
  const a = filterArgs(args);
  const second = a.get(0, 'second', null);
  const utc = a.get(1, 'utc', false) === true;
  let seconds = Date.now() / 1000;
  if (second !== null) {
    const n = isNumber(second) ? num(second) : typeof second === 'boolean' ? Number(second) : parsePyFloat(pyStr(second));
    if (n === undefined || Number.isNaN(n)) throw new Error(`Invalid value for epoch value (${pyStr(second)})`);
    seconds = n;
  }
  return strftime(pyStr(format), timeFields(seconds, utc));
};

/** `to_datetime(format='%Y-%m-%d %H:%M:%S')`: `datetime.strptime` of the string. */
export const toDatetime: Filter = (value, ...args): PyDateTime => strptime(pyStr(value), pyStr(filterArgs(args).get(0, 'format', '%Y-%m-%d %H:%M:%S')));
