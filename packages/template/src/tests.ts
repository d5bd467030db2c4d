import { isSafeString } from './nunjucks-internals.js';
import { compareChain, pyIn } from './python-ops.js';
import { isDict, isFloat, isNumber, num } from './python-value.js';
import { toPythonRegExp } from './python-regex.js';
import { dictViewKind } from './python-repr.js';
import { isUndefined, strict } from './undefined.js';

type Test = (value: unknown, ...args: unknown[]) => boolean;

function isString(v: unknown): boolean {
  return typeof v === 'string' || isSafeString(v);
}

function regexTest(mode: 'match' | 'search' | 'fullmatch'): Test {
  return (value, pattern, ...rest) => {
    const last = rest[rest.length - 1];
    const kw = isDict(last) && Object.hasOwn(last, '__keywords') ? last : {};
    const re = toPythonRegExp(String(strict(pattern)), { ignorecase: kw.ignorecase === true, multiline: kw.multiline === true });
    const s = String(strict(value));
    if (mode === 'search') return re.test(s);
    const anchored = new RegExp(mode === 'match' ? `^(?:${re.source})` : `^(?:${re.source})$`, re.flags.replace('m', ''));
    return anchored.test(s);
  };
}

/**
 * The Jinja2 tests (`x is defined`, `x is string`, ...) and the Ansible tests templates use most.
 * `defined`/`undefined` accept an Undefined; type tests (`string`, `mapping`, ...) return false
 * for it, as StrictUndefined does; tests that need the value throw the undefined-variable error.
 * Sources: Jinja2 docs, "List of Builtin Tests"; Ansible docs, "Tests".
 */
export const jinjaTests: Record<string, Test> = {
  defined: (v) => !isUndefined(v),
  undefined: (v) => isUndefined(v),
  none: (v) => v === null,
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  string: isString,
  number: (v) => isNumber(v) || typeof v === 'boolean' || typeof v === 'bigint',
  integer: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
  float: (v) => isNumber(v) && isFloat(v),
  mapping: (v) => isDict(v),
  // A dict view (`d.values()`) is iterable but has no indexing: not a sequence.
  sequence: (v) => (Array.isArray(v) && dictViewKind(v) === undefined) || isString(v) || isDict(v),
  iterable: (v) => Array.isArray(v) || isString(v) || isDict(v),
  callable: (v) => typeof v === 'function',
  // Python's str.islower()/isupper(): at least one cased character, and none of the other case.
  lower: (v) => { const s = String(strict(v)); return s === s.toLowerCase() && s !== s.toUpperCase(); },
  upper: (v) => { const s = String(strict(v)); return s === s.toUpperCase() && s !== s.toLowerCase(); },
  escaped: (v) => isSafeString(v),
  even: (v) => num(strict(v) as number) % 2 === 0,
  odd: (v) => Math.abs(num(strict(v) as number) % 2) === 1,
  divisibleby: (v, n) => num(strict(v) as number) % num(strict(n) as number) === 0,
  eq: (a, b) => compareChain(a, '==', b),
  equalto: (a, b) => compareChain(a, '==', b),
  '==': (a, b) => compareChain(a, '==', b),
  ne: (a, b) => compareChain(a, '!=', b),
  '!=': (a, b) => compareChain(a, '!=', b),
  lt: (a, b) => compareChain(a, '<', b),
  '<': (a, b) => compareChain(a, '<', b),
  le: (a, b) => compareChain(a, '<=', b),
  '<=': (a, b) => compareChain(a, '<=', b),
  gt: (a, b) => compareChain(a, '>', b),
  '>': (a, b) => compareChain(a, '>', b),
  ge: (a, b) => compareChain(a, '>=', b),
  '>=': (a, b) => compareChain(a, '>=', b),
  greaterthan: (a, b) => compareChain(a, '>', b),
  lessthan: (a, b) => compareChain(a, '<', b),
  sameas: (a, b) => a === b,
  in: (a, b) => pyIn(a, b),
  match: regexTest('match'),
  search: regexTest('search'),
  regex: (value, pattern, ...rest) => {
    const last = rest[rest.length - 1];
    const kw = isDict(last) && Object.hasOwn(last, '__keywords') ? last : {};
    return regexTest(kw.match_type === 'match' ? 'match' : kw.match_type === 'fullmatch' ? 'fullmatch' : 'search')(value, pattern, ...rest);
  },
};
