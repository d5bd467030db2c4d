import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, hostFieldMatches, hostKeyFingerprint, knownHostsLine, knownHostsName, parseKnownHosts } from './known-hosts.js';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}

const ED = blob('ssh-ed25519', 'key-one-32-bytes-long-0123456789');
const ED2 = blob('ssh-ed25519', 'key-two-32-bytes-long-0123456789');
const RSA = blob('ssh-rsa', 'rsa-key');
const b64 = (b: Buffer) => b.toString('base64');

describe('known_hosts names and fingerprints', () => {
  it.each([
    ['db1', 22, 'db1'],
    ['db1', 2222, '[db1]:2222'],
    ['10.0.0.1', 2200, '[10.0.0.1]:2200'],
  ])('records %s port %i as %s', (host, port, want) => {
    expect(knownHostsName(host, port)).toBe(want);
  });

  it('prints SHA256 fingerprints as ssh-keygen does: unpadded base64', () => {
    const want = createHash('sha256').update(ED).digest('base64').replace(/=+$/, '');
    expect(hostKeyFingerprint(ED)).toBe(`SHA256:${want}`);
    expect(hostKeyFingerprint(ED)).not.toMatch(/=$/);
  });
});

describe('host field matching', () => {
  const hashed = knownHostsLine('[db1]:2222', ED, true).split(' ')[0] as string;
  it.each([
    ['db1,db2', 'db2', true],
    ['*.example.com', 'web.example.com', true],
    ['*.example.com,!bad.example.com', 'bad.example.com', false],
    ['web?', 'web1', true],
    ['web?', 'web10', false],
    ['DB1', 'db1', true],
    ['[db1]:2222', '[db1]:2222', true],
    ['db1', '[db1]:2222', false],
    [hashed, '[db1]:2222', true],
    [hashed, 'db1', false],
  ])('%s matches %s: %s', (field, name, want) => {
    expect(hostFieldMatches(field, name)).toBe(want);
  });
});

describe('checkHostKey', () => {
  const file = (text: string) => parseKnownHosts(text);
  it.each([
    ['a plain entry', `# comment\n\ndb1 ssh-ed25519 ${b64(ED)}\n`, 'known'],
    ['another host only', `db2 ssh-ed25519 ${b64(ED)}\n`, 'unknown'],
    ['a different key of the same type', `db1 ssh-ed25519 ${b64(ED2)}\n`, 'changed'],
    ['a key of another type only', `db1 ssh-rsa ${b64(RSA)}\n`, 'unknown'],
    ['a revoked key', `@revoked * ssh-ed25519 ${b64(ED)}\ndb1 ssh-ed25519 ${b64(ED)}\n`, 'revoked'],
    ['a cert authority only', `@cert-authority *.example.com,db1 ssh-ed25519 ${b64(ED2)}\n`, 'cert-authority-only'],
    ['a hashed entry', `${knownHostsLine('db1', ED, true)}\n`, 'known'],
    ['a malformed line', `db1 ssh-ed25519\n`, 'unknown'],
  ])('%s gives %s', (_n, text, status) => {
    expect(checkHostKey(file(text), ['db1'], ED).status).toBe(status);
  });

  it('lists the expected fingerprints of a changed key and the other key types of an unknown one', () => {
    expect(checkHostKey(file(`db1 ssh-ed25519 ${b64(ED2)}\n`), ['db1'], ED)).toEqual({ status: 'changed', expected: [hostKeyFingerprint(ED2)], lines: [1] });
    expect(checkHostKey(file(`db1 ssh-rsa ${b64(RSA)}\n`), ['db1'], ED)).toEqual({ status: 'unknown', otherTypes: ['ssh-rsa'] });
  });

  it('writes plain lines as OpenSSH does by default', () => {
    expect(knownHostsLine('[db1]:2222', ED)).toBe(`[db1]:2222 ssh-ed25519 ${b64(ED)}`);
  });
});
