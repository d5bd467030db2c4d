import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLocal } from '@converge/engine/testing';
import { copy, file } from '../../src/index.js';

// Runs on this controller through the real LocalTransport (a framed /bin/sh).
async function run(root: string, check: boolean) {
  const { report } = await runLocal(
    {
      name: 'nested directories',
      hosts: 'all',
      tasks: [file({ path: join(root, 'a/b/c'), state: 'directory' }), copy({ dest: join(root, 'a/x.txt'), content: 'x\n' }), copy({ dest: join(root, 'a/b/y.txt'), content: 'y\n' })],
    },
    { dir: root, check },
  );
  return report.tasks.map((t) => `${t.status}: ${t.task}`);
}

describe('a directory task that creates missing parents', () => {
  it('lets later tasks write into those parents, in check mode and in the real run alike', async () => {
    const root = mkdtempSync(join(tmpdir(), 'converge-parents-'));
    const predicted = await run(root, true);
    const applied = await run(root, false);
    expect(predicted).toEqual(applied);
    expect(applied.every((line) => line.startsWith('changed: '))).toBe(true);
    expect(readFileSync(join(root, 'a/x.txt'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(root, 'a/b/y.txt'), 'utf8')).toBe('y\n');
    expect((await run(root, false)).every((line) => line.startsWith('ok: '))).toBe(true);
  });
});
