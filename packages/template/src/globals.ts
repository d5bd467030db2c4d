import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
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
}

/** A lookup plugin: terms in, a list of values out (Ansible's `LookupBase.run` contract). */
export type LookupPlugin = (terms: unknown[], context: LookupContext) => unknown[];

const lookupPlugins = new Map<string, LookupPlugin>();

/**
 * Registers a lookup plugin for `lookup(name, ...)`, `query(name, ...)` and `q(name, ...)` in
 * templates. Later registrations of a name replace earlier ones.
 */
export function registerLookup(name: string, plugin: LookupPlugin): void {
  lookupPlugins.set(name, plugin);
}

/**
 * `env`: the controller's environment variables; a missing one gives '' (Ansible 2.14's
 * `ansible.builtin.env` without `default`).
 */
registerLookup('env', (terms) => terms.map((t) => process.env[String(t)] ?? ''));

/**
 * `file`: the content of files on the controller, trailing whitespace stripped (Ansible's
 * `rstrip=True` default). Relative names are searched as Ansible does for a template: the
 * `files/` beside each templates directory, then the directory itself.
 */
registerLookup('file', (terms, { kwargs, searchPaths }) =>
  terms.map((t) => {
    const name = String(t);
    const candidates = isAbsolute(name) ? [name] : searchPaths.flatMap((p) => [...(basename(p) === 'templates' ? [join(dirname(p), 'files', name)] : []), join(p, 'files', name), join(p, name)]);
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new Error(`could not locate file in lookup: ${name}`);
    const text = readFileSync(found, 'utf8');
    return kwargs.rstrip === false ? text : text.replace(/\s+$/, '');
  }),
);

/**
 * The `lookup`, `query` and `q` globals over the registered plugins, for templates searched in
 * `searchPaths`. `lookup` joins several results with commas, as Ansible does without
 * `wantlist=True`; `query`/`q` always return the list. Unknown plugins are errors.
 */
export function lookupGlobals(searchPaths: string[]): Record<string, unknown> {
  const run = (args: unknown[]): { values: unknown[]; wantlist: boolean } => {
    const { positional, kwargs } = splitKwargs(args);
    const [name, ...terms] = positional;
    const plugin = lookupPlugins.get(String(name));
    if (!plugin) throw new Error(`lookup plugin (${String(name)}) not found`);
    const { wantlist, errors, ...rest } = kwargs;
    try {
      return { values: plugin(terms, { kwargs: rest, searchPaths }), wantlist: wantlist === true };
    } catch (e) {
      if (errors === 'ignore') return { values: [], wantlist: wantlist === true };
      throw e;
    }
  };
  const query = (...args: unknown[]) => run(args).values;
  return {
    lookup: (...args: unknown[]) => {
      const { values, wantlist } = run(args);
      if (wantlist) return values;
      return values.every((v) => typeof v === 'string') ? values.join(',') : values.length === 1 ? values[0] : values;
    },
    query,
    q: query,
  };
}
