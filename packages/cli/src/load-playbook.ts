import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ConvergeError, isPlaybook, type Playbook } from '@converge/core';
import { loadCreateJiti } from './jiti.js';

/**
 * Loads a TypeScript (or JavaScript) playbook module with jiti and returns its default export.
 * jiti keeps a transpile cache, so a second load of an unchanged playbook is fast.
 *
 * @throws ConvergeError CONVERGE_PLAYBOOK when the file is missing, does not compile or load
 * (with the loader's message and location), or its default export is not a playbook.
 */
export async function loadPlaybook(path: string): Promise<{ playbook: Playbook; path: string }> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConvergeError('CONVERGE_PLAYBOOK', `playbook not found: ${path}`);
  const createJiti = loadCreateJiti();
  const jiti = createJiti(import.meta.url, { interopDefault: true, fsCache: true, moduleCache: true, alias: convergeAliases() });
  let mod: unknown;
  try {
    mod = await jiti.import(abs);
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    throw new ConvergeError('CONVERGE_PLAYBOOK', `cannot load playbook ${path}: ${err.message}`, {
      cause: e,
      location: { file: abs, ...(err.loc ? { line: err.loc.line, column: err.loc.column + 1 } : {}) },
    });
  }
  const candidate = (mod as { default?: unknown })?.default ?? mod;
  if (!isPlaybook(candidate)) {
    throw new ConvergeError('CONVERGE_PLAYBOOK', `${path} must default-export a playbook`, {
      hint: "write `export default definePlaybook([...])` (import { definePlaybook } from '@converge/core')",
    });
  }
  return { playbook: candidate, path: abs };
}

/**
 * The `@converge/*` packages (packages/* and roles/*) of the checkout this CLI runs from, by
 * name, with their folder and manifest; empty when the CLI is an installed package (its
 * `node_modules` holds no checkout).
 */
export function checkoutPackages(): Map<string, { dir: string; exports: Record<string, unknown> }> {
  const found = new Map<string, { dir: string; exports: Record<string, unknown> }>();
  let root: string;
  try {
    root = resolve(dirname(createRequire(import.meta.url).resolve('@converge/cli/package.json')), '../..');
  } catch {
    return found;
  }
  for (const parent of ['packages', 'roles']) {
    let names: string[];
    try {
      names = readdirSync(join(root, parent));
    } catch {
      continue;
    }
    for (const n of names) {
      const dir = join(root, parent, n);
      let pkg: { name?: string; main?: string; exports?: Record<string, unknown> | string };
      try {
        pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
      } catch {
        continue;
      }
      if (!pkg.name?.startsWith('@converge/')) continue;
      found.set(pkg.name, { dir, exports: typeof pkg.exports === 'string' ? { '.': pkg.exports } : (pkg.exports ?? { '.': pkg.main ?? './index.js' }) });
    }
  }
  return found;
}

/**
 * Maps every `@converge/*` package of the checkout this CLI runs from (see
 * {@link checkoutPackages}) to its entry file, so that a playbook or a TypeScript inventory
 * anywhere (outside the repository, without a node_modules of its own) imports the same
 * packages the CLI uses.
 *
 * @returns jiti aliases: package name (and each subpath export) -> absolute file path.
 */
export function convergeAliases(): Record<string, string> {
  const alias: Record<string, string> = {};
  for (const [name, { dir, exports }] of checkoutPackages()) {
    for (const [sub, target] of Object.entries(exports)) {
      const file = typeof target === 'string' ? target : (target as { default?: unknown } | null)?.default;
      if (typeof file !== 'string' || sub.includes('*') || sub === './package.json') continue;
      alias[sub === '.' ? name : `${name}/${sub.replace(/^\.\//, '')}`] = join(dir, file);
    }
  }
  return alias;
}
