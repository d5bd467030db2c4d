import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { ConvergeError, isSecret, reveal, SECRET_MASK, Type } from '@converge/core';
import type { Change, Command, ControllerFile, FileDiff, Plan, PrepareContext, Secret } from '@converge/core';
import { attributeSteps, writeFileSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes } from '../file/file-attributes.js';
import type { AttributeParams } from '../file/file-attributes.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import type { FileState, FileStateArgs } from '../file/file-state.js';
import { filePrincipals, principalFacts, type FilePrincipals } from '../file/principals.js';

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

/** Data a content plan hands to apply. */
export interface ContentWriteData {
  write: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

/** The sha256 (hex) of the bytes a task wants in dest. */
function desiredSha256(p: ContentWriteParams): string {
  return p.source ? p.source.sha256 : sha256Hex(desiredBytes(p));
}

/** The exact bytes a task wants in dest (not for a streamed {@link ContentWriteParams.source}). */
export function desiredBytes(p: ContentWriteParams): Uint8Array {
  if (p.content_base64 !== undefined) return new Uint8Array(Buffer.from(p.content_base64, 'base64'));
  if (p.content !== undefined) return new Uint8Array(Buffer.from(reveal(p.content), 'utf8'));
  throw new ConvergeError('CONVERGE_PARAMS', `${p.dest}: no content (give content, or src for prepare to read)`);
}

/** Hex sha256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The `file.state` request of copy/template: with the desired sha256, so the probe returns the
 * current content only when it differs. For a Secret the content is fetched and compared on the
 * controller instead, so that no hash of the secret goes on a command line.
 */
export function contentFacts(p: ContentWriteParams): { dest: ReturnType<typeof fileState>; principals?: ReturnType<typeof filePrincipals> } {
  const args: FileStateArgs = isSecret(p.content) ? { path: p.dest, content: true } : { path: p.dest, contentUnlessSha256: desiredSha256(p) };
  return { dest: fileState(args), ...principalFacts(p) };
}

/**
 * Plan of copy and template: state, content (by sha256) and mode/owner/group of dest; the diff
 * shows the real before/after text (a secret's lines masked). `principals`: the task's
 * `file.principals` fact ({@link contentFacts}), which resolves owner and group names.
 */
export function planContentWrite(module: string, p: ContentWriteParams, state: FileState, upstreamChanged: boolean, principals?: FilePrincipals): Plan<ContentWriteData> {
  const follow = p.follow ?? false;
  if (state.type === 'directory' || (state.target?.type === 'directory' && (state.type !== 'link' || follow))) {
    throw new ConvergeError('CONVERGE_PLAN', `${module}: dest ${p.dest} is a directory`, { hint: 'name the file to write, e.g. dest: /etc/app/app.conf' });
  }
  if (state.type === 'absent' && !state.parentExists && !upstreamChanged) {
    throw new ConvergeError('CONVERGE_PLAN', `${module}: the directory of ${p.dest} does not exist`, { hint: 'create it first with file: { state: directory }' });
  }
  const replacingLink = state.type === 'link' && !follow;
  const current = replacingLink ? undefined : state.target;
  if (current && current.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `${module}: dest ${p.dest} is not a regular file`);
  const secret = isSecret(p.content);
  const want = p.source ? undefined : Buffer.from(desiredBytes(p)).toString('latin1');
  const sha = desiredSha256(p);
  const keepContent = current !== undefined && (p.force ?? true) === false;
  const differs = !keepContent && (current === undefined || (secret ? current.content !== want : current.sha256 !== sha));
  const attrs = planAttributes(p, current, 'file', { principals, upstreamChanged });
  const changes: Change[] = [];
  if (replacingLink) changes.push({ path: 'state', before: 'link', after: 'file' });
  else if (!current) changes.push({ path: 'state', before: 'absent', after: 'file' });
  const diffs: FileDiff[] = [];
  if (differs) {
    changes.push({ path: 'content', before: current ? (secret ? SECRET_MASK : `sha256:${current.sha256 ?? '?'}`) : null, after: secret ? SECRET_MASK : `sha256:${sha}` });
    const before = current ? (current.content ?? (current.contentTooLarge ? `(${current.size} bytes, not shown)\n` : '')) : null;
    diffs.push(fileDiff(p.dest, before, want ?? `(${p.source?.size ?? 0} bytes of ${p.source?.controllerFile ?? '?'}, not shown)\n`, secret ? 'all' : 'none'));
  }
  changes.push(...attrs.changes);
  if (changes.length === 0) return { changes, reason: keepContent ? `${p.dest} exists and force is false` : `${p.dest} already has this content and these attributes` };
  const data: ContentWriteData = {
    write: differs || replacingLink,
    ...(attrs.mode !== undefined ? { mode: attrs.mode } : {}),
    ...(attrs.owner !== undefined ? { owner: attrs.owner } : {}),
    ...(attrs.group !== undefined ? { group: attrs.group } : {}),
  };
  return { changes, diffs, data };
}

/** Apply of copy and template: the shared atomic write, or attribute commands alone. */
export function applyContentWrite(p: ContentWriteParams, data: ContentWriteData | undefined): Command[] {
  if (!data) return [];
  const attrs = {
    ...(data.mode !== undefined ? { mode: data.mode } : {}),
    ...(data.owner !== undefined ? { owner: data.owner } : {}),
    ...(data.group !== undefined ? { group: data.group } : {}),
  };
  if (!data.write) return attributeSteps({ path: p.dest, ...attrs });
  return writeFileSteps({
    path: p.dest,
    followLinks: p.follow ?? false,
    content: isSecret(p.content) ? p.content : (p.source ?? desiredBytes(p)),
    ...attrs,
    ...(p.validate !== undefined ? { validate: p.validate } : {}),
    ...(p.backup ? { backup: true } : {}),
  });
}

/** A source read into memory (`bytes`), or a large one to stream (`file`). */
export type SourceFound = { path: string; bytes: Uint8Array; file?: undefined } | { path: string; file: ControllerFile; bytes?: undefined };

/** A `copy` source larger than this is streamed to the host ({@link ControllerFile}) rather than read into memory. */
export const STREAM_SOURCE_BYTES = 8 * 1024 * 1024;

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
