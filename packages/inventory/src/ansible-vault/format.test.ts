import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptVault, encryptString, encryptVault, isVaultEncrypted, loadVaultSecret, parseVaultEnvelope, parseVaultId, type VaultSecret } from '../index.js';
import { hostVars, loadInventory } from '../index.js';
import { isSecret, secret } from '@converge/core';

// Written by ansible-vault 2.14 (`ansible-vault encrypt --vault-password-file pw`, password "pw1").
const ANSIBLE_1_1 = `$ANSIBLE_VAULT;1.1;AES256
39373932306436323934333239386537316365313539353332333933306661343636366463343365
6634336436383938303336653131653633663139383130320a656133373532303866623931333565
32643738663738643835383763626366383730653836633537343932346264646263303033643735
6662653565336634380a383038646361323332623836353636623862666236616362616538323662
6266
`;

const pw1: VaultSecret = { label: 'default', password: secret('pw1') };
const dev: VaultSecret = { label: 'dev', password: secret('devpass') };

describe('ansible-vault format', () => {
  it('decrypts a file written by ansible-vault', () => {
    expect(decryptVault(ANSIBLE_1_1, [pw1]).plaintext.toString()).toBe('a: 1\nb: hello\n');
  });

  it.each([
    ['the default label gives format 1.1', pw1, '$ANSIBLE_VAULT;1.1;AES256'],
    ['another label gives format 1.2 with the vault id', dev, '$ANSIBLE_VAULT;1.2;AES256;dev'],
  ])('%s', (_name, s, header) => {
    const text = encryptVault('x: 1\n', s);
    expect(text.split('\n')[0]).toBe(header);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').slice(1, -2).every((l) => l.length === 80)).toBe(true);
    expect(decryptVault(text, [s]).plaintext.toString()).toBe('x: 1\n');
  });

  it('round-trips every length across the padding boundaries', () => {
    for (let n = 0; n <= 40; n++) {
      const text = 'é'.repeat(n);
      expect(decryptVault(encryptVault(text, pw1), [pw1]).plaintext.toString()).toBe(text);
    }
  });

  it('tries the secret of the vault id first, then the others', () => {
    const text = encryptVault('s', dev);
    expect(decryptVault(text, [pw1, dev]).label).toBe('dev');
    expect(decryptVault(text, [pw1, { label: 'other', password: 'devpass' }]).label).toBe('other');
  });

  it('refuses a wrong password and names the vault id', () => {
    expect(() => decryptVault(encryptVault('s', dev), [pw1], 'f.yml')).toThrow(/cannot decrypt f\.yml: no vault password matches \(tried vault ids: default\)/);
  });

  it('refuses a tampered ciphertext (HMAC mismatch)', () => {
    const env = parseVaultEnvelope(ANSIBLE_1_1);
    const inner = Buffer.from(env.payload, 'hex').toString('latin1').split('\n');
    const c = inner[2] as string;
    inner[2] = c.slice(0, -1) + (c.endsWith('0') ? '1' : '0');
    const tampered = `$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from(inner.join('\n'), 'latin1').toString('hex')}\n`;
    expect(() => decryptVault(tampered, [pw1])).toThrow(/no vault password matches/);
  });

  it.each([
    ['no secrets', ANSIBLE_1_1, [], /no vault password was given/],
    ['a bad header', '$ANSIBLE_VAULT;2.0;AES256\n00\n', [pw1], /unsupported ansible-vault format version/],
    ['a bad cipher', '$ANSIBLE_VAULT;1.1;AES\n00\n', [pw1], /unsupported vault cipher/],
    ['a payload that is not hex', '$ANSIBLE_VAULT;1.1;AES256\nzz\n', [pw1], /not hexadecimal/],
  ] as const)('refuses %s', (_name, text, secrets, re) => {
    expect(() => decryptVault(text, secrets)).toThrow(re);
  });

  it('recognises vault text', () => {
    expect(isVaultEncrypted(ANSIBLE_1_1)).toBe(true);
    expect(isVaultEncrypted('a: 1')).toBe(false);
  });

  it('writes encrypt_string output as ansible-vault does', () => {
    const out = encryptString('hunter2', pw1, 'db_password');
    const lines = out.split('\n');
    expect(lines[0]).toBe('db_password: !vault |');
    expect(lines[1]).toBe('          $ANSIBLE_VAULT;1.1;AES256');
    expect(decryptVault(lines.slice(1).join('\n'), [pw1]).plaintext.toString()).toBe('hunter2');
  });
});

describe('vault password sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'converge-vault-pw-'));
  it.each([
    ['dev@/x/y', { label: 'dev', source: '/x/y' }],
    ['/x/y', { label: 'default', source: '/x/y' }],
    ['prod@prompt', { label: 'prod', source: 'prompt' }],
  ])('parses --vault-id %s', (spec, expected) => expect(parseVaultId(spec)).toEqual(expected));

  it('reads a file, stripping whitespace', async () => {
    writeFileSync(join(dir, 'pw'), '  pw1 \n');
    expect((await loadVaultSecret({ label: 'default', source: join(dir, 'pw') })).password.toString()).toBe('********');
    expect(decryptVault(ANSIBLE_1_1, [await loadVaultSecret({ label: 'default', source: join(dir, 'pw') })]).label).toBe('default');
  });

  it('runs an executable and passes --vault-id to a -client script', async () => {
    writeFileSync(join(dir, 'pw.sh'), '#!/bin/sh\necho pw1\n', { mode: 0o755 });
    writeFileSync(join(dir, 'vault-client.sh'), '#!/bin/sh\n[ "$1 $2" = "--vault-id dev" ] && echo devpass\n', { mode: 0o755 });
    expect(decryptVault(ANSIBLE_1_1, [await loadVaultSecret({ label: 'default', source: join(dir, 'pw.sh') })]).label).toBe('default');
    const s = await loadVaultSecret({ label: 'dev', source: join(dir, 'vault-client.sh') });
    expect(decryptVault(encryptVault('x', dev), [s]).label).toBe('dev');
  });

  it('asks the prompt, and refuses an empty password or a missing file', async () => {
    expect((await loadVaultSecret({ label: 'dev', source: 'prompt' }, { prompt: async (q) => (q === 'Vault password (dev): ' ? 'devpass' : '') })).label).toBe('dev');
    await expect(loadVaultSecret({ label: 'dev', source: 'prompt' }, { prompt: async () => '' })).rejects.toThrow(/is empty/);
    await expect(loadVaultSecret({ label: 'dev', source: join(dir, 'missing') })).rejects.toThrow(/does not exist/);
  });
});

describe('vault-encrypted vars in inventories', () => {
  const root = mkdtempSync(join(tmpdir(), 'converge-vault-inv-'));
  writeFileSync(join(root, 'hosts.yml'), `all:\n  hosts:\n    web1:\n      api_key: !vault |\n${encryptVault('k3y-value', dev).trimEnd().split('\n').map((l) => `        ${l}`).join('\n')}\n`);
  mkdirSync(join(root, 'group_vars'));
  mkdirSync(join(root, 'host_vars'));
  writeFileSync(join(root, 'group_vars', 'all.yml'), encryptVault('db_password: s3cret-db\nport: 5432\n', pw1));
  writeFileSync(join(root, 'host_vars', 'web1.yml'), `plain: visible\ntoken: !vault |\n${encryptVault('t0ken-value', pw1).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`);

  it('decrypts whole files and !vault values into Secrets', async () => {
    const inv = await loadInventory(join(root, 'hosts.yml'), { vaultSecrets: [pw1, dev] });
    const vars = hostVars(inv, 'web1');
    expect(vars['plain']).toBe('visible');
    expect(vars['port']).toBe(5432);
    for (const [k, v] of [['db_password', 's3cret-db'], ['token', 't0ken-value'], ['api_key', 'k3y-value']] as const) {
      expect(isSecret(vars[k])).toBe(true);
      expect((vars[k] as { reveal(): string }).reveal()).toBe(v);
    }
    expect(JSON.stringify(vars)).not.toMatch(/s3cret|t0ken|k3y/);
  });

  it('refuses an encrypted vars file without a password', async () => {
    await expect(loadInventory(join(root, 'hosts.yml'))).rejects.toThrow(/group_vars\/all\.yml is vault-encrypted and no vault password was given/);
  });

  it('refuses a wrong password', async () => {
    await expect(loadInventory(join(root, 'hosts.yml'), { vaultSecrets: [{ label: 'default', password: 'nope' }] })).rejects.toThrow(/cannot decrypt/);
  });
});
