import { isAbsolute, join } from 'node:path';
import { ConvergeError, isControllerFile, reveal, Type } from '@converge/core';
import type { Command, ControllerFile, FactRequest, Plan, PrepareContext, Secret } from '@converge/core';
import { attributeParams } from '../file/file-attributes.js';
import type { AttributeParams } from '../file/file-attributes.js';
import type { FileState } from '../file/file-state.js';
import { principalFacts } from '../file/principals.js';
import type { FilePrincipals } from '../file/principals.js';
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
  /** A large controller file, streamed to the host (set by copy's prepare). */
  source?: ControllerFile;
  force?: boolean;
  follow?: boolean;
  backup?: boolean;
  validate?: string;
}

/**
 * The exact bytes a task wants in dest (a Secret's as its clear text).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for a task with no content, `CONVERGE_INTERNAL` for a
 * streamed {@link ContentWriteParams.source} (never read into memory).
 */
export function desiredBytes(p: ContentWriteParams): Uint8Array {
  const c = desiredContent(p);
  if (isControllerFile(c)) throw new ConvergeError('CONVERGE_INTERNAL', `${p.dest}: the content streams from ${c.controllerFile} and is not held in memory`);
  return c instanceof Uint8Array ? c : new Uint8Array(Buffer.from(reveal(c), 'utf8'));
}

function desiredContent(p: ContentWriteParams): string | Uint8Array | Secret | ControllerFile {
  if (p.source !== undefined) return p.source;
  if (p.content_base64 !== undefined) return new Uint8Array(Buffer.from(p.content_base64, 'base64'));
  if (p.content !== undefined) return p.content;
  throw new ConvergeError('CONVERGE_PARAMS', `${p.dest}: no content (give content, or src for prepare to read)`);
}

/**
 * The file `copy` and `template` write, from their (prepared) params: exact content (a large
 * `source` streamed, compared by the sha256 computed while it was read), the task's
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
 * The facts of copy and template: dest's `file.state` ({@link contentFile}'s fact) and, when
 * owner or group are names, the `file.principals` the host resolves them to.
 */
export function contentFacts(p: ContentWriteParams): { dest: FactRequest<FileState>; principals?: FactRequest<FilePrincipals> } {
  return { dest: contentFile.fact(p), ...principalFacts(p) };
}

/**
 * Plan of copy and template: state, content (by sha256) and mode/owner/group of dest; the diff
 * shows the real before/after text (a secret's lines masked). `principals`: the task's
 * `file.principals` fact ({@link contentFacts}), which resolves owner and group names (one the
 * host does not know fails the plan, as chown fails the run).
 */
export function planContentWrite(module: string, p: ContentWriteParams, state: FileState, upstreamChanged: boolean, principals?: FilePrincipals): Plan<ManagedFileWrite> {
  const planned = contentFile.plan(p, state, { module, upstreamChanged, principals });
  if (!planned.write) return { changes: [], reason: planned.reason ?? `${p.dest} is in place` };
  return { changes: planned.changes, diffs: planned.diffs, data: planned.write };
}

/** A source read into memory (`bytes`), or a large one to stream (`file`). */
export type SourceFound = { path: string; bytes: Uint8Array; file?: undefined } | { path: string; file: ControllerFile; bytes?: undefined };

/** A `copy` source larger than this is streamed to the host ({@link ControllerFile}) rather than read into memory. */
export const STREAM_SOURCE_BYTES = 8 * 1024 * 1024;

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
 * With `streamAbove`, a larger file is not read but described (size and sha256, read in parts)
 * for a step that streams it. `param` names the param in messages (default `src`).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` naming every place looked at when no candidate exists,
 * or saying why the file found cannot be read (permission denied, a directory, an I/O error).
 */
export async function readSource(module: string, src: string, dirs: string[], ctx: PrepareContext, options?: { param?: string }): Promise<{ path: string; bytes: Uint8Array }>;
export async function readSource(module: string, src: string, dirs: string[], ctx: PrepareContext, options: { streamAbove: number; param?: string }): Promise<SourceFound>;
export async function readSource(module: string, src: string, dirs: string[], ctx: PrepareContext, options: { streamAbove?: number; param?: string } = {}): Promise<SourceFound> {
  const param = options.param ?? 'src';
  const candidates = isAbsolute(src) ? [src] : [...dirs.map((d) => join(d, src)), join(ctx.baseDir, src)];
  let missing: unknown;
  for (const path of candidates) {
    if (ctx.describeFile) {
      let file: ControllerFile;
      try {
        file = await ctx.describeFile(path);
      } catch (e) {
        if (isMissing(e)) {
          missing = e;
          continue;
        }
        throw unreadable(module, param, src, path, e);
      }
      if (options.streamAbove !== undefined && file.size > options.streamAbove) return { path, file };
    }
    try {
      return { path, bytes: await ctx.readFile(path) };
    } catch (e) {
      if (ctx.describeFile || !isMissing(e)) throw unreadable(module, param, src, path, e);
      missing = e;
    }
  }
  throw new ConvergeError('CONVERGE_PARAMS', `${module}: ${param} ${JSON.stringify(src)} not found; looked in:\n  ${candidates.join('\n  ')}`, {
    cause: missing,
    hint: 'put the file in the role or playbook files/ (templates/) directory, or give an absolute path',
  });
}

/** True for a file system error that says the path is not there (so the next candidate is tried). */
function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A source that exists but cannot be read, with the reason the system gave. */
function unreadable(module: string, param: string, src: string, path: string, e: unknown): ConvergeError {
  const code = (e as { code?: unknown }).code;
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: `it is a directory${module === 'copy' ? ' (synchronize copies a directory)' : ''}`,
    EIO: 'an input/output error',
    ERR_FS_FILE_TOO_LARGE: 'it is too large to read into memory',
  };
  const reason = typeof code === 'string' && why[code] ? `${why[code]} (${code})` : (e as Error).message;
  return new ConvergeError('CONVERGE_PARAMS', `${module}: cannot read ${param} ${JSON.stringify(src)} (${path}): ${reason}`, { cause: e });
}
