// authorizedKey and knownHosts: line parsing, edits, and module cases from recorded ssh.user_file facts.
import { describe, expect, it } from 'vitest';
import { factCommand, LocalTransport } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { authorizedKey, editAuthorizedKeys, editKnownHosts, hashHost, hostFieldMatches, knownHosts, parseAuthorizedKey, sshUserFile } from '../../src/system.js';
import type { UserFile } from '../../src/system.js';
import type { FileState } from '../../src/files.js';
import { fileFact } from '../files/edit-harness.js';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEQ8lVbLzT9Y2k9cS3j5Q0b8QX7tHqPzWJ3cT6mM9aH1';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7';

const userFile = (content: string | null, extra: Partial<UserFile> = {}): UserFile => ({
  user: { name: 'deploy', uid: 1001, gid: 1001, home: '/home/deploy' },
  path: '/home/deploy/.ssh/authorized_keys',
  dir: { path: '/home/deploy/.ssh', type: 'directory', parentExists: true },
  file: content === null ? { path: '/home/deploy/.ssh/authorized_keys', type: 'absent', parentExists: true } : (() => {
    const f = fileFact(content, { path: '/home/deploy/.ssh/authorized_keys', mode: '0600' });
    f.target!.uid = 1001;
    return f;
  })(),
  ...extra,
});

describe('authorized_keys lines', () => {
  it.each([
    [`${ED} ci@example`, { type: 'ssh-ed25519', blob: ED.split(' ')[1], comment: 'ci@example' }],
    [`from="10.0.0.0/8,192.168.1.1",command="echo a b" ${ED}`, { options: 'from="10.0.0.0/8,192.168.1.1",command="echo a b"', type: 'ssh-ed25519', blob: ED.split(' ')[1] }],
    ['# a comment', undefined],
    ['not a key', undefined],
  ])('parses %s', (line, want) => expect(parseAuthorizedKey(line)).toEqual(want));

  it.each([
    { name: 'appends a new key, keeps others', before: `${RSA} old\n`, state: 'present', exclusive: false, after: `${RSA} old\n${ED} ci\n` },
    { name: 'rewrites a key whose options differ, in place', before: `# keys\n${ED} ci\n${RSA} x\n`, state: 'present', exclusive: false, opts: 'no-pty', after: `# keys\nno-pty ${ED} ci\n${RSA} x\n` },
    { name: 'exclusive keeps only the given keys', before: `${RSA} old\n${ED} ci\n`, state: 'present', exclusive: true, after: `${ED} ci\n` },
    { name: 'absent removes the key only', before: `${RSA} old\n${ED} ci\n`, state: 'absent', exclusive: false, after: `${RSA} old\n` },
    { name: 'a duplicate of the key goes', before: `${ED} ci\n${ED} ci\n`, state: 'present', exclusive: false, after: `${ED} ci\n` },
  ])('$name', ({ before, state, exclusive, opts, after }) => {
    const want = [{ type: 'ssh-ed25519', blob: ED.split(' ')[1] as string, comment: 'ci', ...(opts ? { options: opts } : {}) }];
    expect(editAuthorizedKeys(before, want, state as 'present', exclusive)).toBe(after);
  });
});

describe('authorizedKey', () => {
  it('creates ~/.ssh (0700) and the file (0600) owned by the user', () => {
    const r = planModule(authorizedKey, { params: { user: 'deploy', key: `${ED} ci` }, facts: { file: userFile(null, { dir: { path: '/home/deploy/.ssh', type: 'absent', parentExists: true } }) } });
    expect(r.changes.map((c) => c.path)).toEqual(['directory', 'keys']);
    expect(String(r.commands[0]?.script)).toBe("p=/home/deploy/.ssh/authorized_keys; install -d -m 0700 -o 1001 -g 1001 -- \"${p%/*}\"");
    expect(String(r.commands[1]?.script)).toMatch(/chown -- \+1001 "\$tmp"\nchgrp -- \+1001 "\$tmp"\nchmod -- 0?0600 "\$tmp"/);
    expect(Buffer.from(r.commands[1]?.stdin as Uint8Array).toString()).toBe(`${ED} ci\n`);
  });

  it('changes nothing when the key is there; fixes a wrong mode', () => {
    expect(planModule(authorizedKey, { params: { user: 'deploy', key: `${ED} ci` }, facts: { file: userFile(`${ED} ci\n`) } }).changes).toEqual([]);
    const loose = userFile(`${ED} ci\n`);
    loose.file.target!.mode = '0644';
    expect(planModule(authorizedKey, { params: { user: 'deploy', key: `${ED} ci` }, facts: { file: loose } }).changes.map((c) => c.path)).toEqual(['attributes']);
  });

  it('refuses a line that is no key, and a missing user', () => {
    expect(() => planModule(authorizedKey, { params: { user: 'deploy', key: 'ssh-ed25519' }, facts: {} })).toThrow(/not a public key line/);
    expect(() => planModule(authorizedKey, { params: { user: 'nobody2', key: ED }, facts: { file: { ...userFile(null), user: null } } })).toThrow(/no such user/);
  });

  it('reads a user file on this machine (root, a relative path)', async () => {
    const out = await new LocalTransport().exec(factCommand(sshUserFile, { user: 'root', path: '.ssh/no-such-converge-file' }));
    const v = sshUserFile.definition.parse(out.stdout, { args: { user: 'root', path: '.ssh/no-such-converge-file' }, exitCode: 0, stderr: '' });
    expect(v.user).toMatchObject({ uid: 0, gid: 0, home: '/root' });
    expect(v.path).toBe('/root/.ssh/no-such-converge-file');
    expect(v.file.type).toBe('absent');
    const none = await new LocalTransport().exec(factCommand(sshUserFile, { user: 'no-such-user-cvg', path: '.ssh/x' }));
    expect(sshUserFile.definition.parse(none.stdout, { args: { user: 'no-such-user-cvg', path: '.ssh/x' }, exitCode: 0, stderr: '' }).user).toBeNull();
  });
});

describe('knownHosts', () => {
  const kh = (content: string | null): UserFile => ({ ...userFile(content), path: '/root/.ssh/known_hosts' });
  it('matches plain and hashed host fields (ssh-keygen -H format)', () => {
    const hashed = hashHost('git.example.test', Buffer.alloc(20, 7));
    expect(hashed).toMatch(/^\|1\|[^|]+\|[^|]+$/);
    expect(hostFieldMatches(hashed, 'git.example.test')).toBe(true);
    expect(hostFieldMatches(hashed, 'other')).toBe(false);
    expect(hostFieldMatches('a,[b]:2222', '[b]:2222')).toBe(true);
  });

  it.each([
    { name: 'appends a new host', before: `other ${ED}\n`, after: `other ${ED}\ngit ${ED}\n` },
    { name: 'replaces the key of the same type, keeps other types', before: `git ssh-ed25519 AAAAold\ngit ${RSA}\n`, after: `git ${RSA}\ngit ${ED}\n` },
    { name: 'keeps the key when there', before: `x,git ${ED}\n`, after: `x,git ${ED}\n` },
  ])('$name', ({ before, after }) => {
    expect(editKnownHosts(before, 'git', { type: 'ssh-ed25519', blob: ED.split(' ')[1] as string, line: `git ${ED}` })).toBe(after);
  });

  it('removes every line of a host with state absent, and leaves a hashed entry of the key alone', () => {
    expect(editKnownHosts(`git ${ED}\nother ${RSA}\n${hashHost('git')} ${RSA}\n`, 'git', undefined)).toBe(`other ${RSA}\n`);
    const before = `${hashHost('git')} ${ED}\n`;
    const r = planModule(knownHosts, { params: { name: 'git', key: `git ${ED}`, hash_host: true }, facts: { file: kh(before) } });
    expect(r.changes).toEqual([]);
  });

  it("refuses a key whose host field does not name the host", () => {
    expect(() => planModule(knownHosts, { params: { name: 'git', key: `other ${ED}` }, facts: {} })).toThrow(/names git/);
  });
});
