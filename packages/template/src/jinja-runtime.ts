import { pyStr } from './python-repr.js';
import { pyTypeName } from './python-ops.js';
import { dictKeys, isDict, makeTuple, setDictKey } from './python-value.js';
import { splitKwargs } from './python-methods.js';
import { Undefined, strict } from './undefined.js';

/**
 * The run-time pieces of Jinja2 statements that nunjucks has no equivalent for: the `loop`
 * object (with `loop(...)` for recursive loops), macro argument binding, call arguments with
 * `*args`/`**kwargs`, target unpacking, tests and filters by name.
 * Source: Jinja2 3.1 `runtime.py` (`LoopContext`, `Macro`), Jinja2 docs "Template Designer".
 */

/** A recursive loop's body: renders `items` at `depth` and returns the text. */
type LoopBody = (items: unknown[], depth: number) => string;

/**
 * Jinja2's `loop` variable for item `i` of `items`: `index`, `index0`, `revindex`, `revindex0`,
 * `first`, `last`, `length`, `depth`, `depth0`, `previtem`, `nextitem`, `cycle(...)`,
 * `changed(...)`; callable as `loop(children)` in a `recursive` loop.
 */
export function loopObject(items: unknown[], i: number, depth: number, recurse: LoopBody | null): unknown {
  const loop = ((...args: unknown[]) => {
    if (!recurse) throw new TypeError("The loop must have the 'recursive' marker to be called recursively.");
    return recurse(iterateValue(args[0]), depth + 1);
  }) as unknown as Record<string, unknown>;
  const n = items.length;
  const props: Record<string, unknown> = {
    index: i + 1,
    index0: i,
    revindex: n - i,
    revindex0: n - i - 1,
    first: i === 0,
    last: i === n - 1,
    length: n,
    depth,
    depth0: depth - 1,
    previtem: i > 0 ? items[i - 1] : new Undefined('loop.previtem', 'there is no previous item'),
    nextitem: i < n - 1 ? items[i + 1] : new Undefined('loop.nextitem', 'there is no next item'),
    cycle: (...args: unknown[]) => {
      if (args.length === 0) throw new TypeError('no items for cycling given');
      return args[i % args.length];
    },
    changed: (...args: unknown[]) => {
      const key = JSON.stringify(args.map((a) => pyStr(strict(a))));
      if (lastChanged.get(items) === key) return false;
      lastChanged.set(items, key);
      return true;
    },
  };
  for (const [k, v] of Object.entries(props)) Object.defineProperty(loop, k, { value: v, enumerable: true });
  Object.defineProperty(loop, LOOP, { value: true });
  return loop;
}

const LOOP = Symbol('converge.template.loop');
const lastChanged = new WeakMap<object, string>();

function iterateValue(v: unknown): unknown[] {
  const x = strict(v);
  if (Array.isArray(x)) return x;
  if (typeof x === 'string') return Array.from(x);
  if (isDict(x)) return dictKeys(x);
  throw new TypeError(`'${pyTypeName(x)}' object is not iterable`);
}

/** Python's tuple unpacking of `value` into `n` targets. */
export function unpack(value: unknown, n: number): unknown[] {
  const items = iterateValue(value);
  if (items.length > n) throw new TypeError(`too many values to unpack (expected ${n})`);
  if (items.length < n) throw new TypeError(`not enough values to unpack (expected ${n}, got ${items.length})`);
  return items;
}

/** The argument list of a call: positional, `*args`, then keywords and `**kwargs` as nunjucks' keyword object. */
export function callArgs(args: unknown[], dynArgs: unknown, kwargs: Record<string, unknown>, dynKwargs: unknown): unknown[] {
  const out = dynArgs === null ? args : [...args, ...iterateValue(dynArgs)];
  const kw = dynKwargs === null ? kwargs : { ...kwargs, ...(strict(dynKwargs) as Record<string, unknown>) };
  if (Object.keys(kw).length === 0) return out;
  return [...out, Object.assign(kw, { __keywords: true })];
}

/**
 * A macro as Jinja2 calls it: positional arguments, then keywords, then defaults; extra positional
 * arguments go to `varargs` and extra keywords to `kwargs` only when the body uses them, else the
 * call is an error; `caller` is passed by a call block.
 */
export function makeMacro(name: string, params: string[], defaultCount: number, uses: string[], body: (args: Record<string, unknown>) => string): (...args: unknown[]) => string {
  const catchVarargs = uses.includes('varargs');
  const catchKwargs = uses.includes('kwargs');
  const usesCaller = uses.includes('caller');
  const macro = (...callArgsList: unknown[]): string => {
    const { positional, kwargs } = splitKwargs(callArgsList);
    const bound: Record<string, unknown> = {};
    params.forEach((p, i) => {
      if (i < positional.length) {
        if (Object.hasOwn(kwargs, p)) throw new TypeError(`macro '${name}' got multiple values for argument '${p}'`);
        bound[p] = positional[i];
      } else if (Object.hasOwn(kwargs, p)) {
        bound[p] = kwargs[p];
        delete kwargs[p];
      } else if (i < params.length - defaultCount) {
        bound[p] = new Undefined(p, `parameter '${p}' was not provided`);
      }
    });
    if (Object.hasOwn(kwargs, 'caller')) {
      if (usesCaller || name === 'caller') bound.caller = kwargs.caller;
      delete kwargs.caller;
    }
    const extra = positional.slice(params.length);
    if (catchVarargs) bound.varargs = makeTuple(extra);
    else if (extra.length > 0) throw new TypeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
    if (catchKwargs) bound.kwargs = { ...kwargs };
    else {
      const unknown = Object.keys(kwargs)[0];
      if (unknown !== undefined) throw new TypeError(`macro '${name}' takes no keyword argument '${unknown}'`);
    }
    return body(bound);
  };
  return macro;
}

/** `{{ a if b }}` when `b` is false: Jinja2's Undefined (an error when printed under StrictUndefined). */
export function condUndefined(lineno: number): Undefined {
  return new Undefined('(inline if)', `the inline if-expression on line ${lineno} evaluated to false and no else section was defined.`);
}

interface Env {
  getTest(name: string): (...args: unknown[]) => unknown;
  getFilter(name: string): (...args: unknown[]) => unknown;
  tests: Record<string, unknown>;
  filters: Record<string, unknown>;
}

/**
 * `value is name(args)`: the test's result as the test returns it (Ansible's `changed` gives the
 * result's own `changed` value, which `{{ }}` prints); an unknown test is Jinja2's error.
 */
export function test(env: Env, name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const fn = env.tests[name] as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) throw new Error(`No test named '${name}'.`);
  const all = Object.keys(kwargs).length > 0 ? [...args, Object.assign(kwargs, { __keywords: true })] : args;
  return fn(value, ...all);
}

/** `value | name(args)`: the filter's result; an unknown filter is Jinja2's error. */
export function filter(env: Env, context: unknown, name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const fn = env.filters[name] as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) throw new Error(`No filter named '${name}'.`);
  const all = Object.keys(kwargs).length > 0 ? [...args, Object.assign(kwargs, { __keywords: true })] : args;
  return fn.call(context, value, ...all);
}

/** A dict literal `{k: v}`: keys as Python's str keys (a dict here is keyed by strings). */
export function dict(pairs: [unknown, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of pairs) {
    const key = strict(k);
    const text = pyStr(key);
    out[text] = v;
    setDictKey(out, text, key);
  }
  return out;
}

/** True for a `loop` object made by {@link loopObject}. */
export function isLoop(v: unknown): boolean {
  return typeof v === 'function' && (v as unknown as Record<symbol, unknown>)[LOOP] === true;
}

