import { describe, expect, it } from 'vitest';
import { parseYamlInventory } from './yaml.js';
import { hostVars } from './vars.js';
import { isConvergeError } from '@converge/core';

describe('parseYamlInventory', () => {
  it('reads YAML 1.1 scalars as PyYAML does', () => {
    const inv = parseYamlInventory(
      'all:\n  hosts:\n    h:\n      a: yes\n      b: off\n      c: y\n      d: 0644\n      e: 09\n      f: 1e3\n      g: 1.5\n      h: 2024-01-15\n      i: ~\n      j: 0x10\n      k: 1:20\n',
      'inv.yml',
    );
    expect(hostVars(inv, 'h')).toEqual({ a: true, b: false, c: 'y', d: 420, e: '09', f: '1e3', g: 1.5, h: '2024-01-15', i: null, j: 16, k: 80 });
  });

  it('expands ranges and ports in host names and nests children', () => {
    const inv = parseYamlInventory('all:\n  children:\n    a:\n      children:\n        b:\n          hosts:\n            "[1:2].db:2200":\n', 'inv.yml');
    expect(inv.groups.get('b')?.hosts).toEqual(['1.db', '2.db']);
    expect(inv.groups.get('a')?.children).toEqual(['b']);
    expect(inv.hosts.get('2.db')?.vars).toEqual({ ansible_port: 2200 });
  });

  it('skips groups that are not mappings with a warning', () => {
    const inv = parseYamlInventory('all:\n  hosts:\n    h:\nweird: [1, 2]\n', 'inv.yml');
    expect(inv.groups.has('weird')).toBe(false);
    expect(inv.warnings.join('\n')).toContain('weird');
  });

  it.each([
    ['all:\n  hosts:\n    h: {a: 1\n', 'invalid YAML'],
    ['all:\n  hosts:\n    h:\n    h:\n', 'invalid YAML'],
    ['- a\n- b\n', 'must be a mapping of groups'],
    ['', 'empty'],
    ['plugin: aws_ec2\n', 'plugin configuration'],
    ['all:\n  hosts: [a, b]\n', 'invalid "hosts" entry'],
    ['all:\n  hosts:\n    h: [1]\n', 'must be a mapping'],
    ['all:\n  hosts:\n    123:\n', 'must be a string'],
    ['all:\n  children:\n    a:\n      children:\n        a:\n', 'cannot be a child of itself'],
    ['all:\n  hosts:\n    web[1:x]:\n', 'numbers or single letters'],
  ])('rejects %j (%s) with a location', (text, message) => {
    let err: unknown;
    try {
      parseYamlInventory(text, 'inv.yml');
    } catch (e) {
      err = e;
    }
    expect(isConvergeError(err) && err.code).toBe('CONVERGE_INVENTORY');
    expect((err as Error).message).toContain(message);
    const loc = (err as { location?: { file: string; line: number; column: number } }).location;
    expect(loc?.file).toBe('inv.yml');
    expect(loc?.line).toBeGreaterThanOrEqual(1);
    expect(loc?.column).toBeGreaterThanOrEqual(1);
  });

  it('points at the offending key', () => {
    try {
      parseYamlInventory('all:\n  children:\n    web:\n      hosts:\n        42:\n', 'inv.yml');
      expect.unreachable();
    } catch (e) {
      expect((e as { location?: unknown }).location).toEqual({ file: 'inv.yml', line: 5, column: 9 });
    }
  });
});
