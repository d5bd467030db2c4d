import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factCommand, LocalTransport } from '@converge/core';
import { probe } from '@converge/engine';
import { fileState, parseFileState } from '../../src/files.js';
import type { FileStateArgs } from '../../src/files.js';
import { commandPathExists } from '../../src/command/path-exists.js';

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

describe('file.state probed in one script for many paths', () => {
  it('gives each path the value its probe alone gives, with one stat and one sha256sum for them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-fstate-'));
    const log = join(dir, 'exec.log');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // Wrappers that record each start of stat, sha256sum and base64, then run the real program.
    for (const prog of ['stat', 'sha256sum', 'base64']) {
      const real = spawnSync('sh', ['-c', `command -v ${prog}`]).stdout.toString().trim();
      writeFileSync(join(bin, prog), `#!/bin/sh\necho ${prog} >> '${log}'\nexec ${real} "$@"\n`);
      chmodSync(join(bin, prog), 0o755);
    }
    const f = (name: string, content: string, mode = 0o644): string => {
      const p = join(dir, name);
      writeFileSync(p, content);
      chmodSync(p, mode);
      return p;
    };
    const a = f('a.conf', 'alpha\n');
    const b = f('b with space', '');
    const nl = f('new\nline', 'x');
    const bs = f('back\\slash', 'y');
    const dash = f('-', 'dash');
    const priv = f('private', 'secret', 0o000);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(a, join(dir, 'link'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    const paths = [a, b, nl, bs, dash, priv, join(dir, 'sub'), join(dir, 'sub/'), join(dir, 'link'), join(dir, 'dangling'), join(dir, 'missing'), join(dir, 'no/such/f')];
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const requests = [
      ...paths.map((path) => fileState({ path })),
      fileState({ path: a, content: true }),
      fileState({ path: a, contentUnlessSha256: sha('alpha\n') }),
      fileState({ path: bs, contentUnlessSha256: sha('other') }),
      fileState({ path: join(dir, 'sub'), recurse: { mode: '0755' } }),
    ];
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const transport = new LocalTransport('local-batch');
    try {
      const alone = [];
      for (const r of requests) {
        const out = await transport.exec(factCommand(fileState, r.args as FileStateArgs));
        alone.push(parseFileState(out.stdout, (r.args as FileStateArgs).path));
      }
      writeFileSync(log, '');
      // One script, as a host run sends it; relative paths resolve against the shell's cwd.
      const batched = await probe(transport, requests, { cwd: dir });
      const batchedRel = await probe(transport, [fileState({ path: 'a.conf' }), fileState({ path: '-' }), fileState({ path: 'sub' })], { cwd: dir });
      expect(requests.map((r) => batched.get(r.key))).toEqual(alone.map((value) => ({ ok: true, value })));
      expect([...batchedRel.values()].map((r) => (r.ok ? (r.value as { target?: { sha256?: string } }).target?.sha256 : r.error))).toEqual([sha('alpha\n'), sha('dash'), undefined]);
      const counts = readFileSync(log, 'utf8').trim().split('\n').reduce<Record<string, number>>((m, p) => ({ ...m, [p]: (m[p] ?? 0) + 1 }), {});
      // Per script one stat and one sha256sum for every path that is not a symlink. Symlinks are
      // probed alone: stat of each link's owner (2) and of the existing link's target (1), the
      // target's sha256sum (1); base64 of the links' text (2) and real paths (2), and of the
      // content of a.conf and back\slash (2).
      expect(counts).toEqual({ stat: 1 + 3 + 1, sha256sum: 1 + 1 + 1, base64: 6 });
    } finally {
      process.env.PATH = path;
      await transport.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file.state and command.path_exists after new directories (afterNewDirectories)', () => {
  // Each prediction is checked against a real probe after the mkdir: a fact may decline to
  // predict (undefined: the engine probes again), but what it predicts must be what is there.
  it('predict exactly what a probe after `mkdir` finds, for entries of the new directory and paths below it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'converge-newdirs-'));
    const made = join(root, 'app');
    const cases: { path: string; expect: 'predicted' | 'declined'; recurse?: boolean }[] = [
      { path: join(made, 'motd'), expect: 'predicted' },
      { path: join(made, 'sub', 'deep'), expect: 'predicted' },
      { path: made, expect: 'declined' },
      { path: root, expect: 'declined' },
      { path: join(root, 'sibling'), expect: 'declined' },
      { path: `${made}/x/../motd`, expect: 'declined' },
      { path: `${made}//motd`, expect: 'declined' },
      { path: `${made}/motd/`, expect: 'declined' },
      { path: join(made, 'motd'), expect: 'declined', recurse: true },
    ];
    const requests = cases.flatMap((c) => [
      fileState({ path: c.path, ...(c.recurse ? { recurse: { mode: '0755' } } : {}) }),
      commandPathExists({ path: c.path }),
    ]);
    const transport = new LocalTransport('local1');
    try {
      const before = await probe(transport, requests);
      mkdirSync(made);
      const after = await probe(transport, requests);
      for (const r of requests) {
        const was = before.get(r.key);
        const now = after.get(r.key);
        if (!was?.ok || !now?.ok) throw new Error(`probe of ${r.key} failed`);
        const predict = r.hints?.afterNewDirectories;
        if (!predict) throw new Error(`${r.fact.name} has no afterNewDirectories hint`);
        const predicted = predict(was.value, r.args, [made]);
        const c = cases.find((k) => k.path === (r.args as { path: string }).path && (k.recurse ?? false) === ('recurse' in (r.args as object)))!;
        if (c.expect === 'declined') expect(predicted, r.key).toBeUndefined();
        else expect(predicted, r.key).toEqual(now.value);
      }
    } finally {
      await transport.close();
    }
  });

  it('declines for a path that existed before and for a glob', () => {
    const file = { path: '/srv/app/x', type: 'file', parentExists: true } as const;
    expect(fileState.hints.afterNewDirectories!(file, { path: '/srv/app/x' }, ['/srv/app'])).toBeUndefined();
    expect(commandPathExists.hints.afterNewDirectories!({ exists: false }, { path: '/srv/app/*.done' }, ['/srv/app'])).toBeUndefined();
    expect(commandPathExists.hints.afterNewDirectories!({ exists: false }, { path: 'rel/x', chdir: '/srv/app' }, ['/srv/app'])).toBeUndefined();
  });
});
