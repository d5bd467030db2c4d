import { createHash } from 'node:crypto';
import { isSecret, reveal, sh, SECRET_MASK } from '@converge/core';
import type { Change, Command, FileDiff, Secret } from '@converge/core';
import { chmodOperand, fileDiff, fileState, writeFileSteps } from '@converge/modules';
import type { FileState, SecretSettings } from '@converge/modules';

/** A file a restic module owns: exact content, mode, owned by root. */
export interface ManagedFile {
  path: string;
  /** A Secret is compared on the controller and never shown in a diff. */
  content: string | Secret;
  /** 4-digit octal mode, e.g. `0600`. */
  mode: string;
  /** For a Secret content holding settings: the settings whose values are masked in its diff (on both sides), so its other lines show; absent, every line is masked. */
  secretSettings?: SecretSettings;
}

/** A directory a restic module owns, owned by root. */
export interface ManagedDir {
  path: string;
  mode: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The `file.state` request for a managed file: content fetched for a secret, else only its sha256. */
export function managedFileFact(f: ManagedFile): ReturnType<typeof fileState> {
  return isSecret(f.content) ? fileState({ path: f.path, content: true }) : fileState({ path: f.path, contentUnlessSha256: sha256Hex(f.content) });
}

/** The `file.state` request for a managed directory. */
export function managedDirFact(d: ManagedDir): ReturnType<typeof fileState> {
  return fileState({ path: d.path });
}

/** What a plan found for one managed file. */
export interface FilePlan {
  changes: Change[];
  diff?: FileDiff;
  /** True when the file must be (re)written. */
  write: boolean;
}

/**
 * Compares a managed file with its `file.state`: content (sha256, or the text itself for a
 * secret), mode and root ownership. Any difference rewrites the whole file atomically.
 */
export function planFile(f: ManagedFile, state: FileState): FilePlan {
  const secret = isSecret(f.content);
  const want = reveal(f.content);
  const cur = state.type === 'file' ? state.target : undefined;
  const changes: Change[] = [];
  if (!cur) {
    changes.push({ path: `file:${f.path}`, before: state.type, after: 'file' });
  } else {
    const wantLatin1 = Buffer.from(want, 'utf8').toString('latin1');
    const same = secret ? cur.content === wantLatin1 : cur.sha256 === sha256Hex(want);
    if (!same) changes.push({ path: `content:${f.path}`, before: secret ? SECRET_MASK : `sha256:${cur.sha256 ?? '?'}`, after: secret ? SECRET_MASK : `sha256:${sha256Hex(want)}` });
    if (cur.mode !== f.mode) changes.push({ path: `mode:${f.path}`, before: cur.mode, after: f.mode });
    if (cur.owner !== 'root' || cur.group !== 'root') changes.push({ path: `owner:${f.path}`, before: `${cur.owner}:${cur.group}`, after: 'root:root' });
  }
  if (changes.length === 0) return { changes, write: false };
  const hidden = secret && f.secretSettings === undefined;
  const before = cur ? (hidden ? SECRET_MASK : (cur.content ?? '')) : null;
  const diff = changes.some((c) => c.path.startsWith('content:') || c.path.startsWith('file:'))
    ? fileDiff(f.path, before === null ? null : Buffer.from(before, 'latin1').toString('latin1'), Buffer.from(want, 'utf8').toString('latin1'), secret ? (f.secretSettings ?? 'all') : 'none')
    : undefined;
  return { changes, write: true, ...(diff ? { diff } : {}) };
}

/** Compares a managed directory with its `file.state`. */
export function planDir(d: ManagedDir, state: FileState): Change[] {
  if (state.type !== 'directory' || !state.target) return [{ path: `directory:${d.path}`, before: state.type, after: 'directory' }];
  const changes: Change[] = [];
  if (state.target.mode !== d.mode) changes.push({ path: `mode:${d.path}`, before: state.target.mode, after: d.mode });
  if (state.target.owner !== 'root' || state.target.group !== 'root') changes.push({ path: `owner:${d.path}`, before: `${state.target.owner}:${state.target.group}`, after: 'root:root' });
  return changes;
}

/** Steps that write a managed file: atomic, root-owned, with its mode set before the rename. */
export function writeManagedFile(f: ManagedFile): Command[] {
  return writeFileSteps({
    path: f.path,
    followLinks: false,
    content: isSecret(f.content) ? f.content : new Uint8Array(Buffer.from(f.content, 'utf8')),
    mode: f.mode,
    owner: 'root',
    group: 'root',
  });
}

/**
 * The step that makes a managed directory (and its parents) with its mode, root-owned. chmod gets
 * five digits: install -d and a four-digit chmod keep a setgid bit the directory has or inherits
 * from its parent, and the mode would differ on every run.
 */
export function makeManagedDir(d: ManagedDir): Command {
  return { script: sh`install -d -o root -g root -m ${d.mode} -- ${d.path} && chmod ${chmodOperand(d.mode)} -- ${d.path}`, description: `create ${d.path}` };
}
