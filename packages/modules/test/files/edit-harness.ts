import { mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factCommand, isSecret, LocalTransport } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { Command, FactRequest, FactRequests, FactValues, Module, TSchema } from '@converge/core';
import type { ModuleCaseResult } from '@converge/core/testing';
import { fileState, parseFileState } from '../../src/files.js';
import type { FileState, FileStateArgs } from '../../src/files.js';

/** A recorded `file.state` value for a regular file holding `content` (null: no file). */
export function fileFact(content: string | null, extra: Partial<{ mode: string; owner: string; group: string; path: string }> = {}): FileState {
  const path = extra.path ?? '/etc/test.conf';
  if (content === null) return { path, type: 'absent', parentExists: true };
  const bin = Buffer.from(content, 'utf8').toString('latin1');
  return {
    path,
    type: 'file',
    parentExists: true,
    target: { type: 'file', mode: extra.mode ?? '0644', owner: extra.owner ?? 'root', group: extra.group ?? 'root', uid: 0, gid: 0, size: bin.length, inode: '1:1', content: bin },
  };
}

const transport = new LocalTransport();

/** Runs the real `file.state` probe on this machine. */
export async function probe(args: FileStateArgs): Promise<FileState> {
  const r = await transport.exec(factCommand(fileState, args));
  return parseFileState(r.stdout, args.path);
}

/** Runs apply's steps in order, as the engine does, stopping at the first failing one. */
export async function runSteps(commands: Command[]): Promise<{ exitCode: number; stderr: string }> {
  for (const c of commands) {
    const stdin = isSecret(c.stdin) ? c.stdin.reveal() : c.stdin;
    const r = await transport.exec(String(c.script), stdin === undefined ? {} : { stdin });
    if (!(c.okExitCodes ?? [0]).includes(r.exitCode)) return { exitCode: r.exitCode, stderr: r.stderr };
  }
  return { exitCode: 0, stderr: '' };
}

/** A temp directory for one test, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'converge-files-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeBytes(path: string, content: string, mode = 0o644): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
}

export function readBytes(path: string): string {
  return readFileSync(path, 'utf8');
}

export { symlinkSync };

/**
 * Plans a module against the real file (probed on this machine), applies it, and plans again:
 * returns both plans. The caller asserts the bytes and that the second plan has no change.
 */
export async function convergeLocally<S extends TSchema, F extends FactRequests<F>, D, R>(
  mod: Module<S, F, D, R>,
  params: Record<string, unknown>,
  factArgs: (p: Record<string, unknown>) => Record<string, FileStateArgs>,
): Promise<{ first: ModuleCaseResult; second: ModuleCaseResult; apply: { exitCode: number; stderr: string } }> {
  const factsOf = async (): Promise<FactValues<F>> => {
    const out: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(factArgs(params))) out[k] = await probe(a);
    // The keys are the module's `file.state` facts, as factArgs names them.
    return out as FactValues<F>;
  };
  const first = planModule(mod, { params, facts: await factsOf() });
  const apply = await runSteps(first.commands);
  const second = planModule(mod, { params, facts: await factsOf() });
  return { first, second, apply };
}

/** One text-edit case: params (without path) and the file before -> the bytes after (`null`: no change). */
export interface EditCase {
  name: string;
  params: Record<string, unknown>;
  before: string | null;
  after: string | null;
}

/**
 * Runs a table of text-edit cases twice each: through `planModule` on a recorded fact
 * ({ params, facts } -> { changes, commands }), and for real on a temp file with the local
 * transport (probe, plan, apply, probe, plan: the bytes are checked and the second plan is empty).
 */
export function describeEditCases<S extends TSchema, D, R>(mod: Module<S, { file: FactRequest<FileState> }, D, R>, cases: EditCase[]): void {
  describe.each(cases)('$name', ({ params, before, after }) => {
    it('plans from recorded facts', () => {
      const r = planModule(mod, { params: { path: '/etc/test.conf', ...params }, facts: { file: fileFact(before) } });
      if (after === null) {
        expect(r.changes).toEqual([]);
        expect(r.reason).toBeTruthy();
        expect(r.commands).toEqual([]);
      } else {
        expect(r.changes.length).toBeGreaterThan(0);
        expect(r.commands).toHaveLength(1);
        expect(r.commands[0]?.description).toBe('write /etc/test.conf');
        expect(Buffer.from(r.commands[0]?.stdin as Uint8Array).toString('utf8')).toBe(after);
        expect(r.diffs[0]?.after).toBe(after);
      }
    });

    it('converges a real file, and a second run changes nothing', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const path = join(dir, 'test.conf');
        if (before !== null) writeBytes(path, before);
        const run = await convergeLocally(mod, { path, ...params }, (p) => ({ file: { path: p.path as string, content: true } }));
        expect(run.apply).toEqual({ exitCode: 0, stderr: '' });
        if (after !== null) expect(readBytes(path)).toBe(after);
        else if (before !== null) expect(readBytes(path)).toBe(before);
        expect(run.second.changes).toEqual([]);
      } finally {
        cleanup();
      }
    });
  });
}
