import type Nunjucks from 'nunjucks';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { compileCached } from './compile-cache.js';
import { ansibleFilters } from './filters/index.js';
import { nunjucks } from './nunjucks-internals.js';
import { jinjaTests } from './tests.js';
import { ansibleTests } from './ansible-tests.js';
import { jinjaGlobals, lookupGlobals } from './globals.js';

interface SearchPathLoaderClass {
  new (searchPaths: string[]): Nunjucks.ILoaderAny;
}

let searchPathLoader: SearchPathLoaderClass | undefined;

// Defined on first use: its base class is nunjucks', and nunjucks is loaded on the first render.
function searchPathLoaderClass(): SearchPathLoaderClass {
  if (searchPathLoader) return searchPathLoader;
  /** A nunjucks loader that finds `include`/`import`/`extends` targets in search paths and compiles them with Jinja2 semantics. */
  class SearchPathLoader extends nunjucks().Loader {
    private readonly searchPaths: string[];
    constructor(searchPaths: string[]) {
      super();
      this.searchPaths = searchPaths;
    }
    getSource(name: string): Nunjucks.LoaderSource | null {
      const candidates = isAbsolute(name) ? [name] : this.searchPaths.map((p) => join(p, name));
      for (const path of candidates) {
        if (!existsSync(path)) continue;
        const source = readFileSync(path, 'utf8');
        const compiled = compileCached(source, name);
        return { src: { type: 'code', obj: compiled }, path: resolve(path), noCache: true } as unknown as Nunjucks.LoaderSource;
      }
      return null;
    }
  }
  searchPathLoader = SearchPathLoader as unknown as SearchPathLoaderClass;
  return searchPathLoader;
}

/**
 * A nunjucks environment configured as Ansible's Jinja2 environment: no autoescaping,
 * Ansible/Jinja2 filters and tests, `range`/`dict`/`lipsum`-free globals, and a loader over
 * `searchPaths` for `include`, `import` and `extends`.
 */
export function createEnvironment(searchPaths: string[]): Nunjucks.Environment {
  const Loader = searchPathLoaderClass();
  const env = new (nunjucks().Environment)(new Loader(searchPaths), { autoescape: false, trimBlocks: true, lstripBlocks: false, throwOnUndefined: false, dev: true });
  // Only Jinja2's and Ansible's filters and tests: nunjucks' own (`dump`, `nl2br`, ...) would let
  // through templates Ansible refuses.
  const own = env as unknown as { filters: Record<string, unknown>; tests: Record<string, unknown> };
  own.filters = {};
  own.tests = {};
  for (const [name, fn] of Object.entries(ansibleFilters)) env.addFilter(name, fn);
  const withTests = env as unknown as { addTest(name: string, fn: (...args: unknown[]) => unknown): void };
  for (const [name, fn] of Object.entries({ ...jinjaTests, ...ansibleTests })) withTests.addTest(name, fn);
  const tests = (env as unknown as { tests: Record<string, unknown> }).tests;
  const filters = (env as unknown as { filters: Record<string, unknown> }).filters;
  // Ansible's plugin loaders raise on an unknown name instead of answering false (ansible-core 2.14).
  const known = (table: Record<string, unknown>) => (name: unknown): boolean => {
    if (!Object.hasOwn(table, String(name))) throw new Error(`Could not load "${String(name)}": '${String(name)}'`);
    return true;
  };
  withTests.addTest('filter', known(filters));
  withTests.addTest('test', known(tests));
  for (const [name, value] of Object.entries({ ...jinjaGlobals, ...lookupGlobals(searchPaths) })) env.addGlobal(name, value);
  return env;
}
