import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptVault } from '@converge/inventory';
import { ansibleEnv, converge, findAnsible, run } from './oracle.js';

/*
 * `converge render -i INV HOST TEMPLATE` prints what Ansible's template module writes for that
 * host: the same inventory, the same magic vars, the same -e.
 */

const FIXTURE = resolve(import.meta.dirname, '../fixtures/render');
const INV = join(FIXTURE, 'inventory.ini');
const TEMPLATE = join(FIXTURE, 'site.conf.j2');
const ansiblePlaybook = findAnsible('ansible-playbook');
const HOSTS = ['web1', 'web2', 'db1'];

describe('converge render', () => {
  it.skipIf(!ansiblePlaybook)('renders a template for each host byte for byte as the template module', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-render-'));
    const play = [{ hosts: 'all', gather_facts: false, connection: 'local', tasks: [{ template: { src: TEMPLATE, dest: `${out}/{{ inventory_hostname }}.conf` } }] }];
    writeFileSync(join(out, 'playbook.yml'), JSON.stringify(play));
    await run(ansiblePlaybook as string, ['-i', INV, join(out, 'playbook.yml'), '-e', 'extra=cli'], { env: ansibleEnv(), cwd: out });
    for (const host of HOSTS) {
      const r = await converge(['render', '-i', INV, host, TEMPLATE, '-e', 'extra=cli']);
      expect({ host, stderr: r.stderr, code: r.code }).toEqual({ host, stderr: '', code: 0 });
      expect(r.stdout).toBe(readFileSync(join(out, `${host}.conf`), 'utf8'));
    }
  });

  it('renders vault secrets, masked unless --reveal-secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-render-vault-'));
    writeFileSync(join(dir, 'hosts'), 'h1\n');
    writeFileSync(join(dir, 'pw'), 'pw\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'host_vars'));
    writeFileSync(join(dir, 'host_vars', 'h1.yml'), encryptVault('db_password: opensesame-42\n', { label: 'default', password: 'pw' }));
    writeFileSync(join(dir, 't.j2'), 'password={{ db_password }} len={{ db_password | length }}\n');
    const args = ['render', '-i', join(dir, 'hosts'), 'h1', join(dir, 't.j2'), '--vault-password-file', join(dir, 'pw')];
    expect((await converge(args)).stdout).toBe('password=******** len=13\n');
    expect((await converge([...args, '--reveal-secrets'])).stdout).toBe('password=opensesame-42 len=13\n');
    const noPw = await converge(args.slice(0, 5));
    expect(noPw.code).toBe(4);
    expect(noPw.stderr).toMatch(/vault-encrypted and no vault password was given/);
  });

  it('names the variable, template and line of an undefined variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-render-err-'));
    writeFileSync(join(dir, 't.j2'), 'a\n{{ nope }}\n');
    const r = await converge(['render', '-i', INV, 'db1', join(dir, 't.j2')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/'nope' is undefined/);
    expect(r.stderr).toMatch(/t\.j2:2/);
  });
});
