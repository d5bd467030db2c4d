/**
 * crypt(3) hashes against Python's `crypt.crypt` (glibc/libxcrypt), run once for every case:
 * SHA-512, SHA-256 and MD5 crypt with short, long, empty and unicode passwords, explicit rounds,
 * and bcrypt with a full `$2b$NN$salt` setting (what passlib writes for Ansible).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { passwordHash } from './password-hash.js';

const cases: { password: string; type: string; salt: string; rounds?: number; setting: string }[] = [
  { password: 'pw', type: 'sha512', salt: 'abcdefgh', setting: '$6$abcdefgh' },
  { password: '', type: 'sha512', salt: 'abcdefghijklmnop', setting: '$6$abcdefghijklmnop' },
  { password: 'héllo wörld ☃ 🎉'.repeat(6), type: 'sha512', salt: 's', setting: '$6$s' },
  { password: 'pw', type: 'sha512', salt: 'abcdefgh', rounds: 1000, setting: '$6$rounds=1000$abcdefgh' },
  { password: 'a'.repeat(64), type: 'sha256', salt: 'saltsalt', setting: '$5$saltsalt' },
  { password: 'héllo', type: 'sha256', salt: 'abcdefghijklmnop', rounds: 10000, setting: '$5$rounds=10000$abcdefghijklmnop' },
  { password: 'pw', type: 'md5', salt: 'ab', setting: '$1$ab' },
  { password: 'x'.repeat(40), type: 'md5', salt: 'abcdefgh', setting: '$1$abcdefgh' },
  { password: '', type: 'md5', salt: 'Zz./09aA', setting: '$1$Zz./09aA' },
  { password: 'pw', type: 'blowfish', salt: 'abcdefghijklmnopqrstuu', rounds: 4, setting: '$2b$04$abcdefghijklmnopqrstuu' },
  { password: 'héllo', type: 'blowfish', salt: 'ABCDEFGHIJKLMNOPQRSTUu', rounds: 5, setting: '$2b$05$ABCDEFGHIJKLMNOPQRSTUu' },
];

const python = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', 'import crypt'], { encoding: 'utf8' });

describe.skipIf(python.status !== 0 && process.env.CI === undefined)('password_hash as crypt(3) computes it', () => {
  const expected = (): string[] => {
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', 'import crypt, json, sys\nprint(json.dumps([crypt.crypt(p, s) for p, s in json.load(sys.stdin)]))'], {
      input: JSON.stringify(cases.map((c) => [c.password, c.setting])),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  };
  const hashes = python.status === 0 ? expected() : [];

  test.each(cases.map((c, i) => [`${c.type} ${c.setting} (${c.password.length} characters)`, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    expect(passwordHash(c.password, c.type, { salt: c.salt, ...(c.rounds !== undefined ? { rounds: c.rounds } : {}) })).toBe(hashes[i]);
  });

  test.each([
    ['sha512', { salt: 'bad salt' }, 'invalid characters in salt'],
    ['sha512', { salt: 'a'.repeat(17) }, 'invalid salt size'],
    ['blowfish', { salt: 'short' }, 'invalid salt size'],
    ['des', {}, "crypt.crypt does not support 'des' algorithm"],
  ])('%s with %j is refused: %s', (type, options, message) => {
    expect(() => passwordHash('pw', type, options)).toThrow(message);
  });
});
