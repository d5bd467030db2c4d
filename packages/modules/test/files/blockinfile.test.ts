import { join } from 'node:path';
import { lstatSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { blockinfile } from '../../src/files.js';
import { convergeLocally, describeEditCases, fileFact, symlinkSync, tempDir, writeBytes } from './edit-harness.js';
import type { EditCase } from './edit-harness.js';

const B = '# BEGIN ANSIBLE MANAGED BLOCK\n';
const E = '# END ANSIBLE MANAGED BLOCK\n';

const cases: EditCase[] = [
  { name: 'C-10 writes a block into an existing empty file', params: { block: 'a=1\nb=2' }, before: '', after: `${B}a=1\nb=2\n${E}` },
  { name: 'C-10 the block already there: no change', params: { block: 'a=1\nb=2' }, before: `${B}a=1\nb=2\n${E}`, after: null },
  { name: 'appends after a last line without newline', params: { block: 'x' }, before: 'keep', after: `keep\n${B}x\n${E}` },
  { name: 'replaces the block in place, keeping the lines around it', params: { block: 'new\n' }, before: `top\n${B}old\n${E}bottom\n`, after: `top\n${B}new\n${E}bottom\n` },
  { name: 'a block written by Ansible with a custom marker is recognised', params: { block: 'x', marker: '// {mark} managed' }, before: 'a\n// BEGIN managed\nx\n// END managed\n', after: null },
  { name: 'insertafter puts a new block after the last matching line', params: { block: 'x', insertafter: '^\\[s\\]' }, before: '[s]\na\n[s]\nb\n', after: `[s]\na\n[s]\n${B}x\n${E}b\n` },
  { name: 'insertbefore BOF puts it first', params: { block: 'x', insertbefore: 'BOF' }, before: 'a\n', after: `${B}x\n${E}a\n` },
  { name: 'insertbefore a regexp', params: { block: 'x', insertbefore: '^b' }, before: 'a\nb\n', after: `a\n${B}x\n${E}b\n` },
  { name: 'a (?m) anchor is searched in the whole file', params: { block: 'x', insertafter: '(?m)^a\\nb$' }, before: 'a\nb\nc\n', after: `a\nb\n${B}x\n${E}c\n` },
  { name: 'state absent removes block and markers', params: { state: 'absent' }, before: `a\n${B}x\n${E}b\n`, after: 'a\nb\n' },
  { name: 'an empty block removes the block', params: { block: '' }, before: `a\n${B}x\n${E}`, after: 'a\n' },
  { name: 'create makes a missing file', params: { block: 'x', create: true }, before: null, after: `${B}x\n${E}` },
  { name: 'C-11 special characters byte for byte', params: { block: `say "hi" 'x' $HOME \\n ` }, before: '', after: `${B}say "hi" 'x' $HOME \\n \n${E}` },
  { name: 'absent on a missing file: no change', params: { state: 'absent' }, before: null, after: null },
  { name: 'an end marker glued to the last line of content is recognised, and the markers put on their own lines', params: { block: 'max_conn=40', marker: '# {mark} MANAGED BLOCK limits' }, before: 'a\n# BEGIN MANAGED BLOCK limits\nmax_conn=40# END MANAGED BLOCK limits\nb\n', after: 'a\n# BEGIN MANAGED BLOCK limits\nmax_conn=40\n# END MANAGED BLOCK limits\nb\n' },
  { name: 'the repaired block is left alone the next time', params: { block: 'max_conn=40', marker: '# {mark} MANAGED BLOCK limits' }, before: 'a\n# BEGIN MANAGED BLOCK limits\nmax_conn=40\n# END MANAGED BLOCK limits\nb\n', after: null },
  { name: 'a glued end marker on a last line without newline', params: { block: 'x=2' }, before: `a\n${B}x=1# END ANSIBLE MANAGED BLOCK`, after: `a\n${B}x=2\n${E}` },
  { name: 'a begin marker glued to the line before the block keeps that line', params: { block: 'x=2' }, before: `a# BEGIN ANSIBLE MANAGED BLOCK\nx=1\n${E}b\n`, after: `a\n${B}x=2\n${E}b\n` },
  { name: 'state absent removes a block with a glued end marker', params: { state: 'absent' }, before: `a\n${B}x=1# END ANSIBLE MANAGED BLOCK\nb\n`, after: 'a\nb\n' },
];

describe('blockinfile', () => {
  describeEditCases(blockinfile, cases);

  it('refuses a marker without {mark}', () => {
    expect(() => planModule(blockinfile, { params: { path: '/x', block: 'a', marker: '# managed' }, facts: { file: fileFact('') } })).toThrow(/mark/);
  });

  it('C-04 edits the target of a symlink and keeps the link', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeBytes(join(dir, 'real'), 'a\n');
      symlinkSync('real', join(dir, 'link'));
      const run = await convergeLocally(blockinfile, { path: join(dir, 'link'), block: 'x' }, (p) => ({ file: { path: p.path as string, content: true } }));
      expect(run.apply.exitCode).toBe(0);
      expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, 'real'), 'utf8')).toBe(`a\n${B}x\n${E}`);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('C-16 a secret block is masked in changes and diffs', () => {
    const r = planModule(blockinfile, { params: { path: '/x', block: secret('token=abcd1234') }, facts: { file: fileFact('a\n') } });
    const shown = JSON.stringify({ c: r.changes, d: r.diffs });
    expect(shown).not.toContain('abcd1234');
    expect(r.diffs[0]?.after).toBe(`a\n${SECRET_MASK}\n${SECRET_MASK}\n${SECRET_MASK}\n`);
  });
});
