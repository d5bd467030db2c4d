import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import { blockDevice } from '../filesystem/device-facts.js';
import { editFstab, parseFstab, renderFstabLine } from '../mount/fstab.js';
import type { FstabEntry } from '../mount/fstab.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** JSON Schema of the `swapfile` params. */
export const SwapfileParams = Type.Object(
  {
    path: Type.String({ pattern: '^/(?!.*\\n)(.*[^/])?$', description: 'The swap file, an absolute path on a file system that supports swap files (ext4, xfs; not overlayfs or tmpfs).' }),
    size: Type.Optional(
      Type.Union([Type.Integer({ minimum: 40960 }), Type.String({ pattern: '^[1-9][0-9]*[KMGT]?$' })], {
        description: 'Size in bytes, or with a binary unit as fallocate(1) reads it: `512M`, `2G`. Required unless state is absent. A file of another size is made again.',
      }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: the file exists with this size, is a swap area, is in use and in fstab; `absent`: swapped off, out of fstab and removed.' })),
    priority: Type.Optional(Type.Integer({ minimum: -1, maximum: 32767, description: 'Swap priority (swapon -p, fstab `pri=`); absent: the kernel chooses.' })),
    fstab: Type.Optional(Type.Boolean({ default: true, description: 'Keep an entry in /etc/fstab so that the swap is used after a reboot.' })),
  },
  { additionalProperties: false },
);

/** Params of `swapfile`. */
export type SwapfileParams = Static<typeof SwapfileParams>;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The size in bytes of a `size` param. */
export function swapSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+)([KMGT]?)$/.exec(size) as RegExpExecArray;
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/** Private plan data for apply. */
export interface SwapfilePlan {
  swapoff: boolean;
  create: boolean;
  mkswap: boolean;
  chmod: boolean;
  fstab?: string;
  swapon: boolean;
  remove: boolean;
}

const FSTAB = '/etc/fstab';

/**
 * Module `swapfile`: a swap file of a size, made with fallocate(1) (dd(1) where the file system
 * has no fallocate), mode 0600, set up with mkswap(8), in use (swapon(8)) with an optional
 * priority, and in /etc/fstab as `PATH none swap sw[,pri=N] 0 0` so that it is used after a
 * reboot. A file of another size is swapped off and made again. Ansible has no module for this
 * (playbooks chain `command` tasks); the fstab entry is edited with the same code as `mount`.
 *
 * A file at the path that is not a swap area is refused rather than overwritten.
 *
 * @example
 * swapfile({ path: '/swapfile', size: '2G' })
 */
export const swapfile = defineModule({
  name: 'swapfile',
  description: 'A swap file of a size, in use and in /etc/fstab.',
  params: SwapfileParams,
  validate: (p) => ((p.state ?? 'present') === 'present' && p.size === undefined ? 'state present needs size' : undefined),
  facts: (p) => ({ file: fileState({ path: p.path }), swap: blockDevice({ dev: p.path }), fstab: fileState({ path: FSTAB, content: true }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const file = facts.file;
    const swap = facts.swap;
    const fstab = facts.fstab;
    const present = (p.state ?? 'present') === 'present';
    const text = fstab.target?.content !== undefined ? Buffer.from(fstab.target.content, 'latin1').toString('utf8') : '';
    const mine = (e: FstabEntry) => e.spec === p.path && e.vfstype === 'swap';
    const opts = p.priority !== undefined ? `sw,pri=${p.priority}` : 'sw';
    const line = present && (p.fstab ?? true) ? renderFstabLine({ spec: p.path, file: 'none', vfstype: 'swap', mntops: opts }) : null;
    const next = editFstab(text, mine, line);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: SwapfilePlan = { swapoff: false, create: false, mkswap: false, chmod: false, swapon: false, remove: false };
    if (!present) {
      if (swap.swapOn) {
        data.swapoff = true;
        changes.push({ path: 'active', before: true, after: false });
      }
      if (file.type !== 'absent') {
        data.remove = true;
        changes.push({ path: 'state', before: file.type, after: 'absent' });
      }
    } else {
      const size = swapSize(p.size as number | string);
      if (file.type === 'absent') {
        requirePrerequisite(file.parentExists, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `swapfile: the directory of ${p.path} does not exist`, { hint: 'create it first (file: state directory), or mount its file system' }));
        data.create = data.mkswap = data.swapon = true;
        changes.push({ path: 'state', before: 'absent', after: `swap file of ${size} bytes` });
      } else {
        if (file.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `swapfile: ${p.path} is a ${file.type}, not a file`);
        if (swap.signature.type !== 'swap' && !swap.swapOn) {
          throw new ConvergeError('CONVERGE_PLAN', `swapfile: ${p.path} exists and is not a swap area; it is not overwritten`, { hint: 'remove it, or choose another path' });
        }
        if (file.target?.size !== size) {
          data.swapoff = swap.swapOn;
          data.create = data.mkswap = data.swapon = true;
          changes.push({ path: 'size', before: file.target?.size ?? null, after: size });
        } else {
          if (file.target?.mode !== '0600') {
            data.chmod = true;
            changes.push({ path: 'mode', before: file.target?.mode ?? null, after: '0600' });
          }
          if (!swap.swapOn) {
            data.swapon = true;
            changes.push({ path: 'active', before: false, after: true });
          } else if (p.priority !== undefined && swap.swapPriority !== p.priority) {
            data.swapoff = data.swapon = true;
            changes.push({ path: 'priority', before: swap.swapPriority ?? null, after: p.priority });
          }
        }
      }
    }
    if (next !== text) {
      data.fstab = next;
      const old = parseFstab(text).find(mine);
      changes.push({ path: 'fstab', before: old ? `${old.spec} ${old.mntops}` : null, after: line === null ? null : `${p.path} ${opts}` });
      diffs.push(fileDiff(FSTAB, text, next));
    }
    if (changes.length === 0) return { changes, reason: present ? `${p.path} is an active swap file of this size` : `${p.path} is no swap file` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.swapoff) steps.push({ script: sh`swapoff -- ${p.path}`, description: `swapoff ${p.path}` });
    if (d.create) {
      const size = swapSize(p.size as number | string);
      steps.push({
        script: sh`rm -f -- ${p.path}; (umask 077 && fallocate -l ${size} -- ${p.path} 2>/dev/null) || { rm -f -- ${p.path}; (umask 077 && dd if=/dev/zero of=${p.path} bs=4096 count=${Math.ceil(size / 4096)} status=none); }
chmod 0600 -- ${p.path}`,
        description: `create ${p.path}`,
      });
    }
    if (d.chmod) steps.push({ script: sh`chmod 0600 -- ${p.path}`, description: `chmod ${p.path}` });
    if (d.mkswap) steps.push({ script: sh`mkswap -- ${p.path} >/dev/null`, description: `mkswap ${p.path}` });
    if (d.fstab !== undefined) steps.push(...writeFileSteps({ path: FSTAB, followLinks: true, content: new Uint8Array(Buffer.from(d.fstab, 'utf8')) }));
    if (d.swapon) steps.push({ script: p.priority !== undefined ? sh`swapon -p ${p.priority} -- ${p.path}` : sh`swapon -- ${p.path}`, description: `swapon ${p.path}` });
    if (d.remove) steps.push({ script: sh`rm -f -- ${p.path}`, description: `remove ${p.path}` });
    return steps;
  },
  resources: (p) => [p.path, FSTAB, 'block-devices'],
});
