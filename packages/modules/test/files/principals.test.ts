import { describe, expect, it } from 'vitest';
import { factCommand, LocalTransport, planModule } from '@converge/core';
import { copy, file, filePrincipals, lineinfile, planAttributes, samePrincipal } from '../../src/files.js';
import type { FilePrincipals } from '../../src/files.js';
import { fileFact } from './edit-harness.js';

describe('file.principals', () => {
  it.each<[string, { owner?: string; group?: string }, string, FilePrincipals]>([
    ['both found', { owner: 'app', group: 'www' }, 'owner 1001\ngroup 33\n', { owner: 1001, group: 33 }],
    ['a user that does not exist', { owner: 'nosuchuser' }, 'owner -\n', { owner: null }],
    ['a group that does not exist', { group: 'nosuchgroup' }, 'group -\n', { group: null }],
  ])('parses %s', (_what, args, stdout, value) => {
    expect(filePrincipals.definition.parse(stdout, { args, exitCode: 0, stderr: '' })).toEqual(value);
  });

  it('resolves names on this machine as chown(1) and chgrp(1) do', async () => {
    const t = new LocalTransport();
    const run = async (args: { owner?: string; group?: string }) => filePrincipals.definition.parse((await t.exec(factCommand(filePrincipals, args))).stdout, { args, exitCode: 0, stderr: '' });
    expect(await run({ owner: 'root', group: 'root' })).toEqual({ owner: 0, group: 0 });
    expect(await run({ owner: 'no-such-user-7731', group: 'no-such-group-7731' })).toEqual({ owner: null, group: null });
    // digits that name no user or group: chown and chgrp take them as ids (0 exists, 987654 does not)
    expect(await run({ owner: '0', group: '0' })).toEqual({ owner: 0, group: 0 });
    expect(await run({ owner: '987654', group: '987654' })).toEqual({ owner: null, group: null });
  });
});

describe('owner and group: a name is a name, a number is an id', () => {
  const current = fileFact('x\n', { owner: '1234' }).target!;
  const at2001 = { ...current, uid: 2001, gid: 2001, owner: '1234', group: '1234' };

  it.each<[string, string | number, number | null | undefined, number, boolean]>([
    ['a name of digits that names a user is that user', '1234', 2001, 2001, true],
    ['a name of digits that names a user is not that uid', '1234', 2001, 1234, false],
    ['a number is an id, whatever the names', 1234, 2001, 1234, true],
    ['a number is not the user whose name it spells', 1234, 2001, 2001, false],
    ['digits that name no user are an id, as chown takes them', '1234', null, 1234, true],
    ['a name without the fact is compared by name', 'app', undefined, 7, false],
    ['digits without the fact: the name, or the id chown would take', '7', undefined, 7, true],
  ])('%s', (_what, wanted, resolved, id, same) => {
    expect(samePrincipal('1234', id, wanted, resolved)).toBe(same);
  });

  it('reports no change for an owner named with digits that owns the file (the run converges)', () => {
    expect(planAttributes({ owner: '1234', group: '1234' }, at2001, 'file', { principals: { owner: 2001, group: 2001 } }).changes).toEqual([]);
  });

  it('gives chown a number as +N, never looked up as a name', () => {
    const a = planAttributes({ owner: 1234, group: 1234 }, at2001, 'file');
    expect([a.owner, a.group]).toEqual(['+1234', '+1234']);
    const r = planModule(file, { params: { path: '/srv/x', state: 'directory', owner: 1234 }, facts: { path: fileFact(null, { path: '/srv/x' }) } });
    expect(r.commands.map((c) => String(c.script)).join('\n')).toMatch(/chown +-- \+1234 \/srv\/x/);
  });

  it.each([
    ['copy', () => planModule(copy, { params: { dest: '/etc/motd', content: 'hi\n', owner: 'nosuchuser' }, facts: { dest: fileFact(null, { path: '/etc/motd' }), principals: { owner: null } }, host: { check: true } })],
    ['file', () => planModule(file, { params: { path: '/srv/x', state: 'directory', group: 'nosuchgroup' }, facts: { path: fileFact(null, { path: '/srv/x' }), principals: { group: null } }, host: { check: true } })],
    ['lineinfile', () => planModule(lineinfile, { params: { path: '/etc/test.conf', line: 'a', owner: 'nosuchuser' }, facts: { file: fileFact('b\n'), principals: { owner: null } }, host: { check: true } })],
  ])('%s: check mode fails on an owner or group the host does not know, as the run would', (_m, plan) => {
    expect(plan).toThrow(/the host has no (user|group) of that name/);
  });

  it('an owner an earlier task of the check run creates is predicted, not refused', () => {
    const r = planModule(copy, { params: { dest: '/etc/motd', content: 'hi\n', owner: 'deploy' }, facts: { dest: fileFact(null, { path: '/etc/motd' }), principals: { owner: null } }, host: { check: true }, upstreamChanged: true });
    expect(r.changes).toContainEqual({ path: 'owner', before: null, after: 'deploy' });
  });

  it('declares the fact only for names', () => {
    expect(Object.keys(copy.definition.facts!({ dest: '/x', content: 'a', owner: 'app' } as never, undefined as never))).toEqual(['dest', 'principals']);
    expect(Object.keys(copy.definition.facts!({ dest: '/x', content: 'a', owner: 0 } as never, undefined as never))).toEqual(['dest']);
  });
});
