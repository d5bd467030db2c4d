import { ConvergeError, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { attributeSteps } from './atomic-write.js';
import { attributeParams, planAttributes, principalOperand, samePrincipal, validateAttributes } from './file-attributes.js';
import { principalFacts } from './principals.js';
import type { FilePrincipals } from './principals.js';
import { fileState } from './file-state.js';
import type { FileInfo, FileState } from './file-state.js';
import { formatMode, mustParseMode, parseMode } from './mode.js';
import { posix } from 'node:path';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Params of {@link file}. */
export const FileParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'Path to manage.' }),
    state: Type.Optional(
      Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('link'), Type.Literal('hard'), Type.Literal('absent'), Type.Literal('touch')], {
        description:
          'file: an existing file gets the attributes (never created); directory: created with parents; link/hard: a symbolic/hard link to src; absent: removed (recursively); touch: created empty when missing (timestamps are left alone). Default: the current type, file when missing.',
      }),
    ),
    src: Type.Optional(Type.String({ minLength: 1, description: 'Target of a link (state link: stored as written, relative to the link\'s directory; state hard: an absolute path).' })),
    recurse: Type.Optional(Type.Boolean({ default: false, description: 'state directory: apply owner, group and an absolute mode to everything below too.' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'state link/hard: replace an existing regular file by the link.' })),
    follow: Type.Optional(Type.Boolean({ default: true, description: "When path is a symlink, apply mode/owner/group to its target (false: owner/group of the link itself)." })),
    ...attributeParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof FileParams>;
type Wanted = 'file' | 'directory' | 'link' | 'hard' | 'absent' | 'touch';

function validateFile(p: P): string | undefined {
  const state = p.state;
  if ((state === 'link' || state === 'hard') && p.src === undefined) return `src is required with state ${state}`;
  if (p.src !== undefined && state !== 'link' && state !== 'hard') return 'src is only used with state link or hard';
  if (state === 'hard' && p.src !== undefined && !p.src.startsWith('/')) return 'src of a hard link must be an absolute path';
  if (state === 'link' && p.mode !== undefined) return 'mode cannot be set on a symlink (Linux ignores it); set it on the target with state file';
  if (p.recurse && state !== 'directory') return 'recurse is only used with state directory';
  if (p.recurse && p.mode !== undefined) {
    const spec = parseMode(p.mode);
    if (!('error' in spec) && spec.kind === 'symbolic') return 'recurse needs an octal mode (a symbolic mode would differ between files and directories)';
  }
  return validateAttributes(p);
}

interface FileData {
  steps: 'create' | 'replace' | 'remove' | 'none';
  mode?: string;
  owner?: string;
  group?: string;
  recurse?: boolean;
  noFollow?: boolean;
}

function attrs(a: { mode?: string; owner?: string; group?: string }): { mode?: string; owner?: string; group?: string } {
  return { ...(a.mode !== undefined ? { mode: a.mode } : {}), ...(a.owner !== undefined ? { owner: a.owner } : {}), ...(a.group !== undefined ? { group: a.group } : {}) };
}

function fail(msg: string, hint?: string): never {
  throw new ConvergeError('CONVERGE_PLAN', `file: ${msg}`, hint ? { hint } : {});
}

/**
 * Manages a path's kind and attributes: an existing file's mode/owner/group, a directory, a
 * symbolic or hard link, a removed path, or an empty file created when missing.
 *
 * Source: Ansible `ansible.builtin.file` documentation. Differences: `touch` only creates (it does
 * not update timestamps, so a second run reports no change); `recurse` needs an octal mode;
 * a link to a missing src is allowed; relative symbolic modes assume umask 022 when no `u/g/o/a`
 * is given.
 *
 * @example
 * file({ path: '/srv/app', state: 'directory', owner: 'app', mode: '0750' })
 */
export const file = defineModule({
  name: 'file',
  description: 'Manage a file, directory, link or removed path and its mode, owner and group.',
  params: FileParams,
  validate: validateFile,
  facts: (p) => {
    let recurse: { owner?: string | number; group?: string | number; mode?: string } | undefined;
    if (p.recurse) {
      const spec = p.mode === undefined ? undefined : mustParseMode(p.mode);
      recurse = {
        ...(p.owner !== undefined ? { owner: p.owner } : {}),
        ...(p.group !== undefined ? { group: p.group } : {}),
        ...(spec?.kind === 'absolute' ? { mode: formatMode(spec.bits) } : {}),
      };
    }
    return {
      path: fileState({ path: p.path, ...(recurse ? { recurse } : {}) }),
      src: p.state === 'hard' && p.src !== undefined ? fileState({ path: p.src }) : undefined,
      ...principalFacts(p),
    };
  },
  plan: ({ params: p, facts, upstreamChanged }) => {
    const s: FileState = facts.path;
    const known = { principals: facts.principals, upstreamChanged };
    const follow = p.follow ?? true;
    const wanted: Wanted = p.state ?? (s.type === 'directory' || (s.type === 'link' && follow && s.target?.type === 'directory') ? 'directory' : 'file');
    const changes: Change[] = [];
    const done = (data: FileData, reason: string) => (changes.length === 0 ? { changes, reason } : { changes, data });

    if (wanted === 'absent') {
      if (s.type === 'absent') return { changes, reason: `${p.path} does not exist` };
      changes.push({ path: 'state', before: s.type, after: 'absent' });
      return { changes, data: { steps: 'remove' } satisfies FileData };
    }

    if (wanted === 'link' || wanted === 'hard') {
      const src = p.src as string;
      let same: boolean;
      if (wanted === 'link') same = s.type === 'link' && s.linkTarget === src;
      else {
        const srcState = facts.src;
        requirePrerequisite(srcState?.target !== undefined, upstreamChanged, () => fail(`src ${src} of the hard link does not exist`));
        same = s.type !== 'absent' && s.type !== 'link' && s.target !== undefined && s.target.inode === srcState?.target?.inode;
      }
      if (!same) {
        if (s.type === 'directory') fail(`${p.path} is a directory; it cannot become a ${wanted === 'link' ? 'symlink' : 'hard link'}`);
        if ((s.type === 'file' || s.type === 'other') && !p.force) {
          fail(`refusing to replace the file ${p.path} by a ${wanted === 'link' ? 'symlink' : 'hard link'}`, 'set force: true to replace it');
        }
        changes.push({ path: 'state', before: s.type === 'link' ? `link -> ${s.linkTarget ?? '?'}` : s.type, after: wanted === 'link' ? `link -> ${src}` : `hard link to ${src}` });
      }
      // Attributes: a symlink's own owner/group (chown -h); a hard link shares the inode's attributes.
      if (wanted === 'link') {
        planAttributes({ ...(p.owner !== undefined ? { owner: p.owner } : {}), ...(p.group !== undefined ? { group: p.group } : {}) }, undefined, 'file', known);
        if (p.owner !== undefined && (!same || !linkHas(s, 'owner', p.owner, known.principals))) changes.push({ path: 'owner', before: same ? (s.linkOwner ?? null) : null, after: p.owner });
        if (p.group !== undefined && (!same || !linkHas(s, 'group', p.group, known.principals))) changes.push({ path: 'group', before: same ? (s.linkGroup ?? null) : null, after: p.group });
        return done({ steps: same ? 'none' : s.type === 'absent' ? 'create' : 'replace', noFollow: true, ...linkAttrs(p) }, `${p.path} already links to ${src}`);
      }
      const a = planAttributes(p, same ? s.target : facts.src?.target, 'file', known);
      changes.push(...a.changes);
      return done({ steps: same ? 'none' : s.type === 'absent' ? 'create' : 'replace', ...attrs(a) }, `${p.path} is already a hard link to ${src}`);
    }

    // file, directory, touch: attributes of the followed object (or of the link itself).
    const onLink = s.type === 'link';
    const info: FileInfo | undefined = onLink && !follow ? undefined : s.target;
    const kind = wanted === 'directory' ? 'directory' : 'file';
    if (onLink && !follow) {
      planAttributes({ ...(p.owner !== undefined ? { owner: p.owner } : {}), ...(p.group !== undefined ? { group: p.group } : {}) }, undefined, 'file', known);
      if (p.owner !== undefined && !linkHas(s, 'owner', p.owner, known.principals)) changes.push({ path: 'owner', before: s.linkOwner ?? null, after: p.owner });
      if (p.group !== undefined && !linkHas(s, 'group', p.group, known.principals)) changes.push({ path: 'group', before: s.linkGroup ?? null, after: p.group });
      return done({ steps: 'none', noFollow: true, ...linkAttrs(p) }, `${p.path} (the link) already has these attributes`);
    }
    let steps: FileData['steps'] = 'none';
    if (!info) {
      if (onLink) fail(`${p.path} is a dangling symlink (to ${s.linkTarget ?? '?'})`);
      if (wanted === 'file') {
        requirePrerequisite(false, upstreamChanged, () => fail(`${p.path} does not exist`, 'state file only changes an existing file: use touch to create an empty one, or copy/template'));
      } else {
        changes.push({ path: 'state', before: 'absent', after: kind });
        steps = 'create';
      }
    } else if (info.type !== kind && !(wanted === 'touch' && info.type !== 'directory')) {
      fail(`${p.path} is a ${info.type}, not a ${kind}`);
    } else if (wanted === 'touch' && info.type === 'directory') {
      fail(`${p.path} is a directory`);
    }
    const a = planAttributes(p, info, kind, known);
    changes.push(...a.changes);
    const recurse = wanted === 'directory' && (p.recurse ?? false) && (s.recurseDiffers ?? false);
    if (recurse) changes.push({ path: 'recurse', before: 'entries below differ', after: 'owner/group/mode applied below' });
    const planned = done({ steps, ...attrs(recurse ? { ...a, ...recurseAttrs(p) } : a), ...(recurse ? { recurse: true } : {}) }, `${p.path} is already a ${kind} with these attributes`);
    // `mkdir -p` also creates the missing parents: later tasks under them must see them.
    if (steps !== 'create' || wanted !== 'directory') return planned;
    // With the parent there, the new directory is all that changes: tasks writing into it can be
    // planned without a new probe (fileState's afterNewDirectories hint).
    return s.parentExists ? (isPlainPath(p.path) ? { ...planned, hints: { newDirectories: [p.path] } } : planned) : { ...planned, resources: ancestors(p.path) };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const wanted = p.state;
    const steps: Command[] = [];
    if (d.steps === 'remove') return [{ script: sh`rm -rf -- ${p.path}`, description: `remove ${p.path}` }];
    if (d.steps === 'create' || d.steps === 'replace') {
      if (wanted === 'link' || wanted === 'hard') {
        const ln = wanted === 'link' ? sh`ln -s -- ${p.src as string} "$tmp"` : sh`ln -- ${p.src as string} "$tmp"`;
        steps.push({
          script: sh`(\nset -e\np=${p.path}\ntmp="$(dirname -- "$p")/.converge-link-$$"\nrm -f -- "$tmp"\n${ln}\nmv -fT -- "$tmp" "$p"\n)`,
          description: `link ${p.path}`,
        });
      } else if (wanted === 'directory') {
        steps.push({ script: sh`mkdir -p -- ${p.path}`, description: `create directory ${p.path}` });
      } else {
        steps.push({ script: sh`(umask 022 && touch -- ${p.path})`, description: `create ${p.path}` });
      }
    }
    steps.push(...attributeSteps({ path: p.path, ...attrs(d), ...(d.noFollow ? { noFollow: true } : {}), ...(d.recurse ? { recurse: true } : {}) }));
    return steps;
  },
  resources: (p) => [p.path, ...(p.state === 'hard' && p.src !== undefined ? [p.src] : [])],
});

/** True for an absolute path without `.`, `..`, `//` or a trailing `/`. */
function isPlainPath(path: string): boolean {
  return path.startsWith('/') && path.length > 1 && posix.normalize(path) === path && !path.endsWith('/');
}

/** The proper ancestors of an absolute path, without `/` (`/a/b/c` -> `/a/b`, `/a`). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = posix.dirname(path); d !== '/' && d !== '.' && d !== posix.dirname(d); d = posix.dirname(d)) out.push(d);
  return out;
}

function recurseAttrs(p: P): { mode?: string; owner?: string; group?: string } {
  const spec = p.mode === undefined ? undefined : mustParseMode(p.mode);
  return attrs({
    ...(spec?.kind === 'absolute' ? { mode: formatMode(spec.bits) } : {}),
    ...(p.owner !== undefined ? { owner: principalOperand(p.owner) } : {}),
    ...(p.group !== undefined ? { group: principalOperand(p.group) } : {}),
  });
}

/** The owner and group of a symlink itself (chown -h), as chown operands. */
function linkAttrs(p: P): { owner?: string; group?: string } {
  return attrs({ ...(p.owner !== undefined ? { owner: principalOperand(p.owner) } : {}), ...(p.group !== undefined ? { group: principalOperand(p.group) } : {}) });
}

/** True when the symlink itself has the wanted owner (group). */
function linkHas(s: FileState, kind: 'owner' | 'group', wanted: string | number, principals: FilePrincipals | undefined): boolean {
  const name = kind === 'owner' ? s.linkOwner : s.linkGroup;
  const id = kind === 'owner' ? s.linkUid : s.linkGid;
  if (name === undefined) return false;
  return samePrincipal(name, id ?? Number.NaN, wanted, principals?.[kind]);
}
