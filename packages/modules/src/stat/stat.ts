import { defineModule, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { fileState } from '../file/file-state.js';
import type { FileState } from '../file/file-state.js';
import { predictingEarlierChanges } from '../check-mode/earlier-changes.js';

/** Params of {@link stat}. */
export const StatParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'The path to describe.' }),
    follow: Type.Optional(Type.Boolean({ default: false, description: 'Describe what a symlink points to instead of the link.' })),
    get_checksum: Type.Optional(Type.Boolean({ default: true, description: 'Include `checksum` (sha256 of a regular file).' })),
    checksum_algorithm: Type.Optional(Type.Literal('sha256', { default: 'sha256', description: 'Only sha256 (Ansible defaults to sha1, which converge does not compute).' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof StatParams>;

/**
 * The `stat` result in Ansible's shape (`stat.exists`, `isdir`, `isreg`, `islnk`, `mode`, `uid`,
 * `gid`, `pw_name`, `gr_name`, `size`, `inode`, `checksum`, `lnk_source`, `lnk_target`) from a
 * `file.state` value. Times, `dev` and the other stat(2) fields Ansible adds are not given.
 */
export function statResult(s: FileState, p: P): Record<string, unknown> {
  if (s.type === 'absent') return { exists: false, path: p.path };
  const link = s.type === 'link';
  const t = s.target;
  const self = !link || (p.follow ?? false);
  if (self && !t) return { exists: false, path: p.path, islnk: false, broken_link: true, lnk_target: s.linkTarget };
  const base: Record<string, unknown> = { exists: true, path: p.path };
  if (link && !(p.follow ?? false)) {
    return { ...base, islnk: true, isdir: false, isreg: false, lnk_target: s.linkTarget, lnk_source: s.realPath, pw_name: s.linkOwner, gr_name: s.linkGroup };
  }
  if (!t) return base;
  return {
    ...base,
    islnk: false,
    isdir: t.type === 'directory',
    isreg: t.type === 'file',
    mode: t.mode,
    uid: t.uid,
    gid: t.gid,
    pw_name: t.owner,
    gr_name: t.group,
    size: t.size,
    inode: Number(t.inode.split(':')[1]),
    ...(t.type === 'file' && (p.get_checksum ?? true) && t.sha256 !== undefined ? { checksum: t.sha256 } : {}),
    ...(link ? { lnk_source: s.realPath, lnk_target: s.linkTarget } : {}),
  };
}

/**
 * Reads what is at a path (Ansible's `ansible.builtin.stat`) for later tasks: it changes nothing,
 * its `file.state` fact joins the host's one probe, and the result is registered as Ansible's
 * (`register: 'conf'` then `when: (c) => c.registered('conf')?.stat.exists`). In check mode the
 * result is read from the host as it is before the run.
 *
 * @example stat({ path: '/etc/app/app.conf' }, { register: 'conf' })
 */
export const stat = defineModule({
  name: 'stat',
  description: 'Read the type, mode, owner, size and checksum of a path, for later tasks.',
  params: StatParams,
  facts: (p) => ({ path: fileState({ path: p.path }) }),
  plan: ({ params: p, facts, host, upstreamChanged }) => {
    const result = statResult(facts.path, p);
    // Check mode: an earlier task would change the path, which the host cannot show yet.
    if (predictingEarlierChanges({ host, upstreamChanged })) return { changes: [], reason: `check mode: ${p.path} as it is before earlier tasks change it`, result: { stat: result, before_earlier_changes: true } };
    return { changes: [], reason: result.exists ? `${p.path} exists` : `${p.path} does not exist`, result: { stat: result } };
  },
  apply: () => [],
  resources: () => [],
});
