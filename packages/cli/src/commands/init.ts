import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConvergeError } from '@converge/core/lean';
import type { CommandIo } from './vault.js';

/**
 * The scaffold's files, shipped with this package (`scaffold/` in its folder), found through the
 * package's own manifest: this code runs from `src/`, `dist/` or a bundle chunk.
 */
function scaffoldDir(): URL {
  return pathToFileURL(`${dirname(createRequire(import.meta.url).resolve('@converge/cli/package.json'))}/scaffold/`);
}

/**
 * What the scaffolded repository depends on: the converge packages its playbook and test import
 * (at this CLI's version), and the tools its scripts run, pinned to the versions the converge
 * workspace itself is built and tested with.
 */
export const SCAFFOLD_PACKAGES = {
  dependencies: ['@converge/cli', '@converge/core', '@converge/modules', '@converge/role-load-balancer'],
  devDependencies: ['@converge/testing'],
  tools: { '@types/node': '20.19.43', typescript: '5.9.3', vitest: '4.1.12' },
} as const;

/** Scaffold files stored under another name, since npm leaves `.gitignore` out of package tarballs. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** Options of {@link scaffoldPlaybookRepository}. */
export interface InitOptions {
  /** The package name; default the directory's name. */
  name?: string;
  /** The converge version the repository depends on (`^VERSION`). */
  version: string;
  /**
   * A folder of release tarballs (`scripts/pack.mjs` in the converge repository): the packages
   * the repository imports are `file:` dependencies on their tarballs, and every other converge
   * package a tarball depends on is pointed there by `overrides`, so `npm install` needs the
   * registry only for third-party packages.
   */
  release?: string;
}

/**
 * Writes a playbook repository a team can commit into `dir` (made when missing): `package.json`
 * (the converge packages as dependencies; scripts `converge`, `check` and `test`), a strict
 * `tsconfig.json`, `playbooks/site.ts` using the `load-balancer` role with declared vars,
 * `inventories/local/` with `group_vars/`, example OVHcloud and Scaleway inventories, a
 * container test of the playbook, `.gitignore` and a README.
 *
 * @returns the files written, relative to `dir`, in order.
 * @throws ConvergeError `CONVERGE_OPTIONS` when any of the files exists already (nothing is
 *   written then), when `dir` is a file, or when `release` holds no tarball of a package the
 *   repository needs.
 */
export function scaffoldPlaybookRepository(dir: string, options: InitOptions): string[] {
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new ConvergeError('CONVERGE_OPTIONS', `${dir} is a file, not a directory`);
  const files = new Map<string, string>();
  const name = options.name ?? packageName(basename(root));
  const scaffold = scaffoldDir();
  for (const rel of scaffoldFiles(scaffold)) {
    const target = rel.split('/').map((part) => RENAMED[part] ?? part).join('/');
    files.set(target, readFileSync(new URL(rel, scaffold), 'utf8').replaceAll('{{name}}', name));
  }
  files.set('package.json', `${JSON.stringify(manifest(root, name, options), null, 2)}\n`);
  const existing = [...files.keys()].filter((f) => existsSync(join(root, f))).sort();
  if (existing.length > 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `converge init writes no file over an existing one; already in ${dir}: ${existing.join(', ')}`, {
      hint: 'run it in a new or empty directory (converge init DIR), or move those files away first',
    });
  }
  const written = [...files.keys()].sort((a, b) => (a === 'package.json' ? -1 : b === 'package.json' ? 1 : a < b ? -1 : 1));
  for (const f of written) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), files.get(f) as string, { flag: 'wx' });
  }
  return written;
}

function manifest(root: string, name: string, options: InitOptions): Record<string, unknown> {
  const range = `^${options.version}`;
  const release = options.release ? releaseTarballs(resolve(options.release)) : undefined;
  const spec = (pkg: string): string => {
    if (!release) return range;
    const tarball = release.get(pkg);
    if (!tarball) throw new ConvergeError('CONVERGE_OPTIONS', `--release ${options.release} holds no tarball of ${pkg}`, { hint: 'pack the release with node scripts/pack.mjs --out DIR in the converge repository' });
    return `file:${relative(root, tarball) || tarball}`;
  };
  const direct = [...SCAFFOLD_PACKAGES.dependencies, ...SCAFFOLD_PACKAGES.devDependencies];
  const overrides = release ? Object.fromEntries([...release].filter(([pkg]) => !(direct as readonly string[]).includes(pkg)).map(([pkg]) => [pkg, spec(pkg)])) : undefined;
  return {
    name,
    version: '0.1.0',
    private: true,
    description: 'Our hosts, converged by TypeScript playbooks.',
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: {
      converge: 'converge',
      check: 'converge validate -i inventories/local playbooks/site.ts',
      test: 'vitest run',
    },
    dependencies: Object.fromEntries(SCAFFOLD_PACKAGES.dependencies.map((p) => [p, spec(p)])),
    devDependencies: { ...Object.fromEntries(SCAFFOLD_PACKAGES.devDependencies.map((p) => [p, spec(p)])), ...SCAFFOLD_PACKAGES.tools },
    ...(overrides && Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
}

/** The converge tarballs of a release folder by package name, read from each tarball's file name (`converge-role-load-balancer-0.1.0.tgz`). */
function releaseTarballs(dir: string): Map<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--release ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const found = new Map<string, string>();
  for (const n of names.sort()) {
    // pnpm pack names a scoped package's tarball <scope>-<name>-<version>.tgz (semver 2.0.0 versions).
    const m = /^converge-(.+?)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.tgz$/.exec(n);
    if (m) found.set(`@converge/${m[1]}`, join(dir, n));
  }
  if (found.size === 0) throw new ConvergeError('CONVERGE_OPTIONS', `--release ${dir} holds no converge-*.tgz tarball`);
  return found;
}

function scaffoldFiles(base: URL, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(new URL(prefix || '.', base), { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...scaffoldFiles(base, `${rel}/`));
    else out.push(rel);
  }
  return out;
}

/** A valid npm package name from a directory name (lower case, URL-safe). */
function packageName(dirName: string): string {
  const cleaned = dirName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  return cleaned || 'infrastructure';
}

/**
 * Registers `converge init [DIR] [--name NAME] [--release DIR]`: scaffolds a playbook
 * repository (see {@link scaffoldPlaybookRepository}) in DIR (default the current directory)
 * and prints what to run next. Refuses to write over any existing file.
 */
export function registerInit(program: Command, io: CommandIo & { version: string }): void {
  program
    .command('init')
    .description('scaffold a playbook repository: package.json, tsconfig.json, playbooks/site.ts, inventories, a container test')
    .argument('[dir]', 'where (made when missing)', '.')
    .option('--name <name>', 'package name of the repository (default the directory name)')
    .option('--release <dir>', 'depend on the tarballs of a release folder (made by scripts/pack.mjs) instead of the registry')
    .action((dir: string, flags: { name?: string; release?: string }) => {
      const written = scaffoldPlaybookRepository(dir, { version: io.version, ...(flags.name ? { name: flags.name } : {}), ...(flags.release ? { release: flags.release } : {}) });
      const cd = resolve(dir) === process.cwd() ? '' : `cd ${dir} && `;
      io.stdout.write(
        [
          `created ${written.length} files in ${dir}: ${written.join(', ')}`,
          'next:',
          `  ${cd}npm install`,
          '  npm run check      # type-check playbooks/site.ts and validate it against inventories/local; contacts no host',
          '  npm test           # converge a Debian 12 container twice (needs Docker)',
          '  npm run converge -- -i inventories/local playbooks/site.ts --check --diff',
          '',
        ].join('\n'),
      );
    });
}
