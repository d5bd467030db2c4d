// The workspace's packages as the build, the test configuration and the tests see them: read from
// pnpm-workspace.yaml and each package's package.json, so that a new package is picked up by
// being there, not by being added to a list. What a package contributes beyond its manifest's
// usual fields it declares under "converge" in its package.json:
//   "converge": {
//     "modules": ["haproxy"],                 module families (ids `haproxy.*`) its entry exports
//     "bundle": { "index": "dist/index.js" }  entries bundled by scripts/bundle.mjs (fast start-up)
//   }
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** The repository root (the directory holding pnpm-workspace.yaml). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * One workspace package.
 *
 * @typedef {object} WorkspacePackage
 * @property {string} name - the package name, e.g. `@converge/haproxy`
 * @property {string} dir - absolute directory
 * @property {string} path - directory relative to the root, e.g. `packages/haproxy`
 * @property {Record<string, unknown>} manifest - the parsed package.json
 * @property {boolean} typescriptProject - the directory holds a tsconfig.json (built by `tsc -b`)
 * @property {Record<string, string>} sources - export subpath (`.`, `./lean`) -> absolute TypeScript source of that entry, for entries whose source exists
 * @property {string[]} moduleFamilies - `converge.modules`: module id families the package exports
 * @property {Record<string, string>} bundle - `converge.bundle`: output name -> compiled entry, relative to `dir`
 */

/**
 * The folders pnpm-workspace.yaml lists (`dir/*` patterns and plain folders), each once, in the
 * file's order, then by name.
 *
 * @param {string} [root]
 * @returns {string[]} absolute directories that hold a package.json
 * @throws {Error} for a pattern this reader does not understand (anything but `dir/*` and `dir`)
 */
export function workspaceDirs(root = REPO_ROOT) {
  const doc = parseYaml(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')) ?? {};
  const dirs = [];
  for (const pattern of doc.packages ?? []) {
    if (typeof pattern !== 'string' || pattern.startsWith('!')) continue;
    const m = /^([\w./-]+?)(\/\*)?$/.exec(pattern);
    if (!m || m[1].includes('*')) throw new Error(`pnpm-workspace.yaml: the pattern ${JSON.stringify(pattern)} is not of the form dir/* or dir`);
    const base = join(root, m[1]);
    const found = m[2] ? (existsSync(base) ? readdirSync(base).sort().map((n) => join(base, n)) : []) : [base];
    for (const d of found) if (statSync(d, { throwIfNoEntry: false })?.isDirectory() && existsSync(join(d, 'package.json')) && !dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

/**
 * Every workspace package, with what the build and the tests need to know of it.
 *
 * @param {string} [root]
 * @returns {WorkspacePackage[]}
 */
export function workspacePackages(root = REPO_ROOT) {
  return workspaceDirs(root).map((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const converge = manifest.converge ?? {};
    return {
      name: manifest.name,
      dir,
      path: relative(root, dir),
      manifest,
      typescriptProject: existsSync(join(dir, 'tsconfig.json')),
      sources: entrySources(dir, manifest),
      moduleFamilies: converge.modules ?? [],
      bundle: converge.bundle ?? {},
    };
  });
}

/**
 * Export subpath -> TypeScript source, from the `exports` map (or `main`): `./dist/x.js`,
 * `./dist/x.bundle.js` and `./x.ts` all map to the source that exists (`src/x.ts` or `x.ts`).
 *
 * @param {string} dir
 * @param {Record<string, any>} manifest
 * @returns {Record<string, string>}
 */
function entrySources(dir, manifest) {
  const exp = typeof manifest.exports === 'string' ? { '.': manifest.exports } : (manifest.exports ?? (manifest.main ? { '.': manifest.main } : {}));
  /** @type {Record<string, string>} */
  const out = {};
  for (const [sub, target] of Object.entries(exp)) {
    const file = typeof target === 'string' ? target : target?.default;
    if (typeof file !== 'string' || sub.includes('*') || sub === './package.json') continue;
    const stem = file.replace(/^\.\//, '').replace(/^dist\//, '').replace(/(\.bundle)?\.(js|ts)$/, '');
    const candidates = [join(dir, 'src', `${stem}.ts`), join(dir, `${stem}.ts`)];
    const source = candidates.find((c) => existsSync(c));
    if (source) out[sub] = source;
  }
  return out;
}

/**
 * Module resolution aliases for running the workspace from its TypeScript sources (vitest):
 * package name and each subpath -> source file, subpaths first (an alias also matches `name/...`).
 *
 * @param {WorkspacePackage[]} packages
 * @returns {Record<string, string>}
 */
export function sourceAliases(packages) {
  const entries = [];
  for (const p of packages) {
    if (!p.name || !existsSync(join(p.dir, 'src'))) continue;
    for (const [sub, source] of Object.entries(p.sources)) entries.push([sub === '.' ? p.name : `${p.name}/${sub.replace(/^\.\//, '')}`, source]);
  }
  entries.sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1));
  return Object.fromEntries(entries);
}

/**
 * The packages that export modules (they declare `converge.modules`), `@converge/modules` first.
 *
 * @param {WorkspacePackage[]} packages
 * @returns {WorkspacePackage[]}
 */
export function modulePackages(packages) {
  return packages.filter((p) => p.moduleFamilies.length > 0).sort((a, b) => (a.name === '@converge/modules' ? -1 : b.name === '@converge/modules' ? 1 : 0));
}

/**
 * The TypeScript projects `tsc -b` builds: every package with a tsconfig.json, as paths relative
 * to the root (tsc orders them by their project references).
 *
 * @param {WorkspacePackage[]} packages
 * @returns {string[]}
 */
export function typescriptProjects(packages) {
  return packages.filter((p) => p.typescriptProject).map((p) => p.path);
}

/**
 * The bundles to build: per package that declares `converge.bundle`, its directory and entries.
 *
 * @param {WorkspacePackage[]} packages
 * @returns {{ dir: string, entries: Record<string, string> }[]}
 */
export function bundleTargets(packages) {
  return packages.filter((p) => Object.keys(p.bundle).length > 0).map((p) => ({ dir: p.dir, entries: p.bundle }));
}
