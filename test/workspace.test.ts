// A package is picked up by being in the workspace: a scratch service package, copied into a
// fresh workspace the way docs/authoring-modules.md says, is built, aliased for the tests, and
// its module, README param table and fuzz cases are found, without editing any list.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkParamTables } from '@converge/testing';
import { REPO_ROOT, bundleTargets, modulePackages, sourceAliases, typescriptProjects, workspaceDirs, workspacePackages } from '../scripts/workspace.mjs';
import { modulesOf } from './package-modules.js';
import type { PackageFuzzCases } from './security/fuzz-case.js';

/** Each folder pnpm-workspace.yaml's patterns name, once per pattern that names it (pnpm would take it once; the list should name it once). */
function foldersNamed(root: string): string[] {
  const doc = parseYaml(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages?: string[] };
  return (doc.packages ?? []).flatMap((pattern) => {
    const m = /^(.+?)(\/\*)?$/.exec(pattern.replace(/^\.\//, '').replace(/\/$/, '')) as RegExpExecArray;
    const base = m[1] as string;
    return m[2] ? readdirSync(join(root, base), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${base}/${e.name}`) : [base];
  });
}

function scratchWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'converge-workspace-'));
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n  - roles/*\n');
  writeFileSync(join(root, 'tsconfig.base.json'), readFileSync(join(REPO_ROOT, 'tsconfig.base.json')));
  const dir = join(root, 'packages', 'scratch');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  mkdirSync(join(root, 'roles', 'empty'), { recursive: true }); // a folder without package.json is not a package
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: '@converge/scratch',
      version: '0.1.0',
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
      dependencies: { '@converge/core': 'workspace:*' },
      converge: { modules: ['scratch'] },
    }),
  );
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }));
  const core = join(REPO_ROOT, 'packages/core/src/index.ts');
  writeFileSync(
    join(dir, 'src', 'index.ts'),
    `import { defineModule, sh, Type } from ${JSON.stringify(core)};
export const ScratchMotdParams = Type.Object({ text: Type.String({ description: 'The message of the day.' }) });
export const motd = defineModule({
  name: 'scratch.motd',
  description: 'Write /etc/motd.',
  params: ScratchMotdParams,
  plan: () => ({ changes: [{ path: 'content', before: '', after: 'x' }] }),
  apply: ({ params }) => [{ script: sh\`cat > /etc/motd\`, stdin: params.text }],
});
`,
  );
  writeFileSync(join(dir, 'README.md'), '# @converge/scratch\n');
  writeFileSync(
    join(dir, 'test', 'fuzz-cases.ts'),
    `export default { programs: [], cases: () => ({ 'scratch.motd': { base: { text: 'hi' }, targets: { text: (v) => ({ text: v }) } } }) };\n`,
  );
  return root;
}

describe('a package copied into the workspace', () => {
  const root = scratchWorkspace();
  const packages = workspacePackages(root);
  const scratch = packages.find((p) => p.name === '@converge/scratch');

  it('is found, with its TypeScript entry', () => {
    expect(packages.map((p) => p.path)).toEqual(['packages/scratch']);
    expect(scratch?.sources['.']).toBe(join(root, 'packages/scratch/src/index.ts'));
  });

  it('is built and aliased for the tests, and declares what it exports', () => {
    expect(typescriptProjects(packages)).toEqual(['packages/scratch']);
    expect(sourceAliases(packages)).toEqual({ '@converge/scratch': join(root, 'packages/scratch/src/index.ts') });
    expect(modulePackages(packages).map((p) => p.name)).toEqual(['@converge/scratch']);
    expect(bundleTargets(packages)).toEqual([]);
  });

  it('has its module found, its README param table written and checked, and its fuzz cases read', async () => {
    const exports = (await import(scratch?.sources['.'] as string)) as Record<string, unknown>;
    const modules = modulesOf(exports);
    expect(modules.map((m) => m.id)).toEqual(['scratch.motd']);
    const schemas = Object.fromEntries(modules.map((m) => [m.id, m.definition.params]));
    const readme = readFileSync(join(root, 'packages/scratch/README.md'), 'utf8');
    expect(checkParamTables(readme, schemas).problems).toHaveLength(1);
    const written = checkParamTables(readme, schemas, true).text;
    expect(written).toContain('| `text` | `string` | yes | The message of the day. |');
    expect(checkParamTables(written, schemas).problems).toEqual([]);
    const fuzz = (await import(join(root, 'packages/scratch/test/fuzz-cases.ts'))) as { default: PackageFuzzCases };
    expect(Object.keys(fuzz.default.cases({ dataDir: '/tmp', secret: () => undefined as never }))).toEqual(['scratch.motd']);
  });

  it('refuses a workspace pattern it cannot read, naming it', () => {
    const bad = mkdtempSync(join(tmpdir(), 'converge-workspace-'));
    writeFileSync(join(bad, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/**/x'\n");
    expect(() => workspaceDirs(bad)).toThrow(/packages\/\*\*\/x/);
  });
});

describe('this repository', () => {
  it('is read whole: every folder under packages/, roles/ and examples/ with a package.json, and the site playbooks and inventories, each once', () => {
    const dirs = workspaceDirs();
    const expected = ['packages', 'roles', 'examples'].flatMap((parent) =>
      readdirSync(join(REPO_ROOT, parent), { withFileTypes: true })
        .filter((e) => e.isDirectory() && readdirSync(join(REPO_ROOT, parent, e.name)).includes('package.json'))
        .map((e) => join(REPO_ROOT, parent, e.name)),
    );
    for (const top of ['playbooks', 'inventories']) if (readdirSync(join(REPO_ROOT, top)).includes('package.json')) expected.push(join(REPO_ROOT, top));
    expect([...dirs].sort()).toEqual([...expected].sort());
    expect(new Set(dirs).size).toBe(dirs.length);
  });

  it('pnpm-workspace.yaml names each folder once (workspaceDirs would hide a repeat)', () => {
    const named = foldersNamed(REPO_ROOT);
    expect(named.filter((d, i) => named.indexOf(d) !== i)).toEqual([]);
    // the check sees a folder named twice, by the same pattern or by a pattern and a folder
    const twice = scratchWorkspace();
    writeFileSync(join(twice, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n  - ./packages/scratch\n  - roles/*\n  - roles/*\n');
    const repeated = foldersNamed(twice);
    expect(repeated.filter((d, i) => repeated.indexOf(d) !== i)).toEqual(['packages/scratch', 'roles/empty']);
  });
});
