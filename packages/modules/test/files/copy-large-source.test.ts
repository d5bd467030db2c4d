import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLocal } from '@converge/engine/testing';
import { copy } from '../../src/index.js';

// copy of a controller file larger than 8 MiB: its sha256 is computed while it is read in parts,
// it streams to the host part by part, and read errors say what happened. Runs on this controller
// through the real engine and LocalTransport (a framed /bin/sh).
const root = mkdtempSync(join(tmpdir(), 'converge-large-src-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const uploadsLeft = () => readdirSync(process.env.TMPDIR ?? '/tmp').filter((n) => n.startsWith('converge-upload.'));

describe('copy of a large src', () => {
  it('streams a 20 MiB file in parts, writes it byte for byte, and a second run changes nothing', async () => {
    const src = join(root, 'big.bin');
    const bytes = randomBytes(20 * 1024 * 1024 + 123);
    writeFileSync(src, bytes);
    const dest = join(root, 'out', 'big.bin');
    mkdirSync(join(root, 'out'));
    const before = uploadsLeft();
    const task = copy({ dest, src, mode: '0600' });
    const check = await runLocal({ name: 'p', hosts: 'all', tasks: [task] }, { dir: root, check: true, diff: true });
    expect(check.report.tasks.map((t) => t.status)).toEqual(['changed']);
    expect(check.report.tasks[0]?.diff).toContain(`(20971643 bytes of ${src}, not shown)`);
    const first = await runLocal({ name: 'p', hosts: 'all', tasks: [task] }, { dir: root });
    expect(first.report.tasks.map((t) => `${t.status} ${t.message ?? ''}`)).toEqual(['changed ']);
    expect(createHash('sha256').update(readFileSync(dest)).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    // three parts of at most 8 MiB, each in a round trip of its own; nothing left on the host
    expect(first.scripts.filter((s) => /^cat >> \S*converge-upload\./.test(s.script)).length).toBe(3);
    expect(uploadsLeft()).toEqual(before);
    const second = await runLocal({ name: 'p', hosts: 'all', tasks: [task] }, { dir: root });
    expect(second.report.tasks.map((t) => t.status)).toEqual(['ok']);
  });

  it('plans a 600 MB file without reading it into memory (no string of it is made)', async () => {
    const src = join(root, 'sparse.img');
    writeFileSync(src, '');
    truncateSync(src, 600 * 1024 * 1024);
    const r = await runLocal({ name: 'p', hosts: 'all', tasks: [copy({ dest: join(root, 'sparse-out.img'), src })] }, { dir: root, check: true });
    expect(r.report.tasks[0]?.status, r.report.tasks[0]?.message).toBe('changed');
    // `head -c 629145600 /dev/zero | sha256sum`
    expect(r.report.tasks[0]?.changes).toContainEqual({ path: 'content', before: null, after: 'sha256:987523e7780392e283b404990c4e84e580bc75c451138b0c86c4f81c296eeebe' });
  });

  it.each<[string, () => string, RegExp]>([
    ['a directory', () => (mkdirSync(join(root, 'a-dir'), { recursive: true }), join(root, 'a-dir')), /cannot read src ".*a-dir" \(.*\): it is a directory \(synchronize copies a directory\) \(EISDIR\)/],
    ['a missing file', () => join(root, 'nope.bin'), /src ".*nope.bin" not found; looked in/],
  ])('says what happened when src is %s', async (_what, src, message) => {
    await expect(runLocal({ name: 'p', hosts: 'all', tasks: [copy({ dest: join(root, 'x'), src: src() })] }, { dir: root, check: true })).rejects.toThrow(message);
  });
});
