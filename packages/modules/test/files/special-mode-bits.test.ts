import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definePlaybook, LocalTransport, type Task } from '@converge/core';
import { parseIniInventory } from '@converge/inventory';
import { runPlaybook } from '@converge/engine';
import { copy, file, synchronize } from '../../src/index.js';

// setuid, setgid and sticky bits in every form, on this controller through the real LocalTransport
// (a framed /bin/sh running GNU coreutils): check mode predicts the run, the run reaches the mode
// (verify would fail otherwise) and the second run changes nothing.
async function run(tasks: Task[], check: boolean) {
  const report = await runPlaybook({
    playbook: definePlaybook({ name: 'special bits', hosts: 'all', tasks }),
    playbookPath: join(tmpdir(), 'special-bits.ts'),
    inventory: parseIniInventory('local1 ansible_connection=local', 't.ini'),
    transport: (spec) => new LocalTransport(spec.host),
    check,
  });
  return report.tasks.map((t) => `${t.status}: ${t.task}${t.message && t.status === 'failed' ? ` (${t.message})` : ''}`);
}

async function convergeTwice(tasks: Task[]): Promise<void> {
  const predicted = await run(tasks, true);
  const applied = await run(tasks, false);
  expect(applied.every((l) => l.startsWith('changed: '))).toBe(true);
  expect(predicted).toEqual(applied);
  expect((await run(tasks, false)).every((l) => l.startsWith('ok: '))).toBe(true);
}

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');

describe.skipIf(process.getuid?.() !== 0)('special mode bits (run as root: chmod of setgid directories)', () => {
  it('a setgid directory given 0755 loses its setgid bit, as Ansible does', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'converge-bits-')), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o2775);
    expect(mode(dir)).toBe('2775');
    await convergeTwice([file({ path: dir, state: 'directory', mode: '0755' })]);
    expect(mode(dir)).toBe('0755');
  });

  it.each([['2775'], ['02775'], ['0o2775'], [0o2775], ['u=rwx,g=rwxs,o=rx']])('a directory given %s gets 2775', async (m) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'converge-bits-')), 'shared');
    mkdirSync(dir, 0o755);
    await convergeTwice([file({ path: dir, state: 'directory', mode: m })]);
    expect(mode(dir)).toBe('2775');
  });

  it.each([[0o4755, '4755'], [0o1777, '1777'], ['1777', '1777'], ['u+s', '4644']])('a file given %s gets %s', async (m, want) => {
    const path = join(mkdtempSync(join(tmpdir(), 'converge-bits-')), 'f');
    writeFileSync(path, 'x\n', { mode: 0o644 });
    await convergeTwice([copy({ dest: path, content: 'y\n', mode: m })]);
    expect(mode(path)).toBe(want);
  });

  it('synchronize into a setgid directory: the new subdirectories get the tree\'s modes, not the inherited setgid bit', async () => {
    const base = mkdtempSync(join(tmpdir(), 'converge-bits-'));
    mkdirSync(join(base, 'site', 'sub'), { recursive: true });
    chmodSync(join(base, 'site', 'sub'), 0o755);
    writeFileSync(join(base, 'site', 'sub', 'index.html'), 'x\n', { mode: 0o644 });
    mkdirSync(join(base, 'shared'));
    chmodSync(join(base, 'shared'), 0o2775);
    await convergeTwice([synchronize({ src: join(base, 'site'), dest: join(base, 'shared', 'www') })]);
    expect(mode(join(base, 'shared', 'www', 'sub'))).toBe('0755');
  });
});
