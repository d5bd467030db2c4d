import { isAbsolute, join } from 'node:path';
import { ConvergeError, reveal, Type } from '@converge/core';
import type { Command, FactRequest, Plan, PrepareContext, Secret } from '@converge/core';
import { attributeParams } from '../file/file-attributes.js';
import type { AttributeParams } from '../file/file-attributes.js';
import type { FileState } from '../file/file-state.js';
import { defineManagedFile } from '../managed-file/managed-file.js';
import type { ManagedFile, ManagedFileWrite } from '../managed-file/managed-file.js';

/** Schema fields shared by copy and template. */
export const contentWriteParams = {
  dest: Type.String({ minLength: 1, description: 'Absolute path of the file to write (not a directory).' }),
  force: Type.Optional(Type.Boolean({ default: true, description: 'false: only write when dest does not exist yet.' })),
  follow: Type.Optional(
    Type.Boolean({ default: false, description: "When dest is a symlink: true writes the link's target; false (Ansible's default) replaces the link with a regular file." }),
  ),
  backup: Type.Optional(Type.Boolean({ default: false, description: 'Keep the old file as DEST.PID.DATE@TIME~ before replacing it.' })),
  validate: Type.Optional(
    Type.String({ pattern: '%s', description: 'Command run on the new file (%s = its temp path, e.g. "visudo -cf %s") before it replaces dest; a failure keeps the old file.' }),
  ),
  ...attributeParams,
};

/** The prepared form of copy/template params that the shared write path needs. */
export interface ContentWriteParams extends AttributeParams {
  dest: string;
  content?: string | Secret;
  content_base64?: string;
  force?: boolean;
  follow?: boolean;
  backup?: boolean;
  validate?: string;
}

/** The exact bytes a task wants in dest (a Secret's as its clear text). */
export function desiredBytes(p: ContentWriteParams): Uint8Array {
  const c = desiredContent(p);
  return c instanceof Uint8Array ? c : new Uint8Array(Buffer.from(reveal(c), 'utf8'));
}

function desiredContent(p: ContentWriteParams): string | Uint8Array | Secret {
  if (p.content_base64 !== undefined) return new Uint8Array(Buffer.from(p.content_base64, 'base64'));
  if (p.content !== undefined) return p.content;
  throw new ConvergeError('CONVERGE_PARAMS', `${p.dest}: no content (give content, or src for prepare to read)`);
}

/**
 * The file `copy` and `template` write, from their (prepared) params: exact content, the task's
 * mode/owner/group (kept when not named, C-13), `validate`, `follow`, `force` and `backup` as
 * Ansible's copy has them. See {@link defineManagedFile}.
 */
export const contentFile: ManagedFile<ContentWriteParams> = defineManagedFile<ContentWriteParams>({
  path: (p) => p.dest,
  render: desiredContent,
  mode: (p) => p.mode,
  owner: (p) => p.owner,
  group: (p) => p.group,
  validate: (p) => p.validate,
  follow: (p) => p.follow,
  force: (p) => p.force,
  backup: (p) => p.backup,
});

/**
 * Plan of copy and template: state, content (by sha256) and mode/owner/group of dest; the diff
 * shows the real before/after text (a secret's lines masked).
 */
export function planContentWrite(module: string, p: ContentWriteParams, state: FileState, upstreamChanged: boolean): Plan<ManagedFileWrite> {
  const planned = contentFile.plan(p, state, { module, upstreamChanged });
  if (!planned.write) return { changes: [], reason: planned.reason ?? `${p.dest} is in place` };
  return { changes: planned.changes, diffs: planned.diffs, data: planned.write };
}

/**
 * The `file.state` request of copy/template ({@link contentFile}'s fact), under the key `dest`.
 *
 * @deprecated Use {@link contentFile} (`contentFile.fact(p)`), or a {@link defineManagedFile} of your own.
 */
export function contentFacts(p: ContentWriteParams): { dest: FactRequest<FileState> } {
  return { dest: contentFile.fact(p) };
}

/**
 * Apply of copy and template: the shared atomic write, or attribute commands alone.
 *
 * @deprecated Use {@link contentFile} (`contentFile.apply(p, write)`), or a {@link defineManagedFile} of your own.
 */
export function applyContentWrite(p: ContentWriteParams, data: ManagedFileWrite | undefined): Command[] {
  return data ? contentFile.apply(p, data) : [];
}

/** @deprecated The write data of {@link contentFile}: {@link ManagedFileWrite}. */
export type ContentWriteData = ManagedFileWrite;

/**
 * Reads a controller-side file named by `src`: an absolute path as is; a relative one in each
 * search path in order, then in the base directory (Ansible's `files/` / `templates/` lookup).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` naming every place looked at.
 */
export async function readSource(module: string, src: string, dirs: string[], ctx: PrepareContext): Promise<{ path: string; bytes: Uint8Array }> {
  const candidates = isAbsolute(src) ? [src] : [...dirs.map((d) => join(d, src)), join(ctx.baseDir, src)];
  let lastError: unknown;
  for (const path of candidates) {
    try {
      return { path, bytes: await ctx.readFile(path) };
    } catch (e) {
      lastError = e;
    }
  }
  throw new ConvergeError('CONVERGE_PARAMS', `${module}: src ${JSON.stringify(src)} not found; looked in:\n  ${candidates.join('\n  ')}`, {
    cause: lastError,
    hint: 'put the file in the role or playbook files/ (templates/) directory, or give an absolute path',
  });
}
