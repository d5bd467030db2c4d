import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ansibleEnv, converge, findAnsible, run } from './oracle.js';

/*
 * ansible-vault files both ways: what Debian's ansible-vault (ansible-core 2.14) encrypts,
 * `converge vault` decrypts, and the other way round, for format 1.1 and 1.2 (vault ids).
 */

const ansibleVault = findAnsible('ansible-vault');
const ansible = findAnsible('ansible');
const env = ansibleEnv();
const dir = mkdtempSync(join(tmpdir(), 'converge-vault-'));
writeFileSync(join(dir, 'pw-default'), 'correct horse\n');
writeFileSync(join(dir, 'pw-dev'), 'dev-password\n');
writeFileSync(join(dir, 'pw-new'), 'new-password\n');
writeFileSync(join(dir, 'pw-wrong'), 'wrong\n');
const pw = (n: string) => join(dir, `pw-${n}`);
const PLAIN = 'db_user: app\ndb_password: "s3cr3t: with colon"\nports: [5432, 5433]\nmotd: |\n  héllo\n  wörld\n';

let n = 0;
function file(content: string): string {
  const f = join(dir, `f${n++}.yml`);
  writeFileSync(f, content);
  return f;
}

async function ansibleVaultRun(args: string[]): Promise<string> {
  return (await run(ansibleVault as string, args, { env, cwd: dir })).stdout;
}

describe.skipIf(!ansibleVault && !process.env['CI'])('vault files both ways with ansible-vault', () => {
  it('has ansible-vault on PATH (required in CI)', () => {
    expect(ansibleVault).toBeTruthy();
  });

  const cases: { name: string; ansible: string[]; converge: string[]; header: string }[] = [
    { name: 'format 1.1 (password file)', ansible: ['--vault-password-file', pw('default')], converge: ['--vault-password-file', pw('default')], header: '$ANSIBLE_VAULT;1.1;AES256' },
    { name: 'format 1.2 (vault id)', ansible: ['--vault-id', `dev@${pw('dev')}`], converge: ['--vault-id', `dev@${pw('dev')}`], header: '$ANSIBLE_VAULT;1.2;AES256;dev' },
  ];

  describe.each(cases)('$name', ({ ansible: aFlags, converge: cFlags, header }) => {
    it('ansible-vault encrypts, converge views and decrypts', async () => {
      const f = file(PLAIN);
      await ansibleVaultRun(['encrypt', ...aFlags, f]);
      expect(readFileSync(f, 'utf8').split('\n')[0]).toBe(header);
      const view = await converge(['vault', 'view', ...cFlags, f]);
      expect(view).toMatchObject({ code: 0, stdout: PLAIN });
      expect(await converge(['vault', 'decrypt', ...cFlags, f])).toMatchObject({ code: 0 });
      expect(readFileSync(f, 'utf8')).toBe(PLAIN);
    });

    it('converge encrypts, ansible-vault views and decrypts', async () => {
      const f = file(PLAIN);
      expect(await converge(['vault', 'encrypt', ...cFlags, f])).toMatchObject({ code: 0 });
      const text = readFileSync(f, 'utf8');
      expect(text.split('\n')[0]).toBe(header);
      expect(text.split('\n').slice(1, -2).every((l) => l.length === 80)).toBe(true);
      expect(await ansibleVaultRun(['view', ...aFlags, f])).toBe(PLAIN);
      await ansibleVaultRun(['decrypt', ...aFlags, f]);
      expect(readFileSync(f, 'utf8')).toBe(PLAIN);
    });

    it('converge rekeys, ansible-vault opens with the new password only', async () => {
      const f = file(PLAIN);
      await ansibleVaultRun(['encrypt', ...aFlags, f]);
      expect(await converge(['vault', 'rekey', ...cFlags, '--new-vault-password-file', pw('new'), f])).toMatchObject({ code: 0 });
      expect(await ansibleVaultRun(['view', '--vault-password-file', pw('new'), f])).toBe(PLAIN);
      await expect(ansibleVaultRun(['view', ...aFlags, f])).rejects.toThrow();
    });

    it('a vault-encrypted -e @file is read as ansible-playbook reads it, its values masked', async () => {
      const f = file(PLAIN);
      await ansibleVaultRun(['encrypt', ...aFlags, f]);
      if (ansible) {
        const { stdout } = await run(ansible, ['-i', 'localhost,', 'localhost', '-c', 'local', '-m', 'debug', '-a', 'var=db_user', '-e', `@${f}`, ...aFlags], { env, cwd: dir });
        expect(stdout).toContain('"db_user": "app"');
      }
      const root = join(dir, `inv${n++}`);
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'hosts'), 'web1\n');
      const shown = await converge(['explain', '-i', join(root, 'hosts'), 'web1', 'db_password', '-e', `@${f}`, ...cFlags]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('web1: db_password = "********"');
      expect(shown.stdout + shown.stderr).not.toContain('s3cr3t');
      const wrong = await converge(['explain', '-i', join(root, 'hosts'), 'web1', 'db_password', '-e', `@${f}`, '--vault-password-file', pw('wrong')]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/decrypt/);
    });

    it('encrypt_string: each reads what the other wrote', async () => {
      const ours = await converge(['vault', 'encrypt_string', ...cFlags, '-n', 'token', 'tok en:value']);
      expect(ours.code).toBe(0);
      expect(ours.stdout.split('\n')[0]).toBe('token: !vault |');
      const varsFile = file(ours.stdout);
      if (ansible) {
        const { stdout } = await run(ansible, ['-i', 'localhost,', 'localhost', '-c', 'local', '-m', 'debug', '-a', 'var=token', '-e', `@${varsFile}`, ...aFlags], { env, cwd: dir });
        expect(stdout).toContain('"token": "tok en:value"');
      }
      const theirs = await ansibleVaultRun(['encrypt_string', ...aFlags, '--name', 'token', 'other value']);
      const root = join(dir, `inv${n++}`);
      mkdirSync(join(root, 'host_vars'), { recursive: true });
      writeFileSync(join(root, 'hosts'), 'web1\n');
      writeFileSync(join(root, 'host_vars', 'web1.yml'), theirs);
      const [{ isSecret }, { hostVars, loadInventory, loadVaultSecrets }] = await Promise.all([import('@converge/core'), import('@converge/inventory')]);
      const secrets = await loadVaultSecrets(cFlags[0] === '--vault-id' ? { vaultId: [cFlags[1] as string] } : { vaultPasswordFile: [cFlags[1] as string] });
      const inv = await loadInventory(join(root, 'hosts'), { vaultSecrets: secrets });
      const token = hostVars(inv, 'web1')['token'];
      expect(isSecret(token) && token.reveal()).toBe('other value');
    });
  });

  it('a wrong password is refused with a parse-error exit code and no clear text', async () => {
    const f = file(PLAIN);
    await ansibleVaultRun(['encrypt', '--vault-id', `dev@${pw('dev')}`, f]);
    const r = await converge(['vault', 'view', '--vault-password-file', pw('wrong'), f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/CONVERGE_VARS.*no vault password matches/);
    expect(r.stderr).toContain('vault id "dev"');
    expect(r.stdout).toBe('');
  });

  it('a tampered file is refused by both', async () => {
    const f = file(PLAIN);
    await converge(['vault', 'encrypt', '--vault-password-file', pw('default'), f]);
    const lines = readFileSync(f, 'utf8').split('\n');
    // Flip one hex digit of the ciphertext's hex, keeping the outer hex valid.
    const inner = Buffer.from(lines.slice(1).join(''), 'hex').toString('latin1').split('\n');
    const c = inner[2] as string;
    inner[2] = `${c.slice(0, 10)}${c[10] === 'a' ? 'b' : 'a'}${c.slice(11)}`;
    const outer = Buffer.from(inner.join('\n'), 'latin1').toString('hex');
    writeFileSync(f, `${lines[0]}\n${outer.match(/.{1,80}/g)?.join('\n')}\n`);
    expect((await converge(['vault', 'view', '--vault-password-file', pw('default'), f])).code).toBe(4);
    await expect(ansibleVaultRun(['view', '--vault-password-file', pw('default'), f])).rejects.toThrow(/Decryption failed/);
  });

  it('edit decrypts to a private temp file, runs $EDITOR and re-encrypts atomically, keeping the vault id', async () => {
    const f = file(PLAIN);
    chmodSync(f, 0o640);
    await ansibleVaultRun(['encrypt', '--vault-id', `dev@${pw('dev')}`, f]);
    chmodSync(f, 0o640);
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nstat -c %a "$1" > ${join(dir, 'edit-mode')}\nsed -i 's/db_user: app/db_user: admin/' "$1"\n`, { mode: 0o755 });
    const saved = process.env['EDITOR'];
    process.env['EDITOR'] = editor;
    try {
      expect(await converge(['vault', 'edit', '--vault-id', `dev@${pw('dev')}`, '--vault-password-file', pw('default'), f])).toMatchObject({ code: 0 });
    } finally {
      if (saved === undefined) delete process.env['EDITOR'];
      else process.env['EDITOR'] = saved;
    }
    expect(readFileSync(join(dir, 'edit-mode'), 'utf8').trim()).toBe('600');
    expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;dev');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(await ansibleVaultRun(['view', '--vault-id', `dev@${pw('dev')}`, f])).toBe(PLAIN.replace('db_user: app', 'db_user: admin'));
  });

  it('a run decrypts vault-encrypted host_vars with --vault-password-file, and refuses without it', async () => {
    const root = join(dir, `run${n++}`);
    mkdirSync(join(root, 'host_vars'), { recursive: true });
    writeFileSync(join(root, 'hosts'), `[local]\nlocal1 ansible_connection=local target_dir=${root}\n`);
    writeFileSync(join(root, 'host_vars', 'local1.yml'), 'b_content: "t0p-secret-b"\nfail: "no"\n');
    await ansibleVaultRun(['encrypt', '--vault-password-file', pw('default'), join(root, 'host_vars', 'local1.yml')]);
    const playbook = join(import.meta.dirname, '../../packages/cli/test/fixtures/local-files.ts');
    const without = await converge(['-i', join(root, 'hosts'), playbook]);
    expect(without.code).toBe(4);
    expect(without.stderr).toMatch(/local1\.yml is vault-encrypted and no vault password was given/);
    const r = await converge(['-i', join(root, 'hosts'), playbook, '--vault-password-file', pw('default'), '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary.local1).toMatchObject({ failed: 0, skipped: 1 });
    expect(r.stdout).not.toContain('t0p-secret-b');
    expect(readFileSync(join(root, 'b.txt'), 'utf8')).toBe('t0p-secret-b');
  });
});
