import { describe, expect, it } from 'vitest';
import { expandHostRange } from './ranges.js';
import { expandHostPattern } from './address.js';
import { InventoryRuleError } from './inventory-error.js';

describe('expandHostRange', () => {
  it.each([
    ['web[01:03]', ['web01', 'web02', 'web03']],
    ['web[1:3]', ['web1', 'web2', 'web3']],
    ['web[08:10]', ['web08', 'web09', 'web10']],
    ['www-[a:c]', ['www-a', 'www-b', 'www-c']],
    ['x[y:B]', ['xy', 'xz', 'xA', 'xB']],
    ['n[0:10:5]', ['n0', 'n5', 'n10']],
    ['n[:2]', ['n0', 'n1', 'n2']],
    ['[1:3].db.example.test', ['1.db.example.test', '2.db.example.test', '3.db.example.test']],
    ['r[1:2]-u[08:09]', ['r1-u08', 'r1-u09', 'r2-u08', 'r2-u09']],
    ['d[b:f:2]', ['db', 'dd', 'df']],
    ['w[3:1]', []],
    ['plain', ['plain']],
  ])('%s -> %j', (name, hosts) => {
    expect(expandHostRange(name)).toEqual(hosts);
  });

  it.each([
    ['web[1]', 'begin:end'],
    ['web[1:]', 'end value'],
    ['web[01:100]', 'equal length'],
    ['web[c:a]', 'begin <= end'],
    ['web[1:c]', 'numbers or single letters'],
    ['web[1:3:0]', 'step of 0'],
    ['web[1:3:x]', 'not an integer'],
    ['web[1:3', 'not closed'],
  ])('rejects %s (%s)', (name, message) => {
    expect(() => expandHostRange(name)).toThrow(InventoryRuleError);
    expect(() => expandHostRange(name)).toThrow(message);
  });
});

describe('expandHostPattern', () => {
  it.each([
    ['web1:2222', ['web1'], 2222],
    ['web[1:2]:22', ['web1', 'web2'], 22],
    ['10.0.0.1:2200', ['10.0.0.1'], 2200],
    ['[2001:db8::1]:2022', ['2001:db8::1'], 2022],
    ['2001:db8::2', ['2001:db8::2'], undefined],
    ['10.0.[1:2].1', ['10.0.1.1', '10.0.2.1'], undefined],
    ['odd!name:22', ['odd!name:22'], undefined],
  ])('%s -> %j port %s', (entry, hosts, port) => {
    expect(expandHostPattern(entry)).toEqual({ hosts, port });
  });
});
