// converge as a team installs it: every package of the workspace packed once into a release
// folder (scripts/pack.mjs, which uses pnpm pack), then, in a directory outside the workspace,
// npm alone: the tarballs installed (third-party packages from the npm registry or npm's cache),
// `npx converge --version`, `npx converge init app`, `npm install` in the new repository,
// `npx tsc --noEmit`, `npx converge validate` and the repository's own container test, which
// converges a Debian 12 host twice, the second time with no change. No pnpm, no workspace link
// and no path into the workspace is used after the pack; the test image is found by the recipe
// inside the installed @converge/testing (CONVERGE_TEST_IMAGE is not passed on).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

let work: string;
let release: string;
let outside: string;
let app: string;

/** The environment of npm and npx here: this process's, less what an enclosing npm or pnpm run set and the image override. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|VITEST|CONVERGE_TEST_IMAGE$|NODE_OPTIONS$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, TESTCONTAINERS_RYUK_DISABLED: 'true', NO_UPDATE_NOTIFIER: '1', CI: 'true' };
}

async function sh(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string; code?: number };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${err.code}:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

const npm = (args: string[], cwd: string) => sh('npm', ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...args], cwd);

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'converge-install-')));
  release = join(work, 'release');
  // One pack per run, of what the build made (scripts/test.sh builds before the suite).
  const packed = await run(process.execPath, [join(ROOT, 'scripts/pack.mjs'), '--no-build', '--out', release], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  expect(packed.stdout.trim().split('\n').length).toBe(readdirSync(release).length);
  outside = join(work, 'team');
  mkdirSync(outside);
  writeFileSync(join(outside, 'package.json'), `${JSON.stringify({ name: 'team', private: true, type: 'module' }, null, 2)}\n`);
  await npm(['install', ...readdirSync(release).map((f) => join(release, f))], outside);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('converge installed from its release tarballs with npm', () => {
  it('is outside the workspace, and every package and role installed from its tarball', () => {
    expect(relative(ROOT, outside).startsWith('..')).toBe(true);
    const installed = readdirSync(join(outside, 'node_modules', '@converge')).sort();
    expect(installed).toEqual(readdirSync(release).map((f) => f.replace(/^converge-/, '').replace(`-${VERSION}.tgz`, '')).sort());
    for (const name of installed) {
      const manifest = JSON.parse(readFileSync(join(outside, 'node_modules', '@converge', name, 'package.json'), 'utf8'));
      expect(JSON.stringify(manifest), name).not.toContain('workspace:');
      expect(readdirSync(join(outside, 'node_modules', '@converge', name)), name).toEqual(expect.arrayContaining(['LICENSE', 'dist', 'package.json']));
    }
  });

  it('runs npx converge --version and npx converge init app', async () => {
    expect((await sh('npx', ['--no-install', 'converge', '--version'], outside)).stdout.trim()).toBe(VERSION);
    const init = await sh('npx', ['--no-install', 'converge', 'init', 'app', '--release', release], outside);
    expect(init.stdout).toContain('created 12 files in app');
    app = join(outside, 'app');
  }, 120_000);

  it('installs the new repository with npm, type-checks it with tsc and validates it', async () => {
    await npm(['install'], app);
    await sh('npx', ['--no-install', 'tsc', '--noEmit'], app);
    const validate = await sh('npx', ['--no-install', 'converge', 'validate', '-i', 'inventories/local', 'playbooks/site.ts', '--output', 'json'], app);
    expect(JSON.parse(validate.stdout)).toMatchObject({ ok: true, hosts: 1, typeCheck: { ran: true }, problems: [] });
    // The repository's own check script (the type-check ran just above).
    expect((await sh('npm', ['run', '--silent', 'check', '--', '--no-type-check'], app)).stdout).toMatch(/^valid: playbooks\/site\.ts with inventories\/local: 1 host/);
  }, 900_000);

  it("runs the repository's container test: a host converged twice, the second time with no change", async () => {
    const { stdout } = await sh('npm', ['test'], app);
    expect(stdout).toMatch(/1 passed/);
  }, 1_200_000);
});
