import { ConvergeError, Type, raw, sh } from '@converge/core';
import type { Change, Command, RawShell } from '@converge/core';
import type { FileState } from '@converge/modules';
import { requirePrerequisite } from '@converge/modules';

/** The params of an exported directory that say how it is made, in the export schemas of nfs.exports and nfs.ganesha. */
export const ExportDirectoryFields = {
    create: Type.Optional(Type.Boolean({ default: true, description: 'Create the directory (and its parents) when it is missing.' })),
    owner: Type.Optional(Type.String({ minLength: 1, description: 'Owner of the directory (name or uid). Absent: kept (root for a new one).' })),
    group: Type.Optional(Type.String({ minLength: 1, description: 'Group of the directory (name or gid). Absent: kept.' })),
    mode: Type.Optional(Type.String({ pattern: '^0?[0-7]{3,4}$', description: 'Permission bits of the directory, octal, e.g. `2775`. Absent: kept (0755 for a new one).' })),
};

/** An exported directory as an export list gives it (nfs.exports, nfs.ganesha). */
export interface ExportDirectory {
  path: string;
  create?: boolean;
  owner?: string;
  group?: string;
  mode?: string;
}

/** What apply does to one exported directory. */
export interface DirectoryFix {
  path: string;
  create: boolean;
  owner?: string;
  group?: string;
  mode?: string;
}

function ownerMatches(want: string, name: string, id: number): boolean {
  return want === name || want === String(id);
}

/**
 * Plan of the exported directories of an export list: created (with parents) when missing and
 * `create` is not false, then given their owner, group and mode. Changes are named
 * `exports[i].directory` (`.owner`, `.group`, `.mode`).
 *
 * @param states - the `file.state` of each directory, in the list's order.
 * @throws ConvergeError `CONVERGE_PLAN` for a path that is not a directory, or a missing one with `create: false` (unless an earlier task may make it).
 */
export function planExportDirectories(module: string, dirs: ExportDirectory[], states: FileState[], upstreamChanged: boolean): { changes: Change[]; fixes: DirectoryFix[] } {
  const changes: Change[] = [];
  const fixes: DirectoryFix[] = [];
  dirs.forEach((e, i) => {
    const d = states[i] as FileState;
    const at = `exports[${i}].directory`;
    const mode = e.mode?.padStart(4, '0');
    if (d.type === 'absent') {
      requirePrerequisite(e.create !== false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `${module}: ${e.path} does not exist and create is false`));
      if (e.create === false) return;
      fixes.push({ path: e.path, create: true, ...(e.owner ? { owner: e.owner } : {}), ...(e.group ? { group: e.group } : {}), ...(mode ? { mode } : {}) });
      changes.push({ path: at, before: null, after: e.path });
      return;
    }
    const t = d.target;
    if (!t || t.type !== 'directory') throw new ConvergeError('CONVERGE_PLAN', `${module}: ${e.path} exists and is not a directory`);
    const fix: DirectoryFix = { path: e.path, create: false };
    if (e.owner && !ownerMatches(e.owner, t.owner, t.uid)) {
      fix.owner = e.owner;
      changes.push({ path: `${at}.owner`, before: t.owner, after: e.owner });
    }
    if (e.group && !ownerMatches(e.group, t.group, t.gid)) {
      fix.group = e.group;
      changes.push({ path: `${at}.group`, before: t.group, after: e.group });
    }
    if (mode && mode !== t.mode) {
      fix.mode = mode;
      changes.push({ path: `${at}.mode`, before: t.mode, after: mode });
    }
    if (fix.owner || fix.group || fix.mode) fixes.push(fix);
  });
  return { changes, fixes };
}

/** The steps of {@link planExportDirectories}'s fixes: one per directory. */
export function exportDirectorySteps(fixes: DirectoryFix[]): Command[] {
  return fixes.map((dir) => {
    const parts: RawShell[] = [];
    if (dir.create) parts.push(sh`mkdir -p -- ${dir.path}`);
    if (dir.owner) parts.push(sh`chown -- ${dir.owner} ${dir.path}`);
    if (dir.group) parts.push(sh`chgrp -- ${dir.group} ${dir.path}`);
    if (dir.mode) parts.push(sh`chmod -- ${dir.mode} ${dir.path}`);
    return { script: raw(parts.map((x) => x.text).join(' && ')), description: `${dir.create ? 'create' : 'set attributes of'} ${dir.path}` };
  });
}
