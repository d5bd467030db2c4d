import { sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff } from '@converge/core';
import { fileDiff } from '../file/file-diff.js';
import type { FileState } from '../file/file-state.js';
import { applyContentWrite, contentFacts, planContentWrite } from './content-write.js';
import type { ContentWriteData } from './content-write.js';

/**
 * A file a module owns whole (a drop-in under /etc/modprobe.d, /etc/logrotate.d, /etc/hostname):
 * the wanted text, or `null` for "must not exist". Written through copy's content path (sha256
 * compare, atomic write, mode/owner kept or set).
 */
export interface WholeFile {
  path: string;
  content: string | null;
  mode?: string;
  owner?: string;
  group?: string;
  /** Command run on the new file (`%s` = its temp path) before it replaces the old one. */
  validate?: string;
}

/** The `file.state` request of a {@link WholeFile}: content returned only when it differs. */
export function wholeFileFact(f: WholeFile): FactRequest<FileState> {
  return contentFacts({ dest: f.path, content: f.content ?? '' }).dest;
}

/** What {@link planWholeFile} found: changes (prefixed with `key.`), a diff, and the data for apply. */
export interface WholeFilePlan {
  changes: Change[];
  diffs: FileDiff[];
  data?: ContentWriteData | 'remove';
}

/**
 * Plans a {@link WholeFile} against its probed state: a write (content, mode, owner, group), a
 * removal, or nothing. Change paths read `KEY.content`, `KEY.state` and so on.
 *
 * @throws ConvergeError `CONVERGE_PLAN` as copy's plan does (a directory in the way, no parent).
 */
export function planWholeFile(module: string, key: string, f: WholeFile, state: FileState, upstreamChanged: boolean): WholeFilePlan {
  const prefix = (changes: Change[]): Change[] => changes.map((c) => ({ ...c, path: `${key}.${c.path}` }));
  if (f.content === null) {
    if (state.type === 'absent') return { changes: [], diffs: [] };
    const before = state.target?.content;
    return {
      changes: [{ path: `${key}.state`, before: state.type, after: 'absent' }],
      diffs: before === undefined ? [] : [fileDiff(f.path, before, null)],
      data: 'remove',
    };
  }
  const plan = planContentWrite(module, { dest: f.path, content: f.content, ...attrs(f) }, state, upstreamChanged);
  return { changes: prefix(plan.changes), diffs: plan.diffs ?? [], ...(plan.data ? { data: plan.data } : {}) };
}

/** The steps of a planned {@link WholeFile}. */
export function applyWholeFile(f: WholeFile, data: WholeFilePlan['data']): Command[] {
  if (data === undefined) return [];
  if (data === 'remove') return [{ script: sh`rm -f -- ${f.path}`, description: `remove ${f.path}` }];
  return applyContentWrite({ dest: f.path, content: f.content ?? '', ...attrs(f), ...(f.validate !== undefined ? { validate: f.validate } : {}) }, data);
}

function attrs(f: WholeFile): { mode?: string; owner?: string; group?: string } {
  return { ...(f.mode !== undefined ? { mode: f.mode } : {}), ...(f.owner !== undefined ? { owner: f.owner } : {}), ...(f.group !== undefined ? { group: f.group } : {}) };
}
