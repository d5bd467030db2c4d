import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { group, groupEntry } from '../../src/group/group.js';

describe('fact group.entry', () => {
  const parse = (stdout: string, exitCode: number) => groupEntry.definition.parse(stdout, { args: { name: 'extra' }, exitCode, stderr: '' });
  test.each([
    ['extra:x:1001:demo\n', 0, { name: 'extra', gid: 1001, members: ['demo'] }],
    ['demo:x:1000:\n', 0, { name: 'demo', gid: 1000, members: [] }],
    ['sudo:x:27:a,b\n', 0, { name: 'sudo', gid: 27, members: ['a', 'b'] }],
    ['', 2, null],
  ])('recorded %j (exit %i)', (out, code, value) => {
    expect(parse(out, code)).toEqual(value);
  });
});

describe('module group', () => {
  const entry = { name: 'app', gid: 2001, members: [] };
  test.each([
    { case: 'creates a missing group with its gid', params: { name: 'app', gid: 2001 }, facts: { entry: null }, changes: [{ path: 'state', before: 'absent', after: 'present' }, { path: 'gid', before: null, after: 2001 }], scripts: ['groupadd -g 2001 -- app'] },
    { case: 'creates a system group', params: { name: 'app', system: true }, facts: { entry: null }, changes: [{ path: 'state', before: 'absent', after: 'present' }], scripts: ['groupadd -r -- app'] },
    { case: 'changes the gid', params: { name: 'app', gid: 2002 }, facts: { entry }, changes: [{ path: 'gid', before: 2001, after: 2002 }], scripts: ['groupmod -g 2002 -- app'] },
    { case: 'removes', params: { name: 'app', state: 'absent' }, facts: { entry }, changes: [{ path: 'state', before: 'present', after: 'absent' }], scripts: ['groupdel -- app'] },
    { case: 'keeps a group with the wanted gid', params: { name: 'app', gid: 2001 }, facts: { entry }, changes: [], scripts: [] },
    { case: 'keeps any gid when none is asked', params: { name: 'app' }, facts: { entry }, changes: [], scripts: [] },
    { case: 'absent stays absent', params: { name: 'app', state: 'absent' }, facts: { entry: null }, changes: [], scripts: [] },
  ])('$case', ({ params, facts, changes, scripts }) => {
    const r = planModule(group, { params, facts });
    expect(r.changes).toEqual(changes);
    expect(r.commands.map((c) => String(c.script))).toEqual(scripts);
    if (changes.length === 0) expect(r.reason).toMatch(/^group app/);
  });

  test.each([{ name: 'bad name' }, { name: 'app', gid: -1 }, { name: 'app', state: 'gone' }])('rejects %j', (params) => {
    expect(() => planModule(group, { params, facts: { entry: null } })).toThrow(/invalid params/);
  });
});
