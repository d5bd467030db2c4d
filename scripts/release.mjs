// What a release of the workspace is: every package that is not private (the packages/ and the
// roles/, found by scripts/workspace.mjs), each with the manifest fields a registry and an npm
// install need, the workspace's LICENSE, and the workspace's one version.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './workspace.mjs';

/** Fields every published package.json must have (npm's package.json documentation). */
export const REQUIRED_FIELDS = ['name', 'version', 'description', 'license', 'repository', 'keywords', 'engines', 'files', 'exports', 'types'];

/**
 * The packages a release ships: those of the workspace that are not `private` (examples are).
 *
 * @param {import('./workspace.mjs').WorkspacePackage[]} packages
 * @returns {import('./workspace.mjs').WorkspacePackage[]}
 */
export function publishablePackages(packages) {
  return packages.filter((p) => p.manifest.private !== true);
}

/**
 * The workspace's release facts, from the root package.json: the one version every package
 * carries, its license and repository.
 *
 * @param {string} [root]
 * @returns {{ version: string, license: string, repositoryUrl: string, licenseText: string }}
 */
export function releaseFacts(root = REPO_ROOT) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return {
    version: manifest.version,
    license: manifest.license,
    repositoryUrl: manifest.repository?.url,
    licenseText: readFileSync(join(root, 'LICENSE'), 'utf8'),
  };
}

/**
 * What keeps each package from being published and installed from its tarball: missing
 * manifest fields, a version other than the workspace's, a license or repository other than the
 * workspace's, a LICENSE file missing or different from the root's, TypeScript sources as entry
 * points (`main: ./index.ts`), a `files` list without the built `dist`.
 *
 * @param {import('./workspace.mjs').WorkspacePackage[]} packages - the publishable packages
 * @param {ReturnType<typeof releaseFacts>} facts
 * @returns {string[]} one line per problem, `<package path>: <problem>`; empty when all is well
 */
export function releaseProblems(packages, facts) {
  const problems = [];
  for (const p of packages) {
    const m = p.manifest;
    const say = (text) => problems.push(`${p.path}: ${text}`);
    for (const f of REQUIRED_FIELDS) if (m[f] === undefined || m[f] === '' || (Array.isArray(m[f]) && m[f].length === 0)) say(`package.json has no "${f}"`);
    if (m.version !== undefined && m.version !== facts.version) say(`version ${m.version} is not the workspace's ${facts.version} (one version for all packages: node scripts/set-version.mjs VERSION)`);
    if (m.license !== undefined && m.license !== facts.license) say(`license ${m.license} is not the workspace's ${facts.license}`);
    if (m.repository !== undefined && (m.repository.url !== facts.repositoryUrl || m.repository.directory !== p.path)) {
      say(`repository must be { "type": "git", "url": "${facts.repositoryUrl}", "directory": "${p.path}" }`);
    }
    if (!existsSync(join(p.dir, 'LICENSE'))) say('has no LICENSE file (copy the root LICENSE)');
    else if (readFileSync(join(p.dir, 'LICENSE'), 'utf8') !== facts.licenseText) say('LICENSE differs from the root LICENSE');
    for (const target of entryTargets(m)) if (/\.(c|m)?ts$/.test(target) && !target.endsWith('.d.ts')) say(`entry ${target} is TypeScript: publish the built JavaScript (dist/) and its .d.ts`);
    if (Array.isArray(m.files) && !m.files.includes('dist')) say('"files" does not list dist');
    if (m.engines?.node === undefined) say('"engines" has no node range');
  }
  return problems;
}

/** Every file a manifest names as an entry point: `main`, `types`, `bin` and the `exports` map. */
function entryTargets(m) {
  const out = [];
  const walk = (v) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(m.main);
  walk(m.bin);
  walk(m.exports);
  return out;
}
