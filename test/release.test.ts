// Every package of the workspace but the examples is publishable and installable with plain npm
// from its tarball: the manifest fields a registry shows, built JavaScript with declarations as
// entry points, the workspace's LICENSE and its one version. (Packing and installing the
// tarballs for real is test/product/install.int.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishablePackages, releaseFacts, releaseProblems } from '../scripts/release.mjs';
import { REPO_ROOT, workspacePackages } from '../scripts/workspace.mjs';

const packages = workspacePackages();
const publishable = publishablePackages(packages);

describe('the release', () => {
  it('holds every package and role, and no example', () => {
    const paths = publishable.map((p) => p.path);
    for (const p of packages) expect(paths.includes(p.path), p.path).toBe(!p.path.startsWith('examples/'));
    expect(paths.filter((p) => p.startsWith('roles/')).length).toBeGreaterThan(0);
  });

  it('has nothing that keeps a package from being published and installed', () => {
    expect(releaseProblems(publishable, releaseFacts())).toEqual([]);
  });

  it('gives the CLI its bin and the test helpers their image recipe', () => {
    const manifest = (name: string) => publishable.find((p) => p.name === name)?.manifest as { bin?: Record<string, string>; files?: string[] };
    expect(manifest('@converge/cli').bin).toEqual({ converge: './bin/converge.js' });
    expect(manifest('@converge/testing').files).toContain('scripts');
    expect(readFileSync(join(publishable.find((p) => p.name === '@converge/testing')!.dir, 'scripts/build-image.sh'), 'utf8')).toContain('debootstrap');
  });

  it('npx converge at the root of the workspace runs its CLI (the root depends on @converge/cli)', () => {
    const version = execFileSync('npx', ['--no-install', 'converge', '--version'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } }).trim();
    expect(version).toBe(releaseFacts().version);
  });

  const facts = { version: '1.2.3', license: 'Apache-2.0', repositoryUrl: 'git+https://example.test/converge.git', licenseText: 'the license\n' };
  const good = {
    name: '@converge/x',
    version: '1.2.3',
    description: 'x',
    license: 'Apache-2.0',
    keywords: ['converge'],
    repository: { type: 'git', url: facts.repositoryUrl, directory: 'packages/x' },
    engines: { node: '>=20.19' },
    files: ['dist'],
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    types: './dist/index.d.ts',
  };
  const cases: [string, Record<string, unknown>, string | undefined, RegExp][] = [
    ['a complete package', good, facts.licenseText, /^$/],
    ['a role that ships its TypeScript source', { ...good, main: './index.ts', exports: { '.': './index.ts' } }, facts.licenseText, /entry \.\/index\.ts is TypeScript/],
    ['another version', { ...good, version: '1.2.4' }, facts.licenseText, /version 1\.2\.4 is not the workspace's 1\.2\.3/],
    ['no description and no keywords', { ...good, description: undefined, keywords: [] }, facts.licenseText, /no "description"[\s\S]*no "keywords"/],
    ['no LICENSE file', good, undefined, /has no LICENSE file/],
    ['another LICENSE text', good, 'MIT\n', /LICENSE differs/],
    ['a repository without its directory', { ...good, repository: { type: 'git', url: facts.repositoryUrl } }, facts.licenseText, /repository must be/],
  ];
  it.each(cases)('checks %s', (_name, manifest, license, expected) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'converge-release-')), 'packages', 'x');
    mkdirSync(dir, { recursive: true });
    if (license !== undefined) writeFileSync(join(dir, 'LICENSE'), license);
    const problems = releaseProblems([{ name: '@converge/x', dir, path: 'packages/x', manifest, typescriptProject: true, sources: {}, moduleFamilies: [], bundle: {} }], facts);
    expect(problems.join('\n')).toMatch(expected);
  });
});
