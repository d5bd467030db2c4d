import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { factCommand, LocalTransport } from '@converge/core';
import { fileState } from '@converge/modules';
import { makeRootDir, planRootDir } from '../src/root-files.js';

// The managed directory step, run by /bin/sh on this machine (GNU coreutils, as on the hosts).
const root = mkdtempSync(join(tmpdir(), 'converge-restic-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');

describe.skipIf(process.getuid?.() !== 0)('makeRootDir (run as root: install -o root)', () => {
  test.each([
    ['a new directory inside a setgid directory (which it would inherit)', (d: string) => d],
    ['an existing directory with the setgid bit', (d: string) => (mkdirSync(join(d, 'repo')), chmodSync(join(d, 'repo'), 0o2755), d)],
  ])('%s gets exactly its mode, and the next plan is empty', async (_, setup) => {
    const parent = mkdtempSync(join(root, 'p-'));
    chmodSync(parent, 0o2775);
    const path = join(setup(parent), 'repo');
    execFileSync('sh', ['-c', String(makeRootDir({ path, mode: '0700' }).script)]);
    expect(mode(path)).toBe('0700');
    const probe = await new LocalTransport().exec(factCommand(fileState, { path }));
    const state = fileState.definition.parse(probe.stdout, { args: { path }, exitCode: probe.exitCode, stderr: probe.stderr });
    expect(planRootDir({ path, mode: '0700' }, state)).toEqual([]);
  });
});
