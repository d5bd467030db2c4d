#!/usr/bin/env node
// Packs every publishable package of the workspace into one folder: the shape of a release.
//
//   node scripts/pack.mjs [--out DIR] [--no-build]
//
// Builds first (scripts/build.mjs) unless --no-build, checks every package's manifest
// (scripts/release.mjs), then packs them all with `pnpm pack`, which replaces the `workspace:*`
// ranges with the packages' version (npm pack would keep them, and npm cannot install them).
// Prints the tarballs' paths, one a line; DIR (default `release/`) holds nothing else afterwards.
// Publishing is `npm publish DIR/<tarball>` for each, in the printed order.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { publishablePackages, releaseFacts, releaseProblems } from './release.mjs';
import { REPO_ROOT, workspacePackages } from './workspace.mjs';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO_ROOT, 'release') }, 'no-build': { type: 'boolean', default: false } } });
const out = resolve(values.out);

const packages = publishablePackages(workspacePackages());
const problems = releaseProblems(packages, releaseFacts());
if (problems.length > 0) {
  process.stderr.write(`pack: the packages cannot be released as they are:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
if (!values['no-build']) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const filters = packages.flatMap((p) => ['--filter', p.name]);
const packed = JSON.parse(pnpm(['-r', ...filters, 'pack', '--pack-destination', out, '--json']));
const tarballs = (Array.isArray(packed) ? packed : [packed]).map((p) => p.filename);

// pnpm replaces workspace ranges; a tarball that still holds one would not install with npm.
for (const file of tarballs) {
  const manifest = execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' });
  if (manifest.includes('"workspace:')) {
    process.stderr.write(`pack: ${file} still has a workspace: range in its package.json\n`);
    process.exit(1);
  }
}
const made = readdirSync(out).filter((f) => f.endsWith('.tgz'));
if (made.length !== packages.length) {
  process.stderr.write(`pack: ${made.length} tarballs for ${packages.length} packages in ${out}\n`);
  process.exit(1);
}
process.stdout.write(`${tarballs.join('\n')}\n`);

/** Runs the workspace's pnpm (10.x on the PATH, else the version `packageManager` names, through npm exec). */
function pnpm(args) {
  const opts = { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] };
  let onPath = '';
  try {
    onPath = execFileSync('pnpm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not installed: fetched below
  }
  if (onPath.startsWith('10.')) return execFileSync('pnpm', args, opts);
  const { packageManager } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  return execFileSync('npm', ['exec', '--yes', `--package=${packageManager}`, '--', 'pnpm', ...args], opts);
}
