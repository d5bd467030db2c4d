import { ConvergeError, Secret, Type } from '@converge/core';
import type { Change, Command, Plan } from '@converge/core';
import { writeFileSteps, attributeSteps } from './atomic-write.js';
import { planAttributes } from './file-attributes.js';
import type { AttributeParams } from './file-attributes.js';
import { fileDiff } from './file-diff.js';
import { fileState, type FileState } from './file-state.js';
import { filePrincipals, principalFacts, type FilePrincipals } from './principals.js';
import { fromBinary } from './text-lines.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Schema fields every edit module (lineinfile, blockinfile, ini_file) takes besides its own. */
export const editWriteParams = {
  backup: Type.Optional(Type.Boolean({ default: false, description: 'Keep the old file as PATH.PID.DATE@TIME~ before replacing it.' })),
  validate: Type.Optional(
    Type.String({ pattern: '%s', description: 'Command run on the new content (%s = its temp file) before it replaces the file; a non-zero exit keeps the old file and fails the task.' }),
  ),
};

/** What a module's pure edit function returns. */
export interface EditResult {
  /** The new content (binary string); equal to the input when nothing changes. */
  after: string;
  /** True when the file must be written (also a new empty file, or a fixed final newline). */
  changed: boolean;
  /** Semantic changes to report (e.g. `line`, `block`, `option`), secrets already masked. */
  changes: Change[];
  /** One line, for the report, when nothing changes. */
  message: string;
}

/** Data a text-edit plan hands to apply. */
export interface TextEditData {
  write?: { content: string; mode?: string; owner?: string; group?: string };
  attributes?: { mode?: string; owner?: string; group?: string };
}

/** Input of {@link planTextEdit}. */
export interface TextEditInput {
  module: string;
  path: string;
  state: FileState;
  attributes: AttributeParams;
  /** The edit: from current content (null = no file) to the new one. */
  edit(before: string | null): EditResult;
  /** What to do when the file does not exist: `create` an empty one and edit it, or `skip` with the message. Anything else is an error. */
  whenMissing: 'create' | 'fail' | 'skip';
  secret: boolean;
  upstreamChanged: boolean;
  /** The task's `file.principals` fact ({@link editFacts}): resolves owner and group names. */
  principals?: FilePrincipals | undefined;
}

/** The facts of an edit module: the file with its content, and the owner and group names it asks for. */
export function editFacts(p: { path: string } & AttributeParams): { file: ReturnType<typeof fileState>; principals?: ReturnType<typeof filePrincipals> } {
  return { file: fileState({ path: p.path, content: true }), ...principalFacts(p) };
}

/**
 * The plan shared by the edit modules: reads the followed target from the `file.state` fact
 * (edits of a symlink go to its target, C-04), runs the module's pure edit, proves the edit is
 * idempotent by running it again on its own output (a task that would change the file on every
 * run is refused with an explanation, C-03), and adds mode/owner/group changes and the diff.
 */
export function planTextEdit(input: TextEditInput): Plan<TextEditData> {
  const { state, path, module } = input;
  const target = state.target;
  if (target && target.type !== 'file') {
    throw new ConvergeError('CONVERGE_PLAN', `${module}: ${path} is a ${target.type === 'directory' ? 'directory' : 'special file'}, not a regular file`);
  }
  let before: string | null = null;
  if (target) {
    if (target.content === undefined) {
      throw new ConvergeError('CONVERGE_FACT', `${module}: the content of ${path} was not read${target.contentTooLarge ? ' (the file is too large to edit in place)' : ''}`);
    }
    before = target.content;
  } else if (input.whenMissing === 'skip') {
    return { changes: [], reason: `${path} does not exist` };
  } else if (input.whenMissing === 'fail') {
    requirePrerequisite(false, input.upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `${module}: ${path} does not exist`, { hint: 'set create: true to create it, or create it in an earlier task' }));
    // Check mode after a task that (would have) created the file: the fact cannot show it yet.
    return { changes: [{ path: 'content', before: null, after: 'edited once an earlier task has created the file' }], data: {}, unknown: `${path} is created by an earlier task, with a content not known before it runs` };
  }
  const result = input.edit(before);
  if (result.changed) {
    const again = input.edit(result.after);
    if (again.changed || again.after !== result.after) {
      throw new ConvergeError('CONVERGE_PLAN', `${module}: ${path} would never converge: applying the task to its own result changes the file again`, {
        hint: 'the regexp or search_string probably matches other lines than the one the task writes (or several lines): make it match only the managed line, or use firstmatch',
      });
    }
  }
  const attrs = planAttributes(input.attributes, target, 'file', { principals: input.principals, upstreamChanged: input.upstreamChanged });
  const changes: Change[] = [];
  if (!target && result.changed) changes.push({ path: 'state', before: 'absent', after: 'file' });
  if (result.changed) changes.push(...result.changes);
  changes.push(...attrs.changes);
  if (changes.length === 0) return { changes, reason: result.message };
  const data: TextEditData = {};
  const diffs = [];
  if (result.changed) {
    const mode = attrs.mode;
    data.write = { content: result.after, ...(mode ? { mode } : {}), ...(attrs.owner ? { owner: attrs.owner } : {}), ...(attrs.group ? { group: attrs.group } : {}) };
    diffs.push(fileDiff(path, before, result.after, input.secret ? 'changed-lines' : 'none'));
  } else {
    data.attributes = { ...(attrs.mode ? { mode: attrs.mode } : {}), ...(attrs.owner ? { owner: attrs.owner } : {}), ...(attrs.group ? { group: attrs.group } : {}) };
  }
  return { changes, diffs, data };
}

/** Apply of a text edit: one atomic write (with the attributes), or attribute commands alone. */
export function applyTextEdit(path: string, data: TextEditData | undefined, opts: { create: boolean; secret: boolean; backup?: boolean; validate?: string }): Command[] {
  if (data?.write) {
    const bytes = Buffer.from(data.write.content, 'latin1');
    return writeFileSteps({
      path,
      followLinks: true,
      content: opts.secret ? new Secret(fromBinary(data.write.content), { composite: true }) : new Uint8Array(bytes),
      ...(data.write.mode !== undefined ? { mode: data.write.mode } : {}),
      ...(data.write.owner !== undefined ? { owner: data.write.owner } : {}),
      ...(data.write.group !== undefined ? { group: data.write.group } : {}),
      createParents: opts.create,
      ...(opts.validate !== undefined ? { validate: opts.validate } : {}),
      ...(opts.backup ? { backup: true } : {}),
    });
  }
  if (data?.attributes) return attributeSteps({ path, ...data.attributes });
  return [];
}
