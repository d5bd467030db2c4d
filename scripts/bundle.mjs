#!/usr/bin/env node
// Bundles the runtime packages after `tsc -b`: each package's compiled `dist/` modules, with the
// pure-JavaScript libraries they import, become a few files (`dist/*.bundle.js`, shared code in
// `dist/chunks/`). Node's ESM loader costs about 1 ms of CPU per file; TypeBox alone is 200 files,
// and loading a playbook read about 600 (see bench/FINDINGS.md). `dynamic import()` stays a
// separate chunk, so what is loaded lazily stays lazy. Workspace packages stay external, so every
// package still shares one `@converge/core` with the playbook; so do libraries with native parts
// or files read at run time (ssh2, jiti, nunjucks, node-vault).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';
import { bundleTargets, workspacePackages } from './workspace.mjs';

const INLINE = new Set(['@sinclair/typebox', 'ajv', 'ajv-formats', 'yaml', 'diff', 'p-limit', 'yocto-queue', 'commander', 'chalk', 'fast-uri', 'fast-deep-equal', 'json-schema-traverse', 'require-from-string']);
const pkgName = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);

/** Entry points per package, as each declares them (`converge.bundle` in its package.json). */
const PACKAGES = bundleTargets(workspacePackages());

for (const { dir, entries } of PACKAGES) {
  rmSync(join(dir, 'dist/chunks'), { recursive: true, force: true });
  const input = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(dir, v)]));
  const bundle = await rolldown({
    input,
    platform: 'node',
    cwd: dir,
    logLevel: 'warn',
    // The CLI imports a command module both ways on purpose (static for registration, dynamic for its action).
    checks: { ineffectiveDynamicImport: false },
    external: (id, importer) => {
      if (id.startsWith('node:') || id.startsWith('.') || id.startsWith('/') || importer === undefined) return false;
      if (id.startsWith('\0') || id.startsWith('#')) return false;
      return !INLINE.has(pkgName(id));
    },
  });
  // ASCII only: one non-ASCII character makes V8 hold a whole bundle as a two-byte string. JSDoc
  // comments are left out (the .d.ts files keep them); they were an eighth of the code to parse.
  await bundle.write({ dir: join(dir, 'dist'), format: 'esm', charset: 'ascii', comments: { legal: true, annotation: true, jsdoc: false }, entryFileNames: '[name].bundle.js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true });
  await bundle.close();
}
