import { describe, expect, it } from 'vitest';
import { iniValue, parseIniInventory } from './ini.js';
import { isConvergeError } from '@converge/core';

function hostsOf(text: string, group: string): string[] {
  return parseIniInventory(text, 'hosts').groups.get(group)?.hosts ?? [];
}

describe('parseIniInventory', () => {
  it('C-22: a host line starting with a range is three hosts, not a section', () => {
    expect(hostsOf('[db]\n[1:3].db.example.test\n', 'db')).toEqual(['1.db.example.test', '2.db.example.test', '3.db.example.test']);
  });

  it.each([
    ['web[01:03]', ['web01', 'web02', 'web03']],
    ['host-[a:c]', ['host-a', 'host-b', 'host-c']],
    ['n[0:10:5]', ['n0', 'n5', 'n10']],
    ['[1:2].x', ['1.x', '2.x']],
  ])('expands the host line %s', (line, hosts) => {
    expect(hostsOf(`[g]\n${line}\n`, 'g')).toEqual(hosts);
  });

  it('puts hosts before any section, and hosts in no group, in ungrouped', () => {
    const inv = parseIniInventory('a\n[g]\nb\n[g2:children]\ng\n[all]\nc\n', 'hosts');
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['a', 'c']);
    expect(inv.groups.get('all')?.children).toEqual(['ungrouped', 'g2']);
    expect(inv.groups.get('g2')?.children).toEqual(['g']);
  });

  it('sets ansible_port from host:port, for a new host only', () => {
    const inv = parseIniInventory('[a]\nh1:2222\n[b]\nh1:3333\n', 'hosts');
    expect(inv.hosts.get('h1')?.vars).toEqual({ ansible_port: 2222 });
  });

  it('keeps ansible_group_priority out of the group vars', () => {
    const g = parseIniInventory('[g]\nh\n[g:vars]\nansible_group_priority=7\nx=1\n', 'hosts').groups.get('g');
    expect([g?.priority, g?.vars]).toEqual([7, { x: 1 }]);
  });

  it.each([
    ['[web:hosts2]', 1, 1, 'unknown type "hosts2"'],
    ['h\n  [bad group]', 2, 3, 'invalid section entry'],
    ['[a:children]\na', 2, 1, 'cannot be a child of itself'],
    ['[a:children]\nb\n[b:children]\na', 4, 1, 'creates a loop'],
    ['[a:children]\nmissing', 2, 1, 'includes undefined group "missing"'],
    ['[ghost:vars]\nx=1', 1, 1, 'not valid for undefined group "ghost"'],
    ['[g]\nweb[1:]', 2, 1, 'must specify an end value'],
    ['[g]\nweb[01:100]', 2, 1, 'equal length'],
    ['[g]\nh novalue', 2, 3, 'expected key=value'],
    ['[g]\nh x="unclosed', 2, 1, 'No closing quotation'],
    ['[g:vars]\nnovalue', 2, 1, 'expected key=value'],
    ['[g:children]\ntwo words', 2, 1, 'expected a group name'],
    ['[g]\nhost:', 2, 1, 'reserved to give a port'],
    ['---', 1, 1, 'YAML'],
  ])('rejects %j at line %i column %i (%s)', (text, line, column, message) => {
    let err: unknown;
    try {
      parseIniInventory(text, 'inv.ini');
    } catch (e) {
      err = e;
    }
    expect(isConvergeError(err) && err.code).toBe('CONVERGE_INVENTORY');
    expect((err as { location?: unknown }).location).toEqual({ file: 'inv.ini', line, column });
    expect((err as Error).message).toContain(message);
  });
});

describe('iniValue (Python literal_eval, as Ansible reads INI values)', () => {
  it.each([
    ['42', 42],
    ['-7', -7],
    ['-(3)', -3],
    ['3.25', 3.25],
    ['1e3', 1000],
    ['.5', 0.5],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['1_000', 1000],
    ['0644', '0644'],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ["'quoted'", 'quoted'],
    ['"a" \'b\'', 'ab'],
    ["r'\\d'", '\\d'],
    ["'\\x41\\u00e9\\n'", 'Aé\n'],
    ["b'bytes'", 'bytes'],
    ["[1, 'two', 3.0]", [1, 'two', 3]],
    ['(1, 2)', [1, 2]],
    ['1, 2', [1, 2]],
    ["{'a': 1, 2: [True, None]}", { a: 1, '2': [true, null] }],
    ['5 # comment', 5],
    ['foo # comment', 'foo # comment'],
    ['1 2', '1 2'],
    ['--1', '--1'],
    ['1+2', '1+2'],
    ['1j', '1j'],
    ["f'x'", "f'x'"],
    ['', ''],
    ['/srv/app', '/srv/app'],
    ['http://x:80/', 'http://x:80/'],
  ])('%s -> %j', (text, value) => {
    expect(iniValue(text)).toEqual(value);
  });
});
