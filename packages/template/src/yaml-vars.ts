import { parseData, toPlain, type PyYamlConstructors } from '@converge/ansible-formats';
import { pyInt, toPyFloat } from './python-value.js';
import { PyDate, PyDateTime } from './python-datetime.js';

/**
 * What PyYAML's safe loader makes of YAML 1.1 implicit scalars, as Python values: exact ints (a
 * bigint beyond 2**53), floats that stay floats (`2.0` is a {@link PyFloat}), `datetime.date` and
 * `datetime.datetime`. Source: PyYAML 6 `constructor.py` (`SafeConstructor`).
 */
export const PYTHON_CONSTRUCTORS: PyYamlConstructors = {
  int: (v) => pyInt(v),
  float: (v) => toPyFloat(v),
  timestamp: (t) => (t.time ? new PyDateTime(t.year, t.month, t.day, t.time.hour, t.time.minute, t.time.second, t.time.microsecond, t.time.offsetMinutes) : new PyDate(t.year, t.month, t.day)),
};

/**
 * Parses YAML variables (a vars file) as Ansible reads them, with Python's types: YAML 1.1 as
 * PyYAML resolves it (`yes`/`no` booleans, `y`/`n` strings, `08` a string, `010` is 8) and the
 * values of {@link PYTHON_CONSTRUCTORS}, so `2.0` renders as `2.0` like in Ansible.
 *
 * @throws Error with the YAML parser's message on invalid YAML, or when aliases expand more than
 *   `YAML_MAX_ALIAS_COUNT` times.
 */
export function parseYamlVars(text: string): unknown {
  return toPlain(parseData(text, '(vars)', { construct: PYTHON_CONSTRUCTORS, json: false, error: (message) => new Error(message) }).value);
}
