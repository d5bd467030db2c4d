import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LocalTransport, probe } from '@converge/core';
import { fileState, parseFileState } from '../../src/files.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('file.state fact', () => {
  it.each([
    ['a missing path', 'parent yes\ntype absent\n', { path: '/p', type: 'absent', parentExists: true }],
    ['a path in a missing directory', 'parent no\ntype absent\n', { path: '/p', type: 'absent', parentExists: false }],
    [
      'a regular file with content',
      `parent yes\nstat regular file|664|app|staff|1000|50|4|2049:77\nsha256 abc\ncontent ${b64('a\nb')}\n`,
      { path: '/p', type: 'file', parentExists: true, target: { type: 'file', mode: '0664', owner: 'app', group: 'staff', uid: 1000, gid: 50, size: 4, inode: '2049:77', sha256: 'abc', content: 'a\nb' } },
    ],
    [
      'a symlink to a directory',
      `parent yes\ntype link\nlink ${b64('../real dir')}\nself root|root\nreal ${b64('/real dir')}\nstat directory|2755|root|root|0|0|4096|1:2\n`,
      { path: '/p', type: 'link', parentExists: true, linkTarget: '../real dir', linkOwner: 'root', linkGroup: 'root', realPath: '/real dir', target: { type: 'directory', mode: '2755', owner: 'root', group: 'root', uid: 0, gid: 0, size: 4096, inode: '1:2' } },
    ],
    ['a dangling symlink', `parent yes\ntype link\nlink ${b64('nowhere')}\nself a|b\n`, { path: '/p', type: 'link', parentExists: true, linkTarget: 'nowhere', linkOwner: 'a', linkGroup: 'b' }],
    ['a big file', 'parent yes\nstat regular file|644|r|r|0|0|9|1:1\nsha256 x\ncontent toolarge\n', { path: '/p', type: 'file', parentExists: true, target: { type: 'file', mode: '0644', owner: 'r', group: 'r', uid: 0, gid: 0, size: 9, inode: '1:1', sha256: 'x', contentTooLarge: true } }],
  ])('parses %s', (_name, stdout, want) => {
    expect(parseFileState(stdout, '/p')).toEqual(want);
  });

  it('refuses output it cannot read', () => {
    expect(() => parseFileState('', '/p')).toThrow(/nothing usable/);
  });
});

describe('file.state probe on this controller (POSIX sh)', () => {
  // The probe finds the parent directory without dirname(1); it must agree with dirname.
  it.each(['/', '//', '/tmp', '/tmp/', '/tmp//x', '/tmp/x/', 'x', 'x/', '', '/no/such/dir/f', '/tmp///', 'rel/dir/f'])('knows whether the parent of %j exists, as dirname(1) does', async (path) => {
    const transport = new LocalTransport('local1');
    try {
      const got = [...(await probe(transport, [fileState({ path })])).values()][0];
      const expected = spawnSync('sh', ['-c', '[ -d "$(dirname -- "$1")" ]', 'sh', path]).status === 0;
      expect(got).toMatchObject({ ok: true, value: { parentExists: expected } });
    } finally {
      await transport.close();
    }
  });
});
