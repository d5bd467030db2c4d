// converge init: a playbook repository a team can commit, written without overwriting anything.
// (Installing it from the release tarballs with npm, type-checking it and converging a container
// with its test is test/product/install.int.test.ts.)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FILES = [
  '.gitignore',
  'README.md',
  'inventories/local/group_vars/all.yml',
  'inventories/local/hosts.yml',
  'inventories/ovhcloud/group_vars/all.yml',
  'inventories/ovhcloud/ovh.yml',
  'inventories/scaleway/group_vars/all.yml',
  'inventories/scaleway/scaleway.yml',
  'package.json',
  'playbooks/site.ts',
  'test/site.test.ts',
  'tsconfig.json',
];

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

describe('converge init', () => {
  const base = mkdtempSync(join(tmpdir(), 'converge-init-'));
  const app = join(base, 'Our Infra');

  it('writes the repository: manifest, strict tsconfig, playbook, inventories, test, .gitignore, README', async () => {
    const r = await cli(['init', app]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`created ${FILES.length} files in ${app}:`);
    expect(listFiles(app)).toEqual(FILES);
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    const version = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version;
    expect(manifest).toMatchObject({
      name: 'our-infra',
      private: true,
      type: 'module',
      scripts: { converge: 'converge', check: 'converge validate -i inventories/local playbooks/site.ts', test: 'vitest run' },
      dependencies: { '@converge/cli': `^${version}`, '@converge/core': `^${version}`, '@converge/modules': `^${version}`, '@converge/role-load-balancer': `^${version}` },
      devDependencies: { '@converge/testing': `^${version}` },
    });
    // The tools at the versions the workspace itself builds and tests with.
    const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies;
    for (const tool of ['typescript', 'vitest', '@types/node']) expect(manifest.devDependencies[tool], tool).toBe(workspace[tool]);
    expect(JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8')).compilerOptions).toMatchObject({ strict: true, noEmit: true, noUncheckedIndexedAccess: true });
    expect(readFileSync(join(app, '.gitignore'), 'utf8')).toMatch(/^node_modules\/$/m);
    expect(readFileSync(join(app, 'README.md'), 'utf8')).toMatch(/^# our-infra\n/);
  });

  it('refuses to write over any existing file, and then writes nothing', async () => {
    const dir = join(base, 'taken');
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'site.ts'), 'ours\n');
    const r = await cli(['init', dir]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`converge init writes no file over an existing one; already in ${dir}: playbooks/site.ts`);
    expect(listFiles(dir)).toEqual(['playbooks/site.ts']);
    expect(readFileSync(join(dir, 'playbooks', 'site.ts'), 'utf8')).toBe('ours\n');
  });

  it('depends on the tarballs of a release folder with --release (the others through overrides)', async () => {
    const release = join(base, 'release');
    mkdirSync(release);
    for (const n of ['cli', 'core', 'modules', 'role-load-balancer', 'testing', 'engine', 'role-backup']) writeFileSync(join(release, `converge-${n}-1.2.3.tgz`), '');
    const dir = join(base, 'from-release');
    expect((await cli(['init', dir, '--release', release, '--name', 'infra'])).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@converge/role-load-balancer']).toBe('file:../release/converge-role-load-balancer-1.2.3.tgz');
    expect(manifest.devDependencies['@converge/testing']).toBe('file:../release/converge-testing-1.2.3.tgz');
    expect(manifest.overrides).toEqual({ '@converge/engine': 'file:../release/converge-engine-1.2.3.tgz', '@converge/role-backup': 'file:../release/converge-role-backup-1.2.3.tgz' });
    const empty = join(base, 'empty-release');
    mkdirSync(empty);
    const r = await cli(['init', join(base, 'nothing'), '--release', empty]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('holds no converge-*.tgz tarball');
    expect(existsSync(join(base, 'nothing'))).toBe(false);
  });

  it('scaffolds a playbook that is valid against its local inventory', async () => {
    const r = await cli(['validate', '-i', join(app, 'inventories/local'), join(app, 'playbooks/site.ts'), '--no-type-check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: .* 1 host, \d+ tasks checked/);
  });

  it('scaffolds cloud inventories whose settings the plugins accept (they stop at the missing credentials)', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('OVH_') || k.startsWith('SCW_')) delete process.env[k];
    try {
      const scw = await cli(['inventory', '-i', join(app, 'inventories/scaleway'), '--list']);
      expect(scw.stderr).toContain('secret_key: the environment variable SCW_SECRET_KEY is not set or empty');
      const ovh = await cli(['inventory', '-i', join(app, 'inventories/ovhcloud'), '--list']);
      expect(ovh.stderr).toContain('no OVHcloud credentials');
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
