import { LazyVariable } from './lazy-vars.js';
import { splitKwargs } from './python-methods.js';
import { strict } from './undefined.js';

/** Python `range(stop)` / `range(start, stop[, step])` as a list. Source: Jinja2 docs, "List of Global Functions". */
export function pyRange(...args: unknown[]): number[] {
  const n = args.map((a) => Number(strict(a)));
  const [start, stop, step] = n.length === 1 ? [0, n[0] ?? 0, 1] : [n[0] ?? 0, n[1] ?? 0, n[2] ?? 1];
  if (step === 0) throw new RangeError('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** The global functions of Jinja2 that Ansible templates use: `range` and `dict(key=value)`. */
export const jinjaGlobals: Record<string, unknown> = {
  range: pyRange,
  namespace: (...args: unknown[]) => {
    const { positional, kwargs } = splitKwargs(args);
    const ns = Object.assign(Object.create(null) as Record<string, unknown>, ...positional.filter((p) => typeof p === 'object' && p !== null), kwargs);
    NAMESPACES.add(ns);
    return ns;
  },
  dict: (...args: unknown[]) => {
    const { positional, kwargs } = splitKwargs(args);
    const base = positional[0];
    const entries: [string, unknown][] = Array.isArray(base) ? (base as unknown[][]).map((p) => [String(p[0]), p[1]]) : typeof base === 'object' && base !== null ? Object.entries(base) : [];
    return { ...Object.fromEntries(entries), ...kwargs };
  },
};

const NAMESPACES = new WeakSet<object>();

/** True for an object made by the `namespace()` global (the only target of `{% set x.attr = … %}`). */
export function isNamespace(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && NAMESPACES.has(v);
}

/** What a lookup plugin receives besides its terms. */
export interface LookupContext {
  /** Keyword arguments of the call, e.g. `errors='ignore'`. */
  kwargs: Record<string, unknown>;
  /** Directories the template's `include`s are searched in (the role's or playbook's `templates/`). */
  searchPaths: string[];
  /** The template's variables (resolved when called). */
  vars: () => Record<string, unknown>;
  /** Renders template source with the template's variables plus `extra` (the `template` lookup). */
  render: (source: string, file: string, extra: Record<string, unknown>) => string;
}

/** A lookup plugin: terms in, a list of values out (Ansible's `LookupBase.run` contract). */
export type LookupPlugin = (terms: unknown[], context: LookupContext) => unknown[];

const lookupPlugins = new Map<string, LookupPlugin>();

type RenderHook = (source: string, vars: Record<string, unknown>, file: string, searchPaths: string[]) => string;
let renderHook: RenderHook | undefined;

/** Sets how the `template` lookup renders (the renderer registers itself; globals.ts cannot import it). */
export function setLookupRenderer(hook: RenderHook): void {
  renderHook = hook;
}

/**
 * Registers a lookup plugin for `lookup(name, ...)`, `query(name, ...)` and `q(name, ...)` in
 * templates. Later registrations of a name replace earlier ones.
 */
export function registerLookup(name: string, plugin: LookupPlugin): void {
  lookupPlugins.set(name, plugin);
}

/**
 * The `lookup`, `query` and `q` globals over the registered plugins, for templates searched in
 * `searchPaths`. `lookup` joins several results with commas, as Ansible does without
 * `wantlist=True`; `query`/`q` always return the list. Unknown plugins are errors.
 */
export function lookupGlobals(searchPaths: string[]): Record<string, unknown> {
  function run(this: unknown, args: unknown[]): { values: unknown[]; wantlist: boolean; ignored?: boolean } {
    const context = this as { ctx?: Record<string, unknown> } | undefined;
    const vars = (): Record<string, unknown> => {
      const ctx = context?.ctx ?? {};
      return Object.fromEntries(Object.keys(ctx).map((k) => { const v = ctx[k]; return [k, v instanceof LazyVariable ? v.get() : v]; }));
    };
    const render = (source: string, file: string, extra: Record<string, unknown>): string => renderHook!(source, { ...vars(), ...extra }, file, searchPaths);
    const { positional, kwargs } = splitKwargs(args);
    const [name, ...terms] = positional;
    const plugin = lookupPlugins.get(String(name));
    if (!plugin) throw new Error(`lookup plugin (${String(name)}) not found`);
    const { wantlist, errors, ...rest } = kwargs;
    try {
      return { values: plugin(terms, { kwargs: rest, searchPaths, vars, render }), wantlist: wantlist === true };
    } catch (e) {
      // Ansible 2.14 (_lookup): an ignored error gives [] to query() and None to lookup().
      if (errors === 'ignore') return { values: [], wantlist: wantlist === true, ignored: true };
      throw e;
    }
  }
  function query(this: unknown, ...args: unknown[]): unknown[] {
    return run.call(this, args).values;
  }
  return {
    lookup: function (this: unknown, ...args: unknown[]) {
      const { values, wantlist, ignored } = run.call(this, args);
      if (ignored === true && !wantlist) return null;
      if (wantlist || values.length === 0) return values;
      return values.every((v) => typeof v === 'string') ? values.join(',') : values.length === 1 ? values[0] : values;
    },
    query,
    q: query,
  };
}
