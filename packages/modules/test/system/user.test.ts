import { describe, expect, test } from 'vitest';
import { SECRET_MASK, secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { user, userAccount, type UserFacts } from '../../src/user/user.js';

// Recorded on Debian 12 (converge test image) after:
// useradd -m -s /bin/bash -c "Demo User" demo; chpasswd -e; groupadd extra; usermod -aG extra,sudo demo
const RECORDED = `@@passwd
demo:x:1000:1000:Demo User:/home/demo:/bin/bash
@@shadow
demo:$6$salt$abc:20786:0:99999:7:::
@@primary
demo
@@groups
demo sudo extra
@@lookup
extra:x:1001:demo
sudo:x:27:demo
demo:x:1000:
`;

const demo: UserFacts = {
  account: { name: 'demo', uid: 1000, gid: 1000, comment: 'Demo User', home: '/home/demo', shell: '/bin/bash', primaryGroup: 'demo', groups: ['extra', 'sudo'], password: '$6$salt$abc' },
  groups: {
    demo: { name: 'demo', gid: 1000, members: [] },
    extra: { name: 'extra', gid: 1001, members: ['demo'] },
    sudo: { name: 'sudo', gid: 27, members: ['demo'] },
  },
};

describe('fact user.account', () => {
  const parse = (stdout: string, lookup: string[]) => userAccount.definition.parse(stdout, { args: { name: 'demo', lookup }, exitCode: 0, stderr: '' });
  test('parses recorded getent/id output', () => {
    expect(parse(RECORDED, ['demo', 'extra', 'sudo', 'nosuch'])).toEqual(demo);
  });
  test('a missing user', () => {
    expect(parse('@@passwd\n@@shadow\n@@primary\n@@groups\n@@lookup\ndemo:x:1000:\n', ['demo'])).toEqual({ account: null, groups: { demo: { name: 'demo', gid: 1000, members: [] } } });
  });
  test('shadow unreadable when not root', () => {
    const out = RECORDED.replace('demo:$6$salt$abc:20786:0:99999:7:::', '@@unreadable');
    expect(parse(out, ['demo']).account?.password).toBeNull();
  });
  test('groups are keyed by what was asked, name or gid', () => {
    expect(Object.keys(parse(RECORDED, ['27', 'extra']).groups).sort()).toEqual(['27', 'extra']);
  });
});

describe('module user', () => {
  const none: UserFacts = { account: null, groups: { extra: demo.groups.extra as never } };
  test.each([
    {
      case: 'creates with attributes; the hash goes on stdin',
      params: { name: 'demo', uid: 1500, groups: ['extra'], shell: '/bin/sh', comment: 'A B', password: '$6$x$y' },
      facts: { user: none },
      changes: ['state', 'uid', 'groups', 'shell', 'comment', 'password'],
      scripts: [`useradd -u 1500 -G extra -s /bin/sh -c 'A B' -m -- demo`, 'chpasswd -e'],
    },
    {
      case: 'a system account without home',
      params: { name: 'svc', system: true, create_home: false, shell: '/usr/sbin/nologin' },
      facts: { user: { account: null, groups: {} } },
      changes: ['state', 'shell'],
      scripts: ['useradd -s /usr/sbin/nologin -M -r -- svc'],
    },
    {
      case: 'joins an existing group named like the user',
      params: { name: 'demo' },
      facts: { user: { account: null, groups: { demo: demo.groups.demo as never } } },
      changes: ['state'],
      scripts: ['useradd -g demo -m -- demo'],
    },
    { case: 'nothing differs', params: { name: 'demo', groups: ['sudo', 'extra'], shell: '/bin/bash', password: '$6$salt$abc' }, facts: { user: demo }, changes: [], scripts: [] },
    { case: 'append adds only missing groups', params: { name: 'demo', groups: ['extra', 'demo'], append: true }, facts: { user: demo }, changes: [], scripts: [] },
    { case: 'exact groups remove the others', params: { name: 'demo', groups: ['extra'] }, facts: { user: demo }, changes: ['groups'], scripts: ['usermod -G extra -- demo'] },
    { case: 'groups: [] removes all', params: { name: 'demo', groups: [] }, facts: { user: demo }, changes: ['groups'], scripts: [`usermod -G '' -- demo`] },
    { case: 'home moves with move_home', params: { name: 'demo', home: '/srv/demo', move_home: true }, facts: { user: demo }, changes: ['home'], scripts: ['usermod -d /srv/demo -m -- demo'] },
    { case: 'password differs', params: { name: 'demo', password: secret('$6$new$hash') }, facts: { user: demo }, changes: ['password'], scripts: ['chpasswd -e'] },
    { case: 'password on_create leaves it', params: { name: 'demo', password: '$6$new$hash', update_password: 'on_create' }, facts: { user: demo }, changes: [], scripts: [] },
    { case: 'removes with home', params: { name: 'demo', state: 'absent', remove: true }, facts: { user: demo }, changes: ['state'], scripts: ['userdel -r -- demo'] },
  ])('$case', ({ params, facts, changes, scripts }) => {
    const r = planModule(user, { params, facts });
    expect(r.changes.map((c) => c.path)).toEqual(changes);
    expect(r.commands.map((c) => String(c.script))).toEqual(scripts);
  });

  test('the password never shows: masked in changes, a Secret on stdin', () => {
    const r = planModule(user, { params: { name: 'demo', password: '$6$new$hash' }, facts: { user: demo } });
    expect(r.changes).toEqual([{ path: 'password', before: SECRET_MASK, after: SECRET_MASK }]);
    expect(String(r.commands[0]?.stdin)).toBe(SECRET_MASK);
    expect(JSON.stringify(r.commands)).not.toContain('$6$new$hash');
  });

  test('a missing group is an error naming it, unless an earlier task may create it', () => {
    expect(() => planModule(user, { params: { name: 'demo', groups: ['nosuch'] }, facts: { user: demo } })).toThrow(/group nosuch does not exist/);
    const r = planModule(user, { params: { name: 'demo', groups: ['nosuch'], append: true }, facts: { user: demo }, upstreamChanged: true });
    expect(r.commands.map((c) => String(c.script))).toEqual(['usermod -a -G nosuch -- demo']);
  });

  test('an unreadable shadow with a password is an error that says to use become', () => {
    const facts = { user: { ...demo, account: { ...demo.account!, password: null } } };
    expect(() => planModule(user, { params: { name: 'demo', password: '$6$x$y' }, facts })).toThrow(/cannot read \/etc\/shadow/);
  });
});
