import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { iniFile } from '../../src/files.js';
import { describeEditCases, fileFact } from './edit-harness.js';
import type { EditCase } from './edit-harness.js';

const NOVA = '[DEFAULT]\npassword = default-pw\ndebug = true\n\n[messaging]\nhost = mq1\n\n[other]\nx = 1\n';
const SERVERS = '[ntp]\nserver = a\nserver=b\n  pool  =  p  \n';

const cases: EditCase[] = [
  // C-05
  {
    name: 'C-05 writes the key under [messaging] and leaves [DEFAULT] alone',
    params: { section: 'messaging', option: 'password', value: 'mq-pw' },
    before: NOVA,
    after: '[DEFAULT]\npassword = default-pw\ndebug = true\n\n[messaging]\nhost = mq1\npassword = mq-pw\n\n[other]\nx = 1\n',
  },
  {
    name: 'C-05 changes the key under [messaging] only',
    params: { section: 'messaging', option: 'password', value: 'new' },
    before: '[DEFAULT]\npassword = default-pw\n[messaging]\npassword = old\n',
    after: '[DEFAULT]\npassword = default-pw\n[messaging]\npassword = new\n',
  },
  { name: 'C-05 adds a missing section at the end', params: { section: 'messaging', option: 'password', value: 'p' }, before: '[DEFAULT]\npassword = d\n', after: '[DEFAULT]\npassword = d\n[messaging]\npassword = p\n' },
  // C-06
  { name: 'C-06 another option: repeated keys and their spacing are kept', params: { section: 'ntp', option: 'minpoll', value: '4' }, before: SERVERS, after: '[ntp]\nserver = a\nserver=b\n  pool  =  p  \nminpoll = 4\n' },
  { name: 'C-06 values naming both repeated keys: kept (the one with other spacing is rewritten)', params: { section: 'ntp', option: 'server', values: ['a', 'b'] }, before: SERVERS, after: '[ntp]\nserver = a\nserver = b\n  pool  =  p  \n' },
  { name: 'C-06 values with ignore_spaces: no change at all', params: { section: 'ntp', option: 'server', values: ['a', 'b'], ignore_spaces: true }, before: SERVERS, after: null },
  { name: 'C-06 a third value with exclusive false is added, the others kept', params: { section: 'ntp', option: 'server', value: 'c', exclusive: false }, before: SERVERS, after: '[ntp]\nserver = a\nserver=b\n  pool  =  p  \nserver = c\n' },
  { name: 'C-06 value with exclusive (asking for exactly one): one line left', params: { section: 'ntp', option: 'server', value: 'a' }, before: SERVERS, after: '[ntp]\nserver = a\n  pool  =  p  \n' },
  { name: 'C-06 values replace in place and remove the rest', params: { section: 'ntp', option: 'server', values: ['x'] }, before: SERVERS, after: '[ntp]\nserver = x\n  pool  =  p  \n' },
  // basics
  { name: 'no section: the lines before the first header', params: { option: 'top', value: '1' }, before: 'a = 0\n[s]\nb = 2\n', after: 'a = 0\ntop = 1\n[s]\nb = 2\n' },
  { name: 'no_extra_spaces writes key=value', params: { section: 's', option: 'k', value: 'v', no_extra_spaces: true }, before: '[s]\n', after: '[s]\nk=v\n' },
  { name: 'a missing final newline is added even when the value is right', params: { section: 's', option: 'k', value: 'v' }, before: '[s]\nk = v', after: '[s]\nk = v\n' },
  { name: 'creates a missing file (no leading blank line)', params: { section: 's', option: 'k', value: 'v' }, before: null, after: '[s]\nk = v\n' },
  { name: 'an empty file', params: { option: 'k', value: 'v' }, before: '', after: 'k = v\n' },
  { name: 'a commented-out option is uncommented in place', params: { section: 's', option: 'k', value: 'v' }, before: '[s]\n# k = old\nz = 1\n', after: '[s]\nk = v\nz = 1\n' },
  { name: 'a new option goes after the last non-blank line of the section', params: { section: 's', option: 'k', value: 'v' }, before: '[s]\na = 1\n\n# note\n[t]\n', after: '[s]\na = 1\nk = v\n\n# note\n[t]\n' },
  { name: 'allow_no_value writes a bare key', params: { section: 's', option: 'skip-name-resolve', allow_no_value: true }, before: '[s]\n', after: '[s]\nskip-name-resolve\n' },
  { name: 'absent removes every line of the option in the section', params: { section: 's', option: 'k', state: 'absent' }, before: '[s]\nk = 1\nk=2\n[t]\nk = 3\n', after: '[s]\n[t]\nk = 3\n' },
  { name: 'absent with values and exclusive false removes only those', params: { section: 's', option: 'k', values: ['1'], exclusive: false, state: 'absent' }, before: '[s]\nk = 1\nk = 2\n', after: '[s]\nk = 2\n' },
  { name: 'absent without option removes the section', params: { section: 's', state: 'absent' }, before: '[r]\na = 1\n[s]\nk = 1\n[t]\n', after: '[r]\na = 1\n[t]\n' },
  { name: 'a CRLF file stays CRLF', params: { section: 's', option: 'k', value: 'v' }, before: '[s]\r\na = 1\r\n', after: '[s]\r\na = 1\r\nk = v\r\n' },
  { name: 'C-11 a value with quotes, $ and backslashes', params: { section: 's', option: 'k', value: `"a" 'b' $c \\d` }, before: '[s]\n', after: `[s]\nk = "a" 'b' $c \\d\n` },
];

describe('ini_file', () => {
  describeEditCases(iniFile, cases);

  it('refuses state present without a value', () => {
    expect(() => planModule(iniFile, { params: { path: '/x', section: 's', option: 'k' }, facts: { file: fileFact('') } })).toThrow(/value/);
  });

  it('C-16 a secret value is masked in changes and diffs', () => {
    const r = planModule(iniFile, { params: { path: '/x', section: 'messaging', option: 'password', value: secret('hunter22') }, facts: { file: fileFact('[messaging]\npassword = older-pw\n') } });
    const shown = JSON.stringify({ c: r.changes, d: r.diffs });
    expect(shown).not.toContain('hunter22');
    expect(shown).not.toContain('older-pw');
    expect(r.changes).toEqual([{ path: 'option.password', before: SECRET_MASK, after: SECRET_MASK }]);
    expect(r.diffs[0]?.after).toBe(`[messaging]\n${SECRET_MASK}\n`);
  });
});
