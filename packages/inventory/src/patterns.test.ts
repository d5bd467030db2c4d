import { describe, expect, it } from 'vitest';
import { parseIniInventory } from './ini.js';
import { selectHosts, splitHostPattern } from './patterns.js';
import { isConvergeError } from '@converge/core';

// Expected results were taken from `ansible -i INV PATTERN --list-hosts` (ansible-core 2.14).
const inv = parseIniInventory(
  ['solo', '[web]', 'web01', 'web02', 'web03', '[db]', 'db01', 'db02', 'web02', '[prod:children]', 'web', 'db', '[staging]', 'stg-web01', 'stg-db01'].join('\n'),
  'patterns.ini',
);

describe('selectHosts', () => {
  it.each([
    ['all', 'solo stg-web01 stg-db01 web01 web02 web03 db01 db02'],
    ['*', 'solo stg-web01 stg-db01 web01 web02 web03 db01 db02'],
    ['web', 'web01 web02 web03'],
    ['web01', 'web01'],
    ['web*', 'web01 web02 web03'],
    ['web0?', 'web01 web02 web03'],
    ['[dw]*01', 'web01 db01'],
    ['w[ab]*', ''],
    ['*01', 'web01 db01 stg-web01 stg-db01'],
    ['~web0[13]', 'web01 web03'],
    ['~db', 'db01 db02 web02'],
    ['web:db', 'web01 web02 web03 db01 db02'],
    ['web,db', 'web01 web02 web03 db01 db02'],
    ['prod:&db', 'web02 db01 db02'],
    ['prod:!db', 'web01 web03'],
    ['&db', 'web02 db01 db02'],
    ['!web', 'solo stg-web01 stg-db01 db01 db02'],
    ['web:&prod:!web03', 'web01 web02'],
    ['!web03:web:&prod', 'web01 web02'],
    ['stg-*:!*db*', 'stg-web01'],
    ['web[0]', 'web01'],
    ['web[-1]', 'web03'],
    ['web[0:1]', 'web01 web02'],
    ['web[1:]', 'web02 web03'],
    ['prod[1:0]', 'web02'],
    ['db,web[2]', 'db01 db02 web02 web03'],
    ['ungrouped', 'solo'],
    ['nosuch', ''],
    ['nosuch:web01', 'web01'],
  ])('%s selects [%s]', (pattern, hosts) => {
    expect(selectHosts(inv, pattern).join(' ')).toBe(hosts);
  });

  it('reads @file lines as more patterns', () => {
    const files: Record<string, string> = { '/limit.txt': 'web03\n\ndb01\n' };
    expect(selectHosts(inv, '@/limit.txt', { readFile: (p) => files[p] ?? '' })).toEqual(['web03', 'db01']);
    expect(selectHosts(inv, 'prod,@/limit.txt,!web01', { readFile: (p) => files[p] ?? '' })).toEqual(['web02', 'web03', 'db01', 'db02']);
  });

  it.each([
    ['', 'empty'],
    ['  ,  ', 'empty'],
    ['~web(', 'invalid host pattern'],
    ['web[7]', 'no hosts matched the subscripted pattern'],
    ['web:!', 'needs a pattern'],
    ['@/missing', 'cannot read host list file'],
  ])('rejects %j with CONVERGE_OPTIONS (%s)', (pattern, message) => {
    let err: unknown;
    try {
      selectHosts(inv, pattern, { readFile: () => { throw new Error('ENOENT'); } });
    } catch (e) {
      err = e;
    }
    expect(isConvergeError(err) && err.code).toBe('CONVERGE_OPTIONS');
    expect((err as Error).message).toContain(message);
  });
});

describe('splitHostPattern', () => {
  it.each([
    ['a,b[1], c[2:3] , d', ['a', 'b[1]', 'c[2:3]', 'd']],
    ['web:&db:!x', ['web', '&db', '!x']],
    ['web[1:3]', ['web[1:3]']],
    ['2001:db8::1', ['2001:db8::1']],
    ['host:22', ['host:22']],
    ['a,b:c', ['a', 'b:c']],
  ])('%s -> %j', (pattern, parts) => {
    expect(splitHostPattern(pattern)).toEqual(parts);
  });
});
