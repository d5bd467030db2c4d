import { describe, expect, it } from 'vitest';
import { parseIniInventory } from './ini.js';
import { groupsOf, hostVars } from './vars.js';
import type { Inventory } from './types.js';

// One var `v` set at every level; each row removes the levels above it and names the winner.
const INI = `
[parent:children]
child
[child]
h
[other]
h
[all:vars]
v=all-inventory
[parent:vars]
v=parent-inventory
[other:vars]
v=other-inventory
ansible_group_priority=5
[child:vars]
v=child-inventory
`;

type Level = 'host-file' | 'host' | 'child-file' | 'parent-file' | 'all-file' | 'child' | 'other' | 'parent' | 'all';

function inventoryWith(levels: Level[]): Inventory {
  const inv = parseIniInventory(INI, 'hosts');
  const keep = new Set(levels);
  for (const g of ['all', 'parent', 'child', 'other'] as const) if (!keep.has(g)) delete inv.groups.get(g)?.vars['v'];
  if (keep.has('host')) (inv.hosts.get('h') as { vars: Record<string, unknown> }).vars['v'] = 'host-inventory';
  const groups = new Map<string, { files: string[]; vars: Record<string, unknown> }>();
  for (const g of ['all', 'parent', 'child'] as const) if (keep.has(`${g}-file`)) groups.set(g, { files: [`group_vars/${g}.yml`], vars: { v: `${g}-file` } });
  const hosts = new Map<string, { files: string[]; vars: Record<string, unknown> }>();
  if (keep.has('host-file')) hosts.set('h', { files: ['host_vars/h.yml'], vars: { v: 'host-file' } });
  inv.varsFiles = [{ dir: '.', groups, hosts }];
  return inv;
}

const ALL: Level[] = ['host-file', 'host', 'child-file', 'parent-file', 'all-file', 'child', 'other', 'parent', 'all'];

describe('hostVars precedence (as ansible-inventory --host)', () => {
  it.each<[string, Level, string]>([
    ['host_vars file', 'host-file', 'host-file'],
    ['inventory host var', 'host', 'host-inventory'],
    ['group_vars of the deeper group', 'child-file', 'child-file'],
    ['group_vars of the parent group', 'parent-file', 'parent-file'],
    ['group_vars/all', 'all-file', 'all-file'],
    ['inventory vars of a deeper group over a higher-priority shallower one', 'child', 'child-inventory'],
    ['inventory vars of the higher ansible_group_priority at the same depth', 'other', 'other-inventory'],
    ['inventory vars of the parent group', 'parent', 'parent-inventory'],
    ['inventory vars of all', 'all', 'all-inventory'],
  ])('%s wins over every level below it', (_what, level, winner) => {
    expect(hostVars(inventoryWith(ALL.slice(ALL.indexOf(level))), 'h')).toEqual({ v: winner });
  });

  it('lists the groups of a host transitively, all first, in merge order', () => {
    expect(groupsOf(parseIniInventory(INI, 'hosts'), 'h')).toEqual(['all', 'parent', 'other', 'child']);
  });

  it('leaves out names Ansible reserves', () => {
    const inv = parseIniInventory('h inventory_dir=x group_names=y keep=1', 'hosts');
    expect(hostVars(inv, 'h')).toEqual({ keep: 1 });
  });

  it('throws CONVERGE_INVENTORY for an unknown host', () => {
    expect(() => hostVars(parseIniInventory('h', 'hosts'), 'nope')).toThrow(/not in the inventory/);
  });
});
