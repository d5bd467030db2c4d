import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConvergeError, defineModule, sh, sha256Hex, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { requirePrincipals } from '../file/file-attributes.js';
import { chmodOperand, formatMode } from '../file/mode.js';
import { principalFacts } from '../file/principals.js';
import { treeState } from './tree-state.js';
import type { TreeEntry, TreeState } from './tree-state.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Params of {@link synchronize}. */
export const SynchronizeParams = Type.Object(
  {
    src: Type.String({ minLength: 1, description: "A directory on the controller (relative paths: the role's or playbook's files/, then its folder); its content is copied, not the directory itself." }),
    dest: Type.String({ pattern: '^/.*[^/]$', description: 'The directory on the host that receives the tree (created when missing).' }),
    delete: Type.Optional(Type.Boolean({ default: false, description: 'Remove what dest holds beyond src (except excluded paths).' })),
    exclude: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Paths relative to src to leave out, and to leave alone in dest (an entry excludes what is below it).' })),
    owner: Type.Optional(Type.String({ minLength: 1, description: 'Owner of everything written (default: the task user).' })),
    group: Type.Optional(Type.String({ minLength: 1, description: 'Group of everything written.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof SynchronizeParams>;

/** One entry of the controller's tree. */
export interface LocalEntry {
  path: string;
  type: 'file' | 'directory' | 'link';
  mode: string;
  sha256?: string;
  /** A file's bytes, base64. */
  content?: string;
  linkTarget?: string;
}

/** Prepared params: the controller's tree, read before connecting. */
export type SynchronizePrepared = P & { tree: LocalEntry[] };

function excluded(path: string, exclude: readonly string[]): boolean {
  return exclude.some((e) => path === e || path.startsWith(`${e.replace(/\/$/, '')}/`));
}

/**
 * Reads a controller directory tree: every entry's type, permission bits, sha256 and bytes, in
 * a stable order (parents before children).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when src is not a directory, or holds a special file.
 */
export function readLocalTree(root: string, exclude: readonly string[] = []): LocalEntry[] {
  const out: LocalEntry[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (excluded(path, exclude)) continue;
      if (name.includes('\n')) throw new ConvergeError('CONVERGE_PARAMS', `synchronize: ${join(root, path)}: names with a newline are not copied`);
      const full = join(root, path);
      // BigInt stats: a plain synchronous stat of a socket or FIFO here would stay in the buffer
      // Node's realpathSync reads for cached paths, and later require() calls would stop
      // resolving symlinks (nodejs/node#51142). BigInt stats have a buffer of their own.
      const st = lstatSync(full, { bigint: true });
      const mode = formatMode(Number(st.mode));
      if (st.isSymbolicLink()) out.push({ path, type: 'link', mode, linkTarget: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ path, type: 'directory', mode });
        walk(path);
      } else if (st.isFile()) {
        const bytes = readFileSync(full);
        out.push({ path, type: 'file', mode, sha256: sha256Hex(bytes), content: bytes.toString('base64') });
      } else throw new ConvergeError('CONVERGE_PARAMS', `synchronize: ${full} is neither a file, a directory nor a symlink`);
    }
  };
  walk('');
  return out;
}

/** What a tree copy must do, path by path. */
export interface TreePlan {
  mkdir: string[];
  write: string[];
  link: string[];
  chmod: string[];
  remove: string[];
}

/**
 * Compares the controller's tree with the host's (`tree.state`): entries to create or rewrite
 * (a different type is removed first), modes to set, and with `delete` what to remove (only the
 * topmost path of a removed subtree). Pure.
 */
export function diffTrees(local: readonly LocalEntry[], remote: TreeState, opts: { delete: boolean; exclude: readonly string[] }): TreePlan {
  const plan: TreePlan = { mkdir: [], write: [], link: [], chmod: [], remove: [] };
  const wanted = new Set(local.map((e) => e.path));
  const gone = new Set<string>();
  for (const e of local) {
    const r: TreeEntry | undefined = remote.entries[e.path];
    const under = [...gone].some((g) => e.path.startsWith(`${g}/`));
    const same = r !== undefined && !under && r.type === e.type;
    if (r && !same && !under) {
      plan.remove.push(e.path);
      gone.add(e.path);
    }
    if (e.type === 'directory') {
      if (!same) plan.mkdir.push(e.path);
      if (!same || r.mode !== e.mode) plan.chmod.push(e.path);
    } else if (e.type === 'file') {
      if (!same || r.sha256 !== e.sha256) plan.write.push(e.path);
      else if (r.mode !== e.mode) plan.chmod.push(e.path);
    } else if (!same || r.linkTarget !== e.linkTarget) {
      if (same) {
        plan.remove.push(e.path);
        gone.add(e.path);
      }
      plan.link.push(e.path);
    }
  }
  if (opts.delete) {
    for (const path of Object.keys(remote.entries).sort()) {
      if (wanted.has(path) || excluded(path, opts.exclude) || plan.remove.some((g) => path === g || path.startsWith(`${g}/`))) continue;
      plan.remove.push(path);
    }
  }
  return plan;
}

interface SyncData {
  createRoot: boolean;
  plan: TreePlan;
}

/**
 * Copies a controller directory tree to the host in ONE round trip (Ansible's `synchronize`, or
 * `copy` of a directory): the probe lists the host's tree with a sha256 per file, the plan
 * compares it with the controller's, and the apply is one script of steps (new directories,
 * each differing file written atomically with the controller file's mode, symlinks, modes, and
 * with `delete` the removal of what src does not hold). Compared by checksum always (as
 * rsync --checksum); times are not copied. No rsync on either side.
 *
 * @example synchronize({ src: 'site/', dest: '/srv/www/site', delete: true, exclude: ['uploads'] })
 */
export const synchronize = defineModule({
  name: 'synchronize',
  description: 'Copy a controller directory tree to the host (checksums, delete), in one round trip.',
  params: SynchronizeParams,
  prepare: (p, ctx): SynchronizePrepared => {
    const candidates = isAbsolute(p.src) ? [p.src] : [...ctx.searchPaths.files.map((d) => join(d, p.src)), join(ctx.baseDir, p.src)];
    const root = candidates.find((c) => {
      try {
        return lstatSync(c).isDirectory();
      } catch {
        return false;
      }
    });
    if (root === undefined) throw new ConvergeError('CONVERGE_PARAMS', `synchronize: src ${JSON.stringify(p.src)} is not a directory; looked in:\n  ${candidates.join('\n  ')}`);
    return { ...p, tree: readLocalTree(root, p.exclude ?? []) };
  },
  facts: (p) => ({ dest: treeState({ path: p.dest }), ...principalFacts(p) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const remote = facts.dest;
    if (remote.root === 'other') throw new ConvergeError('CONVERGE_PLAN', `synchronize: dest ${p.dest} is not a directory`);
    requirePrerequisite(remote.root !== 'absent' || remote.parentExists, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `synchronize: the parent directory of ${p.dest} does not exist`, { hint: 'create it first with file: { state: directory }' }));
    const plan = diffTrees(p.tree, remote, { delete: p.delete ?? false, exclude: p.exclude ?? [] });
    const changes: Change[] = [];
    const createRoot = remote.root === 'absent';
    if (createRoot) changes.push({ path: 'dest', before: 'absent', after: 'directory' });
    const add = (path: string, list: string[]) => {
      if (list.length > 0) changes.push({ path, before: null, after: list });
    };
    add('removed', plan.remove);
    add('directories', plan.mkdir);
    add('files', plan.write);
    add('links', plan.link);
    add('modes', plan.chmod.filter((c) => !plan.mkdir.includes(c)));
    if (changes.length === 0) return { changes, reason: `${p.dest} holds the ${p.tree.length} entries of ${p.src}` };
    requirePrincipals(p, { principals: facts.principals, upstreamChanged });
    return { changes, data: { createRoot, plan } satisfies SyncData };
  },
  apply: ({ params: p, plan: planned }) => {
    const { createRoot, plan } = planned.data;
    const at = (rel: string) => `${p.dest}/${rel}`;
    const byPath = new Map(p.tree.map((e) => [e.path, e]));
    const steps: Command[] = [];
    const owner = [p.owner, p.group].filter((x) => x !== undefined).join(':');
    if (createRoot) steps.push({ script: sh`mkdir -p -- ${p.dest}`, description: `create ${p.dest}` });
    if (plan.remove.length > 0) steps.push({ script: sh`rm -rf -- ${plan.remove.map(at)}`, description: `remove ${plan.remove.length} entries below ${p.dest}` });
    if (plan.mkdir.length > 0) steps.push({ script: sh`mkdir -- ${plan.mkdir.map(at)}`, description: `create ${plan.mkdir.length} directories` });
    for (const rel of plan.write) {
      const e = byPath.get(rel) as LocalEntry;
      steps.push(...writeFileSteps({ path: at(rel), followLinks: false, content: new Uint8Array(Buffer.from(e.content ?? '', 'base64')), mode: e.mode, ...(p.owner !== undefined ? { owner: p.owner } : {}), ...(p.group !== undefined ? { group: p.group } : {}) }));
    }
    for (const rel of plan.link) steps.push({ script: sh`ln -s -- ${byPath.get(rel)?.linkTarget ?? ''} ${at(rel)}`, description: `link ${at(rel)}` });
    for (const rel of plan.chmod) steps.push({ script: sh`chmod -- ${chmodOperand(byPath.get(rel)?.mode ?? '0755')} ${at(rel)}`, description: `mode of ${at(rel)}` });
    if (owner !== '' && (plan.mkdir.length > 0 || plan.link.length > 0 || createRoot)) {
      steps.push({ script: sh`chown -h -- ${owner} ${[...(createRoot ? [p.dest] : []), ...plan.mkdir.map(at), ...plan.link.map(at)]}`, description: 'owner of new directories and links' });
    }
    return steps;
  },
  resources: (p) => [p.dest],
});
