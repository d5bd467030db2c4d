#!/usr/bin/env node
// Sets the one version of the workspace: the root package.json and every publishable package
// (scripts/release.mjs). Dependencies between the packages stay `workspace:*`; `pnpm pack`
// (scripts/pack.mjs) writes this version into them.
//
//   node scripts/set-version.mjs 0.2.0
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishablePackages } from './release.mjs';
import { REPO_ROOT, workspacePackages } from './workspace.mjs';

const version = process.argv[2] ?? '';
// semver 2.0.0, section 9 and 10 (pre-release and build metadata)
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
  process.stderr.write(`set-version: give a version such as 0.2.0 (got ${JSON.stringify(version)})\n`);
  process.exit(5);
}
const dirs = [REPO_ROOT, ...publishablePackages(workspacePackages()).map((p) => p.dir)];
for (const dir of dirs) {
  const file = join(dir, 'package.json');
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/^(\s*"version":\s*)"[^"]*"/m, `$1"${version}"`);
  if (next === text && !text.includes(`"version": "${version}"`)) {
    process.stderr.write(`set-version: ${file} has no "version" field\n`);
    process.exit(1);
  }
  writeFileSync(file, next);
}
process.stdout.write(`version ${version} in ${dirs.length} package.json files\n`);
