// replace: Python re.sub over a whole file (MULTILINE), with after/before sections.
import { describe, expect, it } from 'vitest';
import { planModule } from '@converge/core/testing';
import { replace, replaceText } from '../../src/files.js';
import { fileFact } from './edit-harness.js';

describe('replace', () => {
  it.each([
    { name: 'every match, with a backreference', params: { regexp: '^(\\w+)=old$', replace: '\\1=new' }, before: 'a=old\nb=old\nc=keep\n', after: 'a=new\nb=new\nc=keep\n' },
    { name: 'C-04: a negated class does not run across lines', params: { regexp: 'foo=[^#]+', replace: 'foo=2' }, before: 'foo=1\nbar=x\n#c\n', after: 'foo=2\nbar=x\n#c\n' },
    { name: '(?s) lets it', params: { regexp: '(?s)foo=[^#]+', replace: 'foo=2\n' }, before: 'foo=1\nbar=x\n#c\n', after: 'foo=2\n#c\n' },
    { name: 'only after the anchor', params: { regexp: '^port=\\d+$', replace: 'port=2', after: '\\[b\\]' }, before: '[a]\nport=1\n[b]\nport=1\n', after: '[a]\nport=1\n[b]\nport=2\n' },
    { name: 'only between after and before', params: { regexp: 'x', replace: 'y', after: 'BEGIN', before: 'END' }, before: 'x BEGIN x x END x\n', after: 'x BEGIN y y END x\n' },
    { name: 'only before the anchor', params: { regexp: 'x', replace: 'y', before: 'END' }, before: 'x x END x\n', after: 'y y END x\n' },
    { name: '\\A and \\Z are the ends of the file', params: { regexp: '\\Afirst', replace: 'FIRST' }, before: 'first\nfirst\n', after: 'FIRST\nfirst\n' },
    { name: 'a section pattern that does not match changes nothing', params: { regexp: 'x', replace: 'y', after: 'nope' }, before: 'x\n', after: null },
    { name: 'no match: no change', params: { regexp: 'zzz', replace: 'y' }, before: 'x\n', after: null },
  ])('$name', ({ params, before, after }) => {
    const r = planModule(replace, { params: { path: '/etc/x', ...params }, facts: { file: fileFact(before, { path: '/etc/x' }) } });
    if (after === null) expect(r.changes).toEqual([]);
    else expect(r.diffs[0]?.after).toBe(after);
  });

  it('C-03: refuses a replacement that would change the file again on the next run', () => {
    expect(() => planModule(replace, { params: { path: '/etc/x', regexp: 'a', replace: 'aa' }, facts: { file: fileFact('a\n', { path: '/etc/x' }) } })).toThrow(/never converge/);
  });

  it('fails on a missing file and refuses a bad regexp before any host', () => {
    expect(() => planModule(replace, { params: { path: '/etc/x', regexp: 'a', replace: 'b' }, facts: { file: { path: '/etc/x', type: 'absent', parentExists: true } } })).toThrow(/does not exist/);
    expect(() => planModule(replace, { params: { path: '/etc/x', regexp: '(' }, facts: {} })).toThrow(/regexp/);
  });

  it('counts replacements in its change', () => {
    expect(replaceText('a a a\n', { path: '/x', regexp: 'a', replace: 'b' }).changes).toEqual([{ path: 'content', before: null, after: '3 replacements' }]);
  });
});
