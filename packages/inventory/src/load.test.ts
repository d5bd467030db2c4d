import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineInventory, hostVars, loadInventory, selectHosts, toAnsibleList } from './index.js';
import { isConvergeError } from '@converge/core';

const dir = mkdtempSync(join(tmpdir(), 'converge-inv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe('loadInventory', () => {
  it('loads a TypeScript inventory like the equivalent YAML one, with group_vars beside it', async () => {
    const coreIndex = join(import.meta.dirname, 'index.ts');
    const ts = write(
      'ts/inventory.ts',
      `import { defineInventory } from ${JSON.stringify(coreIndex)};
export default defineInventory({
  vars: { ansible_user: 'deploy' },
  hosts: { 'solo.example.test': { x: 1 } },
  groups: {
    prod: { children: ['web'], vars: { env: 'prod' } },
    web: { hosts: { 'web[01:02].example.test': { http_port: 8080 } }, vars: { env: 'web' } },
    db: { hosts: ['db1:5433'] },
  },
});
`,
    );
    write('ts/group_vars/web.yml', 'from_file: yes\n');
    const yml = write(
      'yml/inventory.yml',
      `all:
  vars: {ansible_user: deploy}
  hosts: {solo.example.test: {x: 1}}
  children:
    prod: {vars: {env: prod}}
    web:
      hosts: {'web[01:02].example.test': {http_port: 8080}}
      vars: {env: web}
    db: {hosts: {'db1:5433': }}
`,
    );
    write('yml/prod-children.yml', 'all:\n  children:\n    prod:\n      children:\n        web:\n');
    write('yml/group_vars/web.yml', 'from_file: yes\n');
    const fromTs = await loadInventory(ts);
    const fromYaml = await loadInventory(join(dir, 'yml'));
    expect(hostVars(fromTs, 'web01.example.test')).toEqual({ ansible_user: 'deploy', env: 'web', http_port: 8080, from_file: true });
    expect(hostVars(fromTs, 'db1')).toEqual({ ansible_user: 'deploy', ansible_port: 5433 });
    expect(selectHosts(fromTs, 'prod')).toEqual(['web01.example.test', 'web02.example.test']);
    expect(toAnsibleList(fromTs)._meta).toEqual(toAnsibleList(fromYaml)._meta);
  });

  it('uses an injected module loader', async () => {
    const p = write('injected/inv.ts', 'not really typescript');
    const inv = await loadInventory(p, { importModule: async () => defineInventory({ groups: { g: { hosts: ['a', 'b'] } } }) });
    expect(inv.groups.get('g')?.hosts).toEqual(['a', 'b']);
  });

  it('merges several sources in order', async () => {
    const a = write('multi/a', '[g]\nh1 v=a\n');
    const b = write('multi/b.yml', 'all:\n  children:\n    g:\n      hosts:\n        h1: {v: b}\n        h2:\n');
    const inv = await loadInventory([a, b]);
    expect(inv.groups.get('g')?.hosts).toEqual(['h1', 'h2']);
    expect(hostVars(inv, 'h1')).toEqual({ v: 'b' });
  });

  it('reads an INI file named .yml, as Ansible falls back to the ini plugin', async () => {
    const inv = await loadInventory(write('fallback/hosts.yml', '[g]\nh1\n'));
    expect(inv.groups.get('g')?.hosts).toEqual(['h1']);
  });

  it.each([
    ['missing', undefined, 'does not exist'],
    ['bad-vars/hosts', ['bad-vars/group_vars/all.yml', '- a list\n'], 'must hold a mapping'],
    ['bad-yaml/inv.yml', undefined, 'invalid YAML'],
    ['bad-module/inv.mjs', undefined, 'export default defineInventory'],
  ])('rejects %s with CONVERGE_INVENTORY (%s)', async (rel, extra, message) => {
    if (rel === 'bad-vars/hosts') write(rel, 'h1\n');
    if (rel === 'bad-yaml/inv.yml') write(rel, 'all:\n  hosts: {a: [\n');
    if (rel === 'bad-module/inv.mjs') write(rel, 'export default 42;\n');
    if (extra) write(extra[0] as string, extra[1] as string);
    let err: unknown;
    try {
      await loadInventory(join(dir, rel));
    } catch (e) {
      err = e;
    }
    expect(isConvergeError(err) && err.code).toBe('CONVERGE_INVENTORY');
    expect((err as Error).message).toContain(message);
  });
});
