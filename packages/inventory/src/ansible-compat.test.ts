import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { hostVars, loadInventory, toAnsibleList } from './index.js';

/*
 * The Ansible oracle: every inventory under test/fixtures/inventories/<name>/ must load exactly as
 * `ansible-inventory` (ansible-core 2.14) reads it. A fixture whose name starts with `dir-` is a
 * directory inventory; any other fixture holds one inventory file (plus group_vars/, host_vars/).
 */

const run = promisify(execFile);
const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/inventories');

function findAnsibleInventory(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v ansible-inventory'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const ansibleInventory = findAnsibleInventory();
const home = mkdtempSync(join(tmpdir(), 'converge-ansible-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// Run from an empty directory so that Ansible finds no ansible.cfg and no play-adjacent group_vars/.
const env = {
  ...process.env,
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
  ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'True',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_HOME: home,
  ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
  ANSIBLE_CONFIG: join(home, 'none.cfg'),
};

async function ansibleJson(args: string[]): Promise<unknown> {
  const { stdout } = await run(ansibleInventory as string, args, { cwd: home, env, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as unknown;
}

function fixtureSource(name: string): string {
  const dir = join(FIXTURES, name);
  if (name.startsWith('dir-')) return dir;
  const files = readdirSync(dir).filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isFile());
  if (files.length !== 1) throw new Error(`fixture ${name} must hold exactly one inventory file, found: ${files.join(', ')}`);
  return join(dir, files[0] as string);
}

const fixtures = readdirSync(FIXTURES).filter((n) => statSync(join(FIXTURES, n)).isDirectory()).sort();

describe('inventories load as ansible-inventory reads them', () => {
  it('has ansible-inventory on PATH (required in CI)', (ctx) => {
    if (!ansibleInventory) {
      if (process.env['CI']) throw new Error('ansible-inventory is not on PATH; CI must install ansible-core 2.14 to run the Ansible comparison');
      console.warn('skipping the Ansible comparison: ansible-inventory is not on PATH (install ansible-core 2.14)');
      ctx.skip();
    }
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  describe.skipIf(!ansibleInventory).each(fixtures)('%s', (name) => {
    const source = fixtureSource(name);

    it('--list is the same document', async () => {
      const expected = await ansibleJson(['-i', source, '--list']);
      expect(toAnsibleList(await loadInventory(source))).toEqual(expected);
    });

    // `--host` starts Python once per host (about a second each); `_meta.hostvars` of `--list`
    // holds the same variables, so every host is compared there and `--host` runs for one host.
    it('--host is the same for every host', async () => {
      const inv = await loadInventory(source);
      const hosts = [...inv.hosts.keys()];
      expect(hosts.length).toBeGreaterThan(0);
      const list = (await ansibleJson(['-i', source, '--list'])) as { _meta?: { hostvars?: Record<string, unknown> } };
      for (const host of hosts) {
        expect({ host, vars: hostVars(inv, host) }).toEqual({ host, vars: list._meta?.hostvars?.[host] ?? {} });
      }
      const first = hosts[0] as string;
      expect({ host: first, vars: hostVars(inv, first) }).toEqual({ host: first, vars: await ansibleJson(['-i', source, '--host', first]) });
    });
  });
});
