import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from './openssh-key.js';

const run = promisify(execFile);
const hasSshKeygen = await run('ssh-keygen', ['-?']).then(
  () => true,
  (e: { code?: unknown }) => e.code !== 'ENOENT',
);

describe('generateEd25519KeyPair', () => {
  it('writes the public key as an OpenSSH line with the comment', () => {
    expect(generateEd25519KeyPair('me@test').publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} me@test\n$/);
  });

  it.runIf(hasSshKeygen)('writes a private key that ssh-keygen reads back to the same public key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-key-'));
    try {
      const key = generateEd25519KeyPair('me@test');
      await writeFile(join(dir, 'id'), key.privateKey, { mode: 0o600 });
      const { stdout } = await run('ssh-keygen', ['-y', '-f', join(dir, 'id')]);
      expect(`${stdout.trim()}\n`).toBe(key.publicKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
