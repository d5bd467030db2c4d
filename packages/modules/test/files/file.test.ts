import { join } from 'node:path';
import { existsSync, lstatSync, readlinkSync, statSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planModule } from '@converge/core/testing';
import { file } from '../../src/files.js';
import { convergeLocally, fileFact, tempDir, writeBytes } from './edit-harness.js';

const facts = (p: Record<string, unknown>) => ({ path: { path: p.path as string, ...(p.recurse ? { recurse: { mode: p.mode as string } } : {}) } });

describe('file', () => {
  it.each([
    ['touch', { state: 'touch' }, [{ path: 'state', before: 'absent', after: 'file' }]],
    ['touch with a mode', { state: 'touch', mode: '0600' }, [{ path: 'state', before: 'absent', after: 'file' }, { path: 'mode', before: null, after: '0600' }]],
    ['directory', { state: 'directory' }, [{ path: 'state', before: 'absent', after: 'directory' }]],
    ['link', { state: 'link', src: '/etc/hosts' }, [{ path: 'state', before: 'absent', after: 'link -> /etc/hosts' }]],
  ])('C-15 check mode predicts the creation (%s)', (_n, params, changes) => {
    const r = planModule(file, { params: { path: '/srv/x', ...params }, facts: { path: fileFact(null, { path: '/srv/x' }) }, host: { check: true } });
    expect(r.changes).toEqual(changes);
  });

  it('state file on a missing path fails with a hint', () => {
    expect(() => planModule(file, { params: { path: '/x', state: 'file', mode: '0644' }, facts: { path: fileFact(null) } })).toThrow(/does not exist/);
  });

  it('refuses to turn a file into a link without force', () => {
    expect(() => planModule(file, { params: { path: '/etc/test.conf', state: 'link', src: '/a' }, facts: { path: fileFact('x') } })).toThrow(/refusing to replace/);
  });

  it.each([
    ['touch', { state: 'touch', mode: 'u=rw,g=r,o=' }, (p: string) => expect(statSync(p).mode & 0o7777).toBe(0o640)],
    ['directory with parents', { state: 'directory', mode: '0750' }, (p: string) => expect(statSync(p).isDirectory() && (statSync(p).mode & 0o7777) === 0o750).toBe(true)],
    ['link', { state: 'link', src: '../target' }, (p: string) => expect(readlinkSync(p)).toBe('../target')],
  ])('converges %s for real, and a second run changes nothing', async (_n, params, check) => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'a', 'b');
      if (params.state !== 'directory') mkdirSync(join(dir, 'a'));
      const run = await convergeLocally(file, { path, ...params }, facts);
      expect(run.apply).toEqual({ exitCode: 0, stderr: '' });
      check(path);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('absent removes a directory tree, then has nothing to do', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'd', 'e'), { recursive: true });
      const run = await convergeLocally(file, { path: join(dir, 'd'), state: 'absent' }, facts);
      expect(existsSync(join(dir, 'd'))).toBe(false);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('recurse applies an octal mode below a directory, then has nothing to do', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'd', 'e'), { recursive: true });
      writeBytes(join(dir, 'd', 'e', 'f'), 'x', 0o600);
      const run = await convergeLocally(file, { path: join(dir, 'd'), state: 'directory', recurse: true, mode: '0755' }, facts);
      expect(run.first.changes.map((c) => c.path)).toContain('recurse');
      expect(statSync(join(dir, 'd', 'e', 'f')).mode & 0o7777).toBe(0o755);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('C-13/C-14 a mode change on an existing file, in every spelling, once', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'f');
      writeBytes(path, 'x', 0o664);
      for (const mode of ['0644', '644', 0o644, 420, 'u=rw,g=r,o=r']) {
        const run = await convergeLocally(file, { path, mode }, facts);
        expect(statSync(path).mode & 0o7777).toBe(0o644);
        expect(run.second.changes).toEqual([]);
      }
      expect(lstatSync(path).isFile()).toBe(true);
    } finally {
      cleanup();
    }
  });
});
