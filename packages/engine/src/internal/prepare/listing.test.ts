import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { parseIniInventory } from '@converge/inventory';
import { defineModule } from '@converge/core';
import { block } from '@converge/core';
import { definePlaybook, defineRole } from '@converge/core';
import { listPlaybook } from './listing.js';

const noop = defineModule({
  name: 'test.noop',
  description: 'Nothing.',
  params: Type.Object({ path: Type.Optional(Type.String()) }),
  plan: () => ({ changes: [] }),
  apply: () => [],
});

const inventory = parseIniInventory('[web]\nweb1\nweb2\n[db]\ndb1\n', 'hosts.ini');
const role = defineRole({ name: 'base', tasks: [noop({}, { name: 'base packages', tags: ['base'] })] });
const playbook = definePlaybook([
  {
    name: 'web servers',
    hosts: 'web',
    tags: ['web'],
    roles: [role],
    tasks: [noop({ path: '/etc/app.conf' }, { tags: ['config'] }), noop(() => ({}), { tags: ['never', 'debug'] }), noop({}, { name: 'restart' })],
  },
  { name: 'databases', hosts: 'db', tasks: [noop({}, { name: 'create schema', tags: ['db'] })] },
]);

describe('listPlaybook (ansible-playbook --list-*)', () => {
  it('--list-hosts prints each play with its pattern and hosts', () => {
    expect(listPlaybook(playbook, 'site.ts', inventory, { hosts: true })).toBe(
      '\nplaybook: site.ts\n' +
        "\n  play #1 (web): web servers\tTAGS: [web]\n    pattern: ['web']\n    hosts (2):\n      web1\n      web2\n" +
        "\n  play #2 (db): databases\tTAGS: []\n    pattern: ['db']\n    hosts (1):\n      db1\n",
    );
  });

  it('--list-hosts respects --limit', () => {
    expect(listPlaybook(playbook, 'site.ts', inventory, { hosts: true, limit: 'web2:db1' })).toContain('hosts (1):\n      web2\n');
    expect(() => listPlaybook(playbook, 'site.ts', inventory, { hosts: true, limit: 'nope' })).toThrow(/matches no host/);
  });

  it('--list-tasks prints the selected tasks with their tags, role tasks first; a never task only when asked for', () => {
    expect(listPlaybook(playbook, 'site.ts', inventory, { tasks: true })).toBe(
      '\nplaybook: site.ts\n' +
        '\n  play #1 (web): web servers\tTAGS: [web]\n    tasks:\n' +
        '      base packages\tTAGS: [base, web]\n' +
        '      test.noop /etc/app.conf\tTAGS: [config, web]\n' +
        '      restart\tTAGS: [web]\n\n' +
        '\n  play #2 (db): databases\tTAGS: []\n    tasks:\n' +
        '      create schema\tTAGS: [db]\n\n',
    );
    const debug = listPlaybook(playbook, 'site.ts', inventory, { tasks: true, selectTags: ['debug'] });
    expect(debug).toContain('      test.noop\tTAGS: [debug, never, web]\n');
    expect(debug).not.toContain('restart');
  });

  it('--list-tasks respects --tags and --skip-tags', () => {
    const out = listPlaybook(playbook, 'site.ts', inventory, { tasks: true, selectTags: ['config', 'db'], skipTags: ['db'] });
    expect(out).toContain('test.noop /etc/app.conf');
    expect(out).not.toContain('base packages');
    expect(out).not.toContain('create schema');
  });

  it('lists the tasks of blocks, rescue and always with the block tags', () => {
    const pb = definePlaybook({ name: 'b', hosts: 'web', tasks: [block([noop({}, { name: 'inner' })], { tags: ['blk'], rescue: [noop({}, { name: 'undo' })], always: [noop({}, { name: 'cleanup', tags: ['c'] })] })] });
    expect(listPlaybook(pb, 'b.ts', inventory, { tasks: true })).toContain('    tasks:\n      inner\tTAGS: [blk]\n      undo\tTAGS: [blk]\n      cleanup\tTAGS: [blk, c]\n');
  });

  it('--list-tags prints the tags of each play and its tasks', () => {
    expect(listPlaybook(playbook, 'site.ts', inventory, { tags: true })).toBe(
      '\nplaybook: site.ts\n' + '\n  play #1 (web): web servers\tTAGS: [web]\n      TASK TAGS: [base, config, web]\n\n' + '\n  play #2 (db): databases\tTAGS: []\n      TASK TAGS: [db]\n\n',
    );
  });
});
