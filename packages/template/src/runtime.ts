import { isSafeString, nunjucks } from './nunjucks-internals.js';
import { binop, compareChain, pyIn, pyTypeName, truthy, unop } from './python-ops.js';
import { pythonMethod } from './python-methods.js';
import { dictViewKind, pyRepr, pyStr } from './python-repr.js';
import { LazyVariable } from './lazy-vars.js';
import { dictKeys, isDict, isTuple, toPyFloat, makeTuple } from './python-value.js';
import { TemplateFailure } from './template-failure.js';
import { isNamespace } from './globals.js';
import { Undefined, isUndefined, strict, throwUndefined } from './undefined.js';
import { callArgs, condUndefined, dict, filter, loopObject, makeMacro, test, unpack } from './jinja-runtime.js';
import { escapeHtml } from './filters/html.js';
import { noteUndefinedName } from './undefined-names.js';
import { blockFunction } from './compiler.js';

interface Frame {
  lookup(name: string): unknown;
}
interface Context {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

function lookupVariable(context: Context, frame: Frame, name: string): unknown {
  const local = frame.lookup(name);
  if (local !== undefined) return local;
  if (Object.hasOwn(context.ctx, name)) {
    const v = context.ctx[name];
    return v instanceof LazyVariable ? v.get() : v;
  }
  if (Object.hasOwn(context.env.globals, name)) return context.env.globals[name];
  noteUndefinedName(name);
  return new Undefined(name, `'${name}' is undefined`);
}

function typeLabel(v: unknown): string {
  return `${pyTypeName(v)} object`;
}

function itemLookup(target: unknown, key: unknown): { found: boolean; value?: unknown } {
  if (typeof key === 'number' || (typeof key === 'string' && /^-?\d+$/.test(key) && (Array.isArray(target) || typeof target === 'string'))) {
    if (Array.isArray(target) || typeof target === 'string') {
      // Strings are indexed by code point, as Python's str.
      const seq: readonly unknown[] = typeof target === 'string' ? Array.from(target) : target;
      const n = Number(key);
      const i = n < 0 ? seq.length + n : n;
      if (Number.isInteger(i) && i >= 0 && i < seq.length) return { found: true, value: seq[i] };
      return { found: false };
    }
  }
  if (isDict(target) && Object.hasOwn(target, String(key))) return { found: true, value: target[String(key)] };
  return { found: false };
}

/** `a.b` and `a['b']`: the item first, then a Python method, else an {@link Undefined}. */
function memberLookup(target: unknown, key: unknown, expression?: string): unknown {
  const expr = expression ?? String(key);
  if (isUndefined(target)) return new Undefined(expr, target.reason);
  if (isSafeString(target)) target = target.toString();
  const item = itemLookup(target, key);
  if (item.found) return item.value;
  const method = typeof key === 'string' ? pythonMethod(target, key) : undefined;
  if (method) return method;
  if (typeof key === 'string' && (typeof target === 'object' || typeof target === 'function') && target !== null && !isDict(target) && !Array.isArray(target) && Object.hasOwn(target, key)) {
    const v = (target as Record<string, unknown>)[key];
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  }
  return new Undefined(expr, `'${target === null || target === undefined ? 'None' : typeLabel(target)}' has no attribute '${String(key)}'`);
}

/** `a.b(...)`: a Python method first (so `d.items()` works even with an `items` key), then the item. */
function methodLookup(target: unknown, key: unknown, expression?: string): unknown {
  if (!isUndefined(target) && typeof key === 'string') {
    const t = isSafeString(target) ? target.toString() : target;
    const method = pythonMethod(t, key);
    if (method) return method;
  }
  return memberLookup(target, key, expression);
}

function callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
  if (isUndefined(fn)) throwUndefined(fn);
  if (typeof fn !== 'function') throw new TypeError(`'${name}' is not callable`);
  return (fn as (...a: unknown[]) => unknown).apply(context, args);
}

/** `{{ expr }}`: strict about Undefined; `None` prints as nothing (Ansible's finalize); HTML-escaped inside `{% autoescape true %}`. */
function suppressValue(v: unknown, autoescape = false): string {
  if (isUndefined(v)) throwUndefined(v);
  if (v === null || v === undefined) return '';
  // Ansible's finalize unrolls dict views (and generators) into lists (ansible-core 2.14 `_unroll_iterator`).
  if (dictViewKind(v) !== undefined) return pyRepr([...(v as unknown[])]);
  if (autoescape && !isSafeString(v)) return escapeHtml(pyStr(v));
  return pyStr(v);
}

/** The sequence a `for` loop walks, as Python iterates it: lists, strings (characters), dicts (keys). */
function iterate(v: unknown): unknown[] {
  const x = strict(v);
  if (Array.isArray(x)) return x;
  if (typeof x === 'string') return Array.from(x);
  if (isSafeString(x)) return Array.from(x.toString());
  if (isDict(x)) return dictKeys(x);
  if (x !== null && typeof x === 'object' && Symbol.iterator in x) return Array.from(x as Iterable<unknown>);
  throw new TypeError(`'${pyTypeName(x)}' object is not iterable`);
}

/** Python slicing `x[start:stop:step]` of lists and strings. */
function pySlice(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const t = strict(target);
  const seq: unknown[] = typeof t === 'string' ? Array.from(t) : Array.isArray(t) ? t : iterate(t);
  const n = seq.length;
  const st = step === null ? 1 : Number(strict(step));
  if (st === 0) throw new RangeError('slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === null) return dflt;
    let i = Number(strict(v));
    if (i < 0) i += n;
    return Math.min(Math.max(i, lo), hi);
  };
  const out: unknown[] = [];
  if (st > 0) for (let i = norm(start, 0, 0, n); i < norm(stop, n, 0, n); i += st) out.push(seq[i]);
  else for (let i = norm(start, n - 1, -1, n - 1); i > norm(stop, -1, -1, n - 1); i += st) out.push(seq[i]);
  return typeof t === 'string' ? out.join('') : isTuple(t) ? makeTuple(out) : out;
}

/** `{% set ns.attr = value %}`: only a {@link namespace} takes attribute assignment (Jinja2 rule). */
function namespaceSet(target: unknown, attr: unknown, value: unknown): void {
  if (!isNamespace(target)) throw new TypeError('cannot assign attribute on non-namespace object');
  target[String(attr)] = value;
}

function handleError(e: unknown, lineno: number | undefined, colno: number | undefined, file?: string): TemplateFailure {
  if (e instanceof TemplateFailure) return e;
  return new TemplateFailure(e, file, lineno === undefined ? undefined : lineno + 1, colno === undefined ? undefined : colno + 1);
}

let runtime: Record<string, unknown> | undefined;

/**
 * The runtime object handed to templates compiled by {@link ./compiler.ts}: nunjucks' runtime with
 * Jinja2/Ansible semantics for variable lookup (StrictUndefined), attribute access, calls, output,
 * truth, operators and iteration. Pinned to nunjucks 3.2.4's runtime interface. Built on first use
 * (nunjucks is loaded then).
 */
export function pythonRuntime(): Record<string, unknown> {
  return (runtime ??= {
    ...(nunjucks().runtime as unknown as Record<string, unknown>),
    contextOrFrameLookup: lookupVariable,
    memberLookup,
    methodLookup,
    callWrap,
    suppressValue,
    handleError,
    inOperator: pyIn,
    truthy,
    binop,
    unop,
    compareChain,
    iterate,
    loopObject,
    unpack,
    callArgs,
    makeMacro,
    condUndefined,
    test,
    filter,
    dict,
    namespaceSet,
    float: toPyFloat,
    slice: pySlice,
    tuple: makeTuple,
    pyAnd: (a: unknown, b: () => unknown) => (truthy(a) ? b() : a),
    pyOr: (a: unknown, b: () => unknown) => (truthy(a) ? a : b()),
    dictKey: (k: unknown) => pyStr(strict(k)),
    blockFunction,
  });
}
