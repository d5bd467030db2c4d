import { ConvergeError, isControllerFile, isSecret, quote, raw, reveal, SECRET_MASK, sh, sha256Hex } from '@converge/core';
import type { Change, Command, ControllerFile, FactRequest, FileDiff, Secret } from '@converge/core';
import { attributeSteps, writeFileSteps } from '../file/atomic-write.js';
import { planAttributes } from '../file/file-attributes.js';
import { fileDiff } from '../file/file-diff.js';
import type { SecretSettings } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import type { FileInfo, FileState, FileStateArgs } from '../file/file-state.js';
import type { FilePrincipals } from '../file/principals.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** A setting of a {@link ManagedFileDefinition}: a value, or a function of the model that gives it. */
export type FromModel<M, T> = T | ((model: M) => T);

/**
 * What a module writes into one file, from a model (its params, or what it derived from them).
 * See {@link defineManagedFile}.
 *
 * @typeParam M - the model the file is rendered from.
 */
export interface ManagedFileDefinition<M> {
  /** Absolute path of the file. */
  path: FromModel<M, string>;
  /**
   * The file's whole content: text (written as UTF-8), bytes, or a `Secret`; `null` when the file
   * must not exist (it is removed). A Secret is compared on the controller (the host sends its
   * current content, so no hash of the secret is on a command line), travels on stdin, and is
   * masked in changes and diffs. A {@link ControllerFile} (a large controller file described by
   * its size and sha256) is compared by that sha256 and streams to the host in parts, never held
   * in memory; its diff names it. Pure; called once per model object.
   */
  render(model: M): string | Uint8Array | Secret | ControllerFile | null;
  /** Permission bits, octal (`'0640'`) or symbolic (`'u=rw,g=r'`, resolved against the current mode). Absent: kept; a new file gets 0644. */
  mode?: FromModel<M, string | number | undefined>;
  /** Owner: a name (resolved as chown(1) does, see {@link ManagedFileContext.principals}) or a number, a uid. Absent: kept; a new file belongs to the user the task runs as. */
  owner?: FromModel<M, string | number | undefined>;
  /** Group: a name or a number, a gid. Absent: kept. */
  group?: FromModel<M, string | number | undefined>;
  /**
   * A command run on the new file before it replaces the live one, `%s` standing for its path
   * (e.g. `haproxy -c -f %s`, `visudo -cf %s`): when it fails, the live file is kept and the task
   * fails with the command's output.
   */
  validate?: FromModel<M, string | undefined>;
  /**
   * Makes the service use the new file, right after it is written (in the same round trip): the
   * steps (a `systemctl reload`, …) and the change they report. `undefined`: nothing to do (the
   * task's handlers, notified because it changed, may do it instead).
   */
  reload?(model: M): { change: Change; steps: Command[] } | undefined;
  /**
   * How the diff of a file holding a Secret is shown: every line masked (`'all'`, the default),
   * only the lines that differ (`'changed-lines'`, when the rest of the file says nothing
   * secret), or the text as `mask` masks it (say, the value of every `password =` line) on both
   * sides, shown as it then is. A `mask` applies also when the file holds no Secret now, so a
   * secret setting removed from the file does not show its former value.
   */
  secretDiff?: FromModel<M, SecretDiff | undefined>;
  /**
   * How a change of mode, owner or group alone is made: `in-place` (chmod, chown; the default,
   * as copy) or `rewrite` (the whole file written again, atomically and validated, as a new one).
   */
  attributes?: 'in-place' | 'rewrite';
  /**
   * How the differences are reported as changes. Default: `state` (a new file, or one that
   * replaces a link), `content` (as sha256, or masked), `mode`, `owner`, `group`, as `copy`.
   */
  changes?(difference: ManagedFileDifference, model: M): Change[];
  /** Write a symlink's target instead of replacing the link with a file (copy's `follow`). Default false. */
  follow?: FromModel<M, boolean | undefined>;
  /** false: only create the file; an existing file keeps its content (copy's `force`). Default true. */
  force?: FromModel<M, boolean | undefined>;
  /** Keep the old file as `PATH.PID.YYYY-MM-DD@HH:MM:SS~` before replacing it (copy's `backup`). Default false. */
  backup?: FromModel<M, boolean | undefined>;
}

/** How the diff of a file holding a Secret is shown; see {@link ManagedFileDefinition.secretDiff}. */
export type SecretDiff = 'all' | 'changed-lines' | SecretSettings;

/** What differs between a managed file on the host and what it must be: the input of {@link ManagedFileDefinition.changes}. */
export interface ManagedFileDifference {
  path: string;
  /** The file must not exist, and this is at its path. */
  removes?: FileState['type'];
  /** The regular file that is there and stays (its content and attributes may change). */
  current?: FileInfo;
  /** What is at the path instead, when the file is created: nothing, or a symlink it replaces. */
  replaces?: 'absent' | 'link';
  /** The content's change (sha256 of each side, or the mask), when the bytes differ. */
  content?: Change;
  /** `mode`, `owner` and `group` changes (before `null` for a new file). */
  attributes: Change[];
}

/** Where a managed file is planned. */
export interface ManagedFileContext {
  /** Module name, for error messages. */
  module: string;
  /** As the module's plan received it: an earlier task of this check run changes what the facts read. */
  upstreamChanged: boolean;
  /** The task creates the file's directory before writing it (no need for it to exist now). */
  parentCreated?: boolean;
  /**
   * A file the service reads with this one changed in the same task (a certificate it names):
   * the live file is validated again and the service reloaded, even when the file is unchanged.
   */
  dependencyChanged?: boolean;
  /** Prefix of the changes' paths: `certificates.site` reports `certificates.site.content`. */
  label?: string;
  /**
   * The task's `file.principals` fact (see `principalFacts`), when owner or group are names: they
   * are compared as the host resolves them, and one the host does not know fails the plan as
   * chown would fail the run.
   */
  principals?: FilePrincipals | undefined;
}

/** What apply must do to a managed file. */
export interface ManagedFileWrite {
  /** Remove the file (it must not exist). */
  remove?: boolean;
  /** Write the whole file (new, replaced or changed content); else only fix its attributes. */
  content: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  /** Validate the live file (unchanged, but a file it reads changed) before the reload. */
  checkLive?: boolean;
  /** Run the definition's reload steps after the write. */
  reload?: boolean;
}

/** A managed file planned: what its task reports, and what apply must do. */
export interface ManagedFilePlan {
  changes: Change[];
  diffs: FileDiff[];
  /** Hand it to {@link ManagedFile.apply}; absent when the file is as wanted. */
  write?: ManagedFileWrite;
  /** True when the file's bytes change (it is created, replaced or rewritten), not only its attributes. */
  contentChanged: boolean;
  /** Why nothing changes, when nothing does. */
  reason?: string;
}

/** The pieces a module composes to manage one file; see {@link defineManagedFile}. */
export interface ManagedFile<M> {
  readonly definition: ManagedFileDefinition<M>;
  /** The file's path for this model. */
  path(model: M): string;
  /** The file's content for this model, as `render` gave it (rendered once per model object; `null`: must not exist). */
  content(model: M): string | Uint8Array | Secret | ControllerFile | null;
  /** The file's content as text (a Secret's clear text, bytes as UTF-8; empty for `null`): what the module reads of the new file. */
  text(model: M): string;
  /** The `file.state` request to put into the module's facts (with the sha256 to compare, or asking for a Secret's current content). */
  fact(model: M): FactRequest<FileState>;
  /** Compares the file with its `file.state` (pure). @throws ConvergeError `CONVERGE_PLAN` when the path is a directory or not a regular file, or its directory is missing. */
  plan(model: M, state: FileState, context: ManagedFileContext): ManagedFilePlan;
  /** The steps of a planned write: the atomic, validated write (or the attribute fix), then the reload. */
  apply(model: M, write: ManagedFileWrite): Command[];
}

interface Rendered {
  /** As `render` returned it. */
  given: string | Uint8Array | Secret | ControllerFile | null;
  /** The bytes (empty for a ControllerFile, which is not read). */
  bytes: Uint8Array;
  /** The content as given, for the write: a Secret stays one, a ControllerFile streams. */
  content: Uint8Array | Secret | ControllerFile;
  secret: boolean;
  sha256: string;
}

/**
 * Defines a file that a module owns whole (a service's configuration, a credentials file, a
 * unit file): render -> compare -> validate -> atomic write -> reload, in one place.
 *
 * - facts: `fact(model)` is the file's `file.state` request: the sha256 to compare, so an
 *   unchanged file costs one hash and no transfer (a Secret's current content instead).
 * - plan: `plan(model, state, context)` reports the content change (with a diff, masked for a
 *   Secret) and mode/owner/group changes, and refuses a directory or a missing parent directory
 *   (unless an earlier task of the check run may make it).
 * - apply: `apply(model, write)` writes the file atomically (a temp file in the same directory,
 *   validated with `validate`, then renamed over the live file: a failed validation keeps the old
 *   file) or fixes only its attributes, then runs the `reload` steps.
 *
 * The rendering is cached per model object, so facts, plan and apply render once.
 *
 * @example
 * const configFile = defineManagedFile({
 *   path: '/etc/haproxy/haproxy.cfg',
 *   render: (p: HaproxyConfigParams) => renderHaproxyConfig(p).text,
 *   validate: 'haproxy -c -f %s',
 *   reload: () => ({ change: { path: 'service', before: 'running', after: 'reloaded' }, steps: [{ script: sh`systemctl reload haproxy` }] }),
 * });
 * // in a module: facts: (p) => ({ config: configFile.fact(p) }),
 * // plan: ({ params, facts, upstreamChanged }) => { const f = configFile.plan(params, facts.config, { module: 'haproxy.config', upstreamChanged }); ... data: f.write },
 * // apply: ({ params, plan }) => configFile.apply(params, plan.data),
 */
export function defineManagedFile<M>(definition: ManagedFileDefinition<M>): ManagedFile<M> {
  const cache = new WeakMap<object, Rendered>();
  const setting = <T>(value: FromModel<M, T> | undefined, model: M): T | undefined =>
    typeof value === 'function' ? (value as (m: M) => T)(model) : value;
  const pathOf = (model: M): string => setting(definition.path, model) as string;
  const rendered = (model: M): Rendered => {
    const key = typeof model === 'object' && model !== null ? model : undefined;
    const hit = key && cache.get(key);
    if (hit) return hit;
    const content = definition.render(model);
    const secret = isSecret(content);
    let r: Rendered;
    if (isControllerFile(content)) r = { given: content, bytes: new Uint8Array(0), content, secret: false, sha256: content.sha256 };
    else {
      const bytes = content instanceof Uint8Array ? content : new Uint8Array(Buffer.from(content === null ? '' : reveal(content), 'utf8'));
      r = { given: content, bytes, content: secret ? content : bytes, secret, sha256: secret ? '' : sha256Hex(bytes) };
    }
    if (key) cache.set(key, r);
    return r;
  };

  /** The reload (when the file changed, or a file it reads did), the label, and the plan. */
  const finish = (model: M, changes: Change[], diffs: FileDiff[], write: ManagedFileWrite, context: ManagedFileContext, reason: string): ManagedFilePlan => {
    const fileChanges = changes.length > 0;
    if (fileChanges || context.dependencyChanged) {
      const reload = definition.reload?.(model);
      if (!fileChanges) write.checkLive = true;
      if (reload) {
        write.reload = true;
        changes.push(reload.change);
      }
    }
    const labelled = context.label === undefined ? changes : changes.map((c) => ({ ...c, path: `${context.label}.${c.path}` }));
    if (labelled.length === 0 && !write.checkLive) return { changes: [], diffs: [], contentChanged: false, reason };
    return { changes: labelled, diffs, write, contentChanged: write.content || write.remove === true };
  };
  const planRemoval = (model: M, path: string, state: FileState, context: ManagedFileContext): ManagedFilePlan => {
    if (state.type === 'absent') return finish(model, [], [], { content: false }, context, `${path} is absent`);
    const before = state.target?.content;
    const changes = (definition.changes ?? managedFileChanges)({ path, removes: state.type, attributes: [] }, model);
    return finish(model, changes, before === undefined ? [] : [fileDiff(path, before, null)], { content: false, remove: true }, context, `${path} is absent`);
  };

  return {
    definition,
    path: pathOf,
    content: (model) => rendered(model).given,
    text: (model) => Buffer.from(rendered(model).bytes).toString('utf8'),
    fact(model) {
      const r = rendered(model);
      // A file that must not exist: its content, for the diff of its removal.
      const args: FileStateArgs = r.secret || r.given === null ? { path: pathOf(model), content: true } : { path: pathOf(model), contentUnlessSha256: r.sha256 };
      return fileState(args);
    },
    plan(model, state, context) {
      const path = pathOf(model);
      const r = rendered(model);
      if (r.given === null) return planRemoval(model, path, state, context);
      const follow = setting(definition.follow, model) ?? false;
      const m = context.module;
      if (state.type === 'directory' || (state.target?.type === 'directory' && (state.type !== 'link' || follow))) {
        throw new ConvergeError('CONVERGE_PLAN', `${m}: dest ${path} is a directory`, { hint: 'name the file to write, e.g. dest: /etc/app/app.conf' });
      }
      requirePrerequisite(state.type !== 'absent' || state.parentExists || context.parentCreated === true, context.upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `${m}: the directory of ${path} does not exist`, { hint: 'create it first with file: { state: directory }' }),
      );
      const replacingLink = state.type === 'link' && !follow;
      const current = replacingLink ? undefined : state.target;
      if (current && current.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `${m}: dest ${path} is not a regular file`);
      const stream = isControllerFile(r.given) ? r.given : undefined;
      const want = Buffer.from(r.bytes).toString('latin1');
      const keepContent = current !== undefined && (setting(definition.force, model) ?? true) === false;
      const differs = !keepContent && (current === undefined || (r.secret ? current.content !== want : current.sha256 !== r.sha256));
      const attrs = planAttributes(
        { mode: setting(definition.mode, model), owner: setting(definition.owner, model), group: setting(definition.group, model) },
        current,
        'file',
        { principals: context.principals, upstreamChanged: context.upstreamChanged },
      );
      const difference: ManagedFileDifference = {
        path,
        ...(current ? { current } : { replaces: replacingLink ? 'link' : 'absent' }),
        ...(differs ? { content: { path: 'content', before: current ? (r.secret ? SECRET_MASK : `sha256:${current.sha256 ?? '?'}`) : null, after: r.secret ? SECRET_MASK : `sha256:${r.sha256}` } } : {}),
        attributes: attrs.changes,
      };
      const changes = (definition.changes ?? managedFileChanges)(difference, model);
      const shownWant = stream ? `(${stream.size} bytes of ${stream.controllerFile}, not shown)\n` : want;
      const diffs = differs ? [contentDiff(path, current, shownWant, r.secret, setting(definition.secretDiff, model))] : [];
      const write: ManagedFileWrite = {
        content: differs || replacingLink || (attrs.changes.length > 0 && definition.attributes === 'rewrite'),
        ...(attrs.mode !== undefined ? { mode: attrs.mode } : {}),
        ...(attrs.owner !== undefined ? { owner: attrs.owner } : {}),
        ...(attrs.group !== undefined ? { group: attrs.group } : {}),
      };
      const reason = keepContent ? `${path} exists and force is false` : `${path} already has this content and these attributes`;
      return finish(model, changes, diffs, write, context, reason);
    },
    apply(model, write) {
      const path = pathOf(model);
      const r = rendered(model);
      const validate = setting(definition.validate, model);
      const steps: Command[] = [];
      const attrs = {
        ...(write.mode !== undefined ? { mode: write.mode } : {}),
        ...(write.owner !== undefined ? { owner: write.owner } : {}),
        ...(write.group !== undefined ? { group: write.group } : {}),
      };
      if (write.remove) {
        steps.push({ script: sh`rm -f -- ${path}`, description: `remove ${path}` });
      } else if (write.content) {
        steps.push(
          ...writeFileSteps({
            path,
            followLinks: setting(definition.follow, model) ?? false,
            content: r.content,
            ...attrs,
            ...(validate !== undefined ? { validate } : {}),
            ...(setting(definition.backup, model) ? { backup: true } : {}),
          }),
        );
      } else {
        steps.push(...attributeSteps({ path, ...attrs }));
      }
      if (write.checkLive && validate !== undefined && !write.remove) steps.push(liveCheck(path, validate));
      if (write.reload) steps.push(...(definition.reload?.(model)?.steps ?? []));
      return steps;
    },
  };
}

/**
 * The default report of a managed file: `state` (a new file, one that replaces a link, or one
 * removed), `content`, then `mode`, `owner`, `group`, as `copy` shows them. A module with its own
 * words for some of them can start from this list.
 */
export function managedFileChanges(d: ManagedFileDifference): Change[] {
  const changes: Change[] = [];
  if (d.removes) changes.push({ path: 'state', before: d.removes, after: 'absent' });
  if (d.replaces) changes.push({ path: 'state', before: d.replaces, after: 'file' });
  if (d.content) changes.push(d.content);
  changes.push(...d.attributes);
  return changes;
}

function contentDiff(path: string, current: FileInfo | undefined, want: string, secret: boolean, shown: SecretDiff | undefined): FileDiff {
  const before = current ? (current.content ?? (current.contentTooLarge ? `(${current.size} bytes, not shown)\n` : '')) : null;
  // A mask applies whether the file holds a Secret now or not: a setting removed shows no former value.
  if (typeof shown === 'object') return fileDiff(path, before, want, shown);
  if (!secret) return fileDiff(path, before, want, 'none');
  return fileDiff(path, before, want, shown === 'changed-lines' && before !== null ? 'changed-lines' : 'all');
}

/** The live file checked again (something it reads changed): the validate command on its own path. */
function liveCheck(path: string, validate: string): Command {
  const command = raw(validate.split('%s').join(quote(path)));
  return {
    script: sh`out=$(${command} 2>&1) || { printf 'converge: %s refused after a file it reads changed (%s):\\n%s\\n' ${path} ${validate} "$out" >&2; exit 1; }`,
    description: `check ${path}`,
  };
}
