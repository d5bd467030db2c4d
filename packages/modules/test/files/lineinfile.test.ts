import { join } from 'node:path';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { lineinfile } from '../../src/files.js';
import { convergeLocally, describeEditCases, fileFact, readBytes, symlinkSync, tempDir, writeBytes } from './edit-harness.js';
import type { EditCase } from './edit-harness.js';

const MY_CNF = '[client]\nport=3306\n[mysqld]\nmax_allowed_packet=128M\ndatadir=/var/lib/mysql\n';
const MY_CNF_NO_KEY = '[client]\nport=3306\n[mysqld]\ndatadir=/var/lib/mysql\n';
const KEY = { regexp: '^max_allowed_packet=', line: 'max_allowed_packet=256M' };

const cases: EditCase[] = [
  // C-01: a new line at the end of a file
  { name: 'C-01 adds a line after a last line without final newline', params: { line: 'b=2' }, before: 'a=1', after: 'a=1\nb=2\n' },
  { name: 'C-01 adds a line to an empty file', params: { line: 'b=2' }, before: '', after: 'b=2\n' },
  { name: 'C-01 adds a line to a file ending in \\n', params: { line: 'b=2' }, before: 'a=1\n', after: 'a=1\nb=2\n' },
  { name: 'C-01 adds a line to a file ending in \\r\\n (keeping CRLF)', params: { line: 'b=2' }, before: 'a=1\r\n', after: 'a=1\r\nb=2\r\n' },
  { name: 'C-01 adds a line after an anchor that is the last line without newline', params: { line: 'b=2', insertafter: '^a=' }, before: 'a=1', after: 'a=1\nb=2\n' },
  { name: 'C-01 creates a missing file with create', params: { line: 'b=2', create: true }, before: null, after: 'b=2\n' },
  // C-02: the matrix
  { name: 'C-02 regexp matches, anchor before the match: replaced in place', params: { ...KEY, insertafter: '^\\[mysqld\\]' }, before: MY_CNF, after: MY_CNF.replace('128M', '256M') },
  { name: 'C-02 regexp matches, anchor after the match: replaced in place', params: { ...KEY, insertafter: '^datadir' }, before: MY_CNF, after: MY_CNF.replace('128M', '256M') },
  { name: 'C-02 regexp matches, anchor absent: replaced in place', params: { ...KEY, insertafter: '^\\[nothere\\]' }, before: MY_CNF, after: MY_CNF.replace('128M', '256M') },
  { name: 'C-02 regexp matches, insertbefore anchor: replaced in place', params: { ...KEY, insertbefore: '^\\[mysqld\\]' }, before: MY_CNF, after: MY_CNF.replace('128M', '256M') },
  { name: 'C-02 regexp matches the wanted line already: no change', params: { ...KEY, insertafter: '^\\[mysqld\\]' }, before: MY_CNF.replace('128M', '256M'), after: null },
  { name: 'C-02 no match, insertafter anchor: after the anchor', params: { ...KEY, insertafter: '^\\[mysqld\\]' }, before: MY_CNF_NO_KEY, after: '[client]\nport=3306\n[mysqld]\nmax_allowed_packet=256M\ndatadir=/var/lib/mysql\n' },
  { name: 'C-02 no match, insertbefore anchor: before the anchor', params: { ...KEY, insertbefore: '^datadir' }, before: MY_CNF_NO_KEY, after: '[client]\nport=3306\n[mysqld]\nmax_allowed_packet=256M\ndatadir=/var/lib/mysql\n' },
  { name: 'C-02 no match, insertafter anchor absent: at the end', params: { ...KEY, insertafter: '^\\[nothere\\]' }, before: MY_CNF_NO_KEY, after: `${MY_CNF_NO_KEY}max_allowed_packet=256M\n` },
  { name: 'C-02 no match, insertbefore anchor absent: at the end', params: { ...KEY, insertbefore: '^\\[nothere\\]' }, before: MY_CNF_NO_KEY, after: `${MY_CNF_NO_KEY}max_allowed_packet=256M\n` },
  { name: 'C-02 no match, insertbefore BOF: first line', params: { ...KEY, insertbefore: 'BOF' }, before: MY_CNF_NO_KEY, after: `max_allowed_packet=256M\n${MY_CNF_NO_KEY}` },
  { name: 'C-02 no match, insertafter EOF: last line', params: { ...KEY, insertafter: 'EOF' }, before: MY_CNF_NO_KEY, after: `${MY_CNF_NO_KEY}max_allowed_packet=256M\n` },
  { name: 'C-02 no match, anchor matching twice: after the last one', params: { line: 'x=1', insertafter: '^\\[' }, before: '[a]\n[b]\nk=v\n', after: '[a]\n[b]\nx=1\nk=v\n' },
  { name: 'C-02 no match, anchor matching twice with firstmatch: after the first', params: { line: 'x=1', insertafter: '^\\[', firstmatch: true }, before: '[a]\n[b]\nk=v\n', after: '[a]\nx=1\n[b]\nk=v\n' },
  { name: 'C-02 regexp matching twice: the last line is replaced', params: { regexp: '^k=', line: 'k=new' }, before: 'k=1\nx\nk=new\n', after: null },
  // C-03
  { name: 'C-03 regexp that does not match the line it writes: replaces once', params: { regexp: 'old-value', line: 'NEW-VALUE' }, before: 'a\nkey old-value\nb\n', after: 'a\nNEW-VALUE\nb\n' },
  { name: 'C-03 regexp that does not match the line it writes: line present, no change', params: { regexp: 'old-value', line: 'NEW-VALUE' }, before: 'a\nNEW-VALUE\nb\n', after: null },
  // C-04
  { name: 'C-04 a negated class does not run across lines', params: { regexp: '^foo=[^#]+$', line: 'foo=2' }, before: 'foo=1\n#bar\n', after: 'foo=2\n#bar\n' },
  // C-11
  { name: 'C-11 quotes, $, backslashes and a trailing space, byte for byte', params: { line: `say "hi" 'there' $HOME \\back\\slash ` }, before: 'a\n', after: `a\nsay "hi" 'there' $HOME \\back\\slash \n` },
  { name: 'C-11 the same with a regexp', params: { regexp: '^say ', line: `say "hi" 'there' $(id) \\n ` }, before: 'say old\n', after: `say "hi" 'there' $(id) \\n \n` },
  // C-12
  { name: 'C-12 a present line in the middle: no change (present)', params: { line: 'b=2' }, before: 'a=1\nb=2\nc=3\n', after: null },
  { name: 'C-12 a present line in the middle: no change (insertafter EOF)', params: { line: 'b=2', insertafter: 'EOF' }, before: 'a=1\nb=2\nc=3\n', after: null },
  { name: 'C-12 a present line in the middle: no change (after an anchor elsewhere)', params: { line: 'b=2', insertafter: '^c=' }, before: 'a=1\nb=2\nc=3\n', after: null },
  { name: 'C-12 a present line in the middle: no change (before an anchor, firstmatch)', params: { line: 'b=2', insertbefore: '^a=', firstmatch: true }, before: 'a=1\nb=2\nc=3\n', after: null },
  { name: 'C-12 a present line in the middle: no change (insertbefore BOF)', params: { line: 'b=2', insertbefore: 'BOF' }, before: 'a=1\nb=2\nc=3\n', after: null },
  // backrefs, absent
  { name: 'backrefs expands groups from the match', params: { regexp: '^(\\w+)=(\\d+)$', line: '\\1=8080', backrefs: true }, before: 'port=80\n', after: 'port=8080\n' },
  { name: 'backrefs with a named group', params: { regexp: '^(?P<key>\\w+)\\s*=\\s*\\d+$', line: '\\g<key> = 1', backrefs: true }, before: 'x =  2\n', after: 'x = 1\n' },
  { name: 'backrefs with no match leaves the file alone', params: { regexp: '^nothere=(.*)$', line: 'x=\\1', backrefs: true }, before: 'port=80\n', after: null },
  { name: 'absent removes every line matching the regexp', params: { regexp: '^#', state: 'absent' }, before: '#a\nb\n#c\n', after: 'b\n' },
  { name: 'absent removes the exact line', params: { line: 'b', state: 'absent' }, before: 'a\nb\nbb\n', after: 'a\nbb\n' },
  { name: 'absent with search_string', params: { search_string: '$x', state: 'absent' }, before: 'a$x\nb\n', after: 'b\n' },
  { name: 'absent on a missing file: no change', params: { line: 'b', state: 'absent' }, before: null, after: null },
];

describe('lineinfile', () => {
  describeEditCases(lineinfile, cases);

  it('C-01 refuses an empty regexp as invalid params', () => {
    expect(() => planModule(lineinfile, { params: { path: '/x', regexp: '', line: 'a' }, facts: { file: fileFact('') } })).toThrow(/regexp/);
  });

  it('C-03 refuses a line containing a newline', () => {
    expect(() => planModule(lineinfile, { params: { path: '/x', line: 'a\nb' }, facts: { file: fileFact('') } })).toThrow(/newline/);
  });

  it('C-03 refuses a task that would change the file on every run, saying why', () => {
    expect(() => planModule(lineinfile, { params: { path: '/x', regexp: '^a', line: 'b' }, facts: { file: fileFact('a1\na2\n') } })).toThrow(/never converge/);
  });

  it('C-03 refuses backrefs that rewrite their own result on every run', () => {
    expect(() => planModule(lineinfile, { params: { path: '/x', regexp: '^(\\w+)=(\\d+)$', line: '\\1=\\g<2>0', backrefs: true }, facts: { file: fileFact('port=80\n') } })).toThrow(/never converge/);
  });

  it('fails on a missing file without create, with a hint', () => {
    expect(() => planModule(lineinfile, { params: { path: '/x', line: 'a' }, facts: { file: fileFact(null) } })).toThrow(/does not exist/);
  });

  it('C-04 edits the target of a symlink and keeps the link', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const target = join(dir, 'real.conf');
      const link = join(dir, 'link.conf');
      writeBytes(target, 'a=1\n', 0o640);
      symlinkSync('real.conf', link);
      const run = await convergeLocally(lineinfile, { path: link, regexp: '^a=', line: 'a=2' }, (p) => ({ file: { path: p.path as string, content: true } }));
      expect(run.apply.exitCode).toBe(0);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe('real.conf');
      expect(readBytes(target)).toBe('a=2\n');
      expect(statSync(target).mode & 0o7777).toBe(0o640);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('C-13 keeps the mode of the edited file and applies a mode when asked (C-14 forms)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'f');
      writeBytes(path, 'a\n', 0o664);
      let run = await convergeLocally(lineinfile, { path, line: 'b' }, (p) => ({ file: { path: p.path as string, content: true } }));
      expect(statSync(path).mode & 0o7777).toBe(0o664);
      for (const mode of ['0644', '644', 0o644, 420, 'u=rw,g=r,o=r']) {
        run = await convergeLocally(lineinfile, { path, line: 'b', mode }, (p) => ({ file: { path: p.path as string, content: true } }));
        expect(statSync(path).mode & 0o7777).toBe(0o644);
        expect(run.second.changes).toEqual([]);
      }
    } finally {
      cleanup();
    }
  });

  it('C-16 a secret line never shows in changes or diffs', () => {
    const pw = secret('s3cr3t-Pa55');
    const r = planModule(lineinfile, { params: { path: '/etc/app.conf', regexp: '^password=', line: secret(`password=${pw.reveal()}`) }, facts: { file: fileFact('user=a\npassword=old-Pa55\n') } });
    const shown = JSON.stringify({ changes: r.changes, diffs: r.diffs });
    expect(shown).not.toContain('s3cr3t-Pa55');
    expect(shown).not.toContain('old-Pa55');
    expect(r.diffs[0]?.before).toBe(`user=a\n${SECRET_MASK}\n`);
    expect(r.diffs[0]?.after).toBe(`user=a\n${SECRET_MASK}\n`);
    expect(r.changes).toEqual([{ path: 'line', before: SECRET_MASK, after: SECRET_MASK }]);
    expect(String(r.commands[0]?.script)).not.toContain('s3cr3t');
  });

  it('C-15 check mode plans the creation of a missing file with create', () => {
    const r = planModule(lineinfile, { params: { path: '/etc/new.conf', line: 'a', create: true, mode: '0600' }, facts: { file: fileFact(null) }, host: { check: true } });
    expect(r.changes).toEqual([
      { path: 'state', before: 'absent', after: 'file' },
      { path: 'line', before: null, after: 'a' },
      { path: 'mode', before: null, after: '0600' },
    ]);
  });
});
