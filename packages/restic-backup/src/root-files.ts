import { factValue, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Secret } from '@converge/core';
import { chmodOperand, defineManagedFile, fileState } from '@converge/modules';
import type { FileState, ManagedFileWrite, SecretSettings } from '@converge/modules';

/** A file a restic module owns: exact content, mode, owned by root. */
export interface RootFile {
  path: string;
  /** A Secret is compared on the controller and never shown in a diff. */
  content: string | Secret;
  /** 4-digit octal mode, e.g. `0600`. */
  mode: string;
  /** For a Secret content holding settings: the settings whose values are masked in its diff (on both sides), so its other lines show; absent, every line is masked. */
  secretSettings?: SecretSettings;
}

/** A directory a restic module owns, owned by root. */
export interface RootDir {
  path: string;
  mode: string;
}

/** The files and directories of one restic task, directories first (in the order they are made). */
export interface RootFiles {
  dirs: RootDir[];
  files: RootFile[];
}

/** The facts of {@link RootFiles}: `dir0`…, `file0`… (`file.state` of each). */
export type RootFileFacts = Record<`dir${number}` | `file${number}`, FactRequest<FileState>>;

/**
 * A restic file, root:root with its mode. Its changes are reported per path: `file:PATH` for a
 * new file, else `content:PATH`, `mode:PATH` and `owner:PATH` (owner and group together).
 */
const rootFile = defineManagedFile<RootFile>({
  path: (f) => f.path,
  render: (f) => f.content,
  mode: (f) => f.mode,
  owner: 'root',
  group: 'root',
  secretDiff: (f) => f.secretSettings ?? 'all',
  // Any difference rewrites the whole file, as a new one.
  attributes: 'rewrite',
  changes: (d) => {
    if (!d.current) return [{ path: `file:${d.path}`, before: d.replaces, after: 'file' }];
    const changes: Change[] = [];
    if (d.content) changes.push({ ...d.content, path: `content:${d.path}` });
    const mode = d.attributes.find((c) => c.path === 'mode');
    if (mode) changes.push({ ...mode, path: `mode:${d.path}` });
    if (d.attributes.some((c) => c.path === 'owner' || c.path === 'group')) changes.push({ path: `owner:${d.path}`, before: `${d.current.owner}:${d.current.group}`, after: 'root:root' });
    return changes;
  },
});

/** The `file.state` requests of a task's directories and files, as {@link RootFileFacts}. */
export function rootFileFacts(owned: RootFiles): RootFileFacts {
  const f: RootFileFacts = {};
  owned.dirs.forEach((d, i) => (f[`dir${i}`] = fileState({ path: d.path })));
  owned.files.forEach((x, i) => (f[`file${i}`] = rootFile.fact(x)));
  return f;
}

/** What a task's plan found for its directories and files, and what apply must write. */
export interface RootFilesPlan {
  changes: Change[];
  diffs: FileDiff[];
  /** Directories to make or fix. */
  dirs: RootDir[];
  /** Files to write or fix. */
  files: { file: RootFile; write: ManagedFileWrite }[];
}

/**
 * Compares a task's directories (kind, mode, root ownership) and files (content by sha256, or the
 * text itself for a Secret; mode; root ownership) with their `file.state`.
 */
export function planRootFiles(module: string, owned: RootFiles, facts: RootFileFactValues, upstreamChanged: boolean): RootFilesPlan {
  const out: RootFilesPlan = { changes: [], diffs: [], dirs: [], files: [] };
  owned.dirs.forEach((d, i) => {
    const c = planRootDir(d, factValue(facts, `dir${i}`));
    if (c.length > 0) out.dirs.push(d);
    out.changes.push(...c);
  });
  const made = new Set(owned.dirs.map((d) => d.path));
  owned.files.forEach((file, i) => {
    const planned = rootFile.plan(file, factValue(facts, `file${i}`), { module, upstreamChanged, parentCreated: made.has(file.path.slice(0, file.path.lastIndexOf('/'))) });
    if (!planned.write) return;
    out.files.push({ file, write: planned.write });
    out.changes.push(...planned.changes);
    out.diffs.push(...planned.diffs);
  });
  return out;
}

/** The values of {@link RootFileFacts}. */
export type RootFileFactValues = Record<`dir${number}` | `file${number}`, FileState>;

/** Steps that make the planned directories, then write the planned files (atomically, root-owned, mode set before the rename). */
export function applyRootFiles(plan: Pick<RootFilesPlan, 'dirs' | 'files'>): Command[] {
  return [...plan.dirs.map(makeRootDir), ...plan.files.flatMap(({ file, write }) => rootFile.apply(file, write))];
}

/** Compares a directory a task owns with its `file.state`: kind, mode, root ownership. */
export function planRootDir(d: RootDir, state: FileState): Change[] {
  if (state.type !== 'directory' || !state.target) return [{ path: `directory:${d.path}`, before: state.type, after: 'directory' }];
  const changes: Change[] = [];
  if (state.target.mode !== d.mode) changes.push({ path: `mode:${d.path}`, before: state.target.mode, after: d.mode });
  if (state.target.owner !== 'root' || state.target.group !== 'root') changes.push({ path: `owner:${d.path}`, before: `${state.target.owner}:${state.target.group}`, after: 'root:root' });
  return changes;
}

/**
 * The step that makes a directory a task owns (and its parents) with its mode, root-owned. chmod
 * gets five digits: install -d and a four-digit chmod keep a setgid bit the directory has or
 * inherits from its parent, and the mode would differ on every run.
 */
export function makeRootDir(d: RootDir): Command {
  return { script: sh`install -d -o root -g root -m ${d.mode} -- ${d.path} && chmod ${chmodOperand(d.mode)} -- ${d.path}`, description: `create ${d.path}` };
}
