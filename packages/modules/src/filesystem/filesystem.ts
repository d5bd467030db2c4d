import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { shlexSplit } from '@converge/core';
import { blockDevice, mkfsProgram } from './device-facts.js';
import type { BlockDeviceState } from './device-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** File system types `filesystem` makes, and the Debian package of each mkfs. */
export const FILESYSTEM_TYPES = { ext2: 'e2fsprogs', ext3: 'e2fsprogs', ext4: 'e2fsprogs', xfs: 'xfsprogs', btrfs: 'btrfs-progs', vfat: 'dosfstools', swap: 'util-linux' } as const;

/** A file system type `filesystem` makes. */
export type FilesystemType = keyof typeof FILESYSTEM_TYPES;

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** JSON Schema of the `filesystem` params (Ansible's `community.general.filesystem`). */
export const FilesystemParams = Type.Object(
  {
    dev: Type.String({ pattern: '^/[^\\n]*$', description: 'The block device (or image file) to hold the file system, e.g. `/dev/vg0/data`.' }),
    fstype: Type.Optional(
      Type.Union([Type.Literal('ext2'), Type.Literal('ext3'), Type.Literal('ext4'), Type.Literal('xfs'), Type.Literal('btrfs'), Type.Literal('vfat'), Type.Literal('swap')], {
        description: 'File system type. Required unless state is absent.',
      }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: a file system of `fstype` is there (made when the device holds nothing); `absent`: every signature is wiped (wipefs -a).' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'Make the file system even when the device holds another file system or a partition table (their data is lost).' })),
    opts: Type.Optional(Type.String({ description: 'Options for mkfs, split as a shell would (no shell runs them), e.g. `-L data -m 1`. Only used when the file system is made.' })),
    resizefs: Type.Optional(Type.Boolean({ default: false, description: 'Grow the file system to the device when the device is larger (ext2/3/4: resize2fs, online or after e2fsck; xfs: xfs_growfs, mounted only). Never shrinks.' })),
    uuid: Type.Optional(Type.String({ pattern: UUID, description: 'UUID of the file system: given to mkfs, and set on an existing file system of this type when it differs (tune2fs -U, xfs_admin -U, swaplabel -U; unmounted for xfs). Lets a later `mount` name it as `UUID=…`.' })),
  },
  { additionalProperties: false },
);

/** Params of `filesystem`. */
export type FilesystemParams = Static<typeof FilesystemParams>;

/** Private plan data for apply. */
export interface FilesystemPlan {
  action?: 'mkfs' | 'wipe';
  grow?: 'ext' | 'xfs';
  mountpoint?: string;
  setUuid?: boolean;
}

/** Smallest gap (in file system blocks) worth growing into: xfs cannot add an allocation group under 64 blocks. */
const XFS_MIN_GROW_BLOCKS = 64;

/** The mkfs argv for a new file system (force flags included: the plan already checked what is there). */
export function mkfsCommand(p: FilesystemParams): string[] {
  const fstype = p.fstype as FilesystemType;
  const argv = [mkfsProgram(fstype)];
  if (fstype.startsWith('ext')) argv.push('-F');
  if (fstype === 'xfs' || fstype === 'btrfs' || fstype === 'swap') argv.push('-f');
  if (p.uuid !== undefined) {
    if (fstype === 'xfs') argv.push('-m', `uuid=${p.uuid}`);
    else if (fstype !== 'vfat') argv.push('-U', p.uuid);
  }
  argv.push(...shlexSplit(p.opts ?? ''));
  argv.push(p.dev);
  return argv;
}

function describeContent(d: BlockDeviceState): string {
  if (d.signature.type) return `a ${d.signature.type} file system`;
  if (d.signature.pttype) return `a ${d.signature.pttype} partition table`;
  return 'nothing';
}

/**
 * Module `filesystem`: a file system of a type on a device, made with its mkfs when the device
 * holds nothing (as Ansible's `community.general.filesystem`), grown to the device with
 * `resizefs`, its UUID set with `uuid`, or wiped with `state: absent`.
 *
 * A device that holds another file system or a partition table is refused unless `force`; a
 * mounted device is never reformatted or wiped. Signatures are read with `blkid -p` (no cache).
 * A device an earlier task of the play creates (a logical volume, a partition) is predicted in
 * check mode rather than refused. The target needs the mkfs of the type (e2fsprogs, xfsprogs,
 * btrfs-progs, dosfstools; util-linux for swap).
 *
 * Differences from Ansible: `opts` applies at creation only (as Ansible); resizing btrfs, vfat and
 * swap is not offered (refused with an error); a partition table counts as content.
 *
 * @example
 * filesystem({ dev: '/dev/vg0/data', fstype: 'xfs', uuid: '6b1f0a52-8f3e-4c1e-9a55-0c1d2e3f4a5b' })
 */
export const filesystem = defineModule({
  name: 'filesystem',
  description: 'Make, grow or wipe a file system on a block device.',
  params: FilesystemParams,
  validate: (p) => {
    if ((p.state ?? 'present') === 'present' && p.fstype === undefined) return 'state present needs fstype';
    try {
      shlexSplit(p.opts ?? '');
    } catch (e) {
      return `opts: ${(e as Error).message}`;
    }
    if (p.resizefs && p.fstype !== undefined && !['ext2', 'ext3', 'ext4', 'xfs'].includes(p.fstype)) return `resizefs: growing ${p.fstype} is not supported (ext2/3/4 and xfs are)`;
    if (p.uuid !== undefined && p.fstype === 'vfat') return 'uuid: vfat has a volume id, not a UUID';
    return undefined;
  },
  facts: (p) => ({ device: blockDevice({ dev: p.dev, ...(p.fstype !== undefined ? { fstype: p.fstype } : {}) }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const d = facts.device;
    const changes: Change[] = [];
    const data: FilesystemPlan = {};
    if ((p.state ?? 'present') === 'absent') {
      if (d.kind === 'none' || (!d.signature.type && !d.signature.pttype)) return { changes, reason: `${p.dev} holds no signature` };
      // In check mode after an earlier change (an unmount), the probe is out of date: the run checks again.
      requirePrerequisite(!d.mountpoint && !d.swapOn, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `filesystem: ${p.dev} is in use (${d.mountpoint ? `mounted on ${d.mountpoint}` : 'active swap'}); it is not wiped`, { hint: 'unmount it first (mount: state absent)' }));
      data.action = 'wipe';
      changes.push({ path: 'fstype', before: d.signature.type ?? d.signature.pttype, after: null });
      return { changes, data };
    }
    const fstype = p.fstype as FilesystemType;
    if (d.kind === 'none') {
      requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `filesystem: ${p.dev} does not exist`, { hint: 'check the device path, or create it (lvol, parted) in an earlier task' }));
      data.action = 'mkfs';
      changes.push({ path: 'fstype', before: null, after: `${fstype} (on a device an earlier task makes; known after it runs)` });
      return { changes, data, unknown: `${p.dev} is made by an earlier task` };
    }
    requirePrerequisite(d.mkfs !== false || (d.signature.type === fstype && !p.resizefs && p.uuid === undefined), upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `filesystem: ${mkfsProgram(fstype)} is not installed on this host`, { hint: `install it first: apt({ name: '${FILESYSTEM_TYPES[fstype]}' })` }),
    );
    if (d.signature.type !== fstype) {
      const there = describeContent(d);
      requirePrerequisite(!d.mountpoint && !d.swapOn, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `filesystem: ${p.dev} holds ${there} in use (${d.mountpoint ? `mounted on ${d.mountpoint}` : 'active swap'}); it is not reformatted`));
      requirePrerequisite(there === 'nothing' || p.force === true, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `filesystem: ${p.dev} holds ${there}, not ${fstype}; it is not reformatted`, { hint: 'give force: true to make the new file system anyway (its data is lost)' }),
      );
      data.action = 'mkfs';
      changes.push({ path: 'fstype', before: d.signature.type ?? d.signature.pttype ?? null, after: fstype });
      return { changes, data };
    }
    if (p.uuid !== undefined && d.signature.uuid?.toLowerCase() !== p.uuid.toLowerCase()) {
      if (fstype === 'xfs' && d.mountpoint) throw new ConvergeError('CONVERGE_PLAN', `filesystem: the UUID of a mounted xfs (${p.dev} on ${d.mountpoint}) cannot be changed`, { hint: 'unmount it first' });
      data.setUuid = true;
      changes.push({ path: 'uuid', before: d.signature.uuid ?? null, after: p.uuid });
    }
    if (p.resizefs && d.size !== undefined && d.fsSize !== undefined) {
      const block = d.fsBlockSize ?? 4096;
      const min = fstype === 'xfs' ? XFS_MIN_GROW_BLOCKS * block : block;
      if (d.size - d.fsSize >= min) {
        if (fstype === 'xfs' && !d.mountpoint) throw new ConvergeError('CONVERGE_PLAN', `filesystem: xfs grows only while mounted (xfs_growfs), and ${p.dev} is not mounted`, { hint: 'mount it first (mount: state mounted)' });
        data.grow = fstype === 'xfs' ? 'xfs' : 'ext';
        if (d.mountpoint) data.mountpoint = d.mountpoint;
        changes.push({ path: 'size', before: d.fsSize, after: d.size });
      }
    }
    if (changes.length === 0) return { changes, reason: `${p.dev} holds ${fstype}${p.resizefs ? ' as large as the device' : ''}` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    if (d.action === 'wipe') return [{ script: sh`wipefs -a -- ${p.dev}`, description: `wipe ${p.dev}` }];
    if (d.action === 'mkfs') return [{ script: sh`${mkfsCommand(p)}`, description: `${mkfsProgram(p.fstype as string)} ${p.dev}` }];
    const steps: Command[] = [];
    if (d.setUuid) {
      const uuid = p.uuid as string;
      const cmd = p.fstype === 'xfs' ? sh`xfs_admin -U ${uuid} ${p.dev}` : p.fstype === 'swap' ? sh`swaplabel -U ${uuid} ${p.dev}` : p.fstype === 'btrfs' ? sh`btrfstune -f -U ${uuid} ${p.dev}` : sh`tune2fs -U ${uuid} ${p.dev}`;
      steps.push({ script: cmd, description: `set the UUID of ${p.dev}` });
    }
    if (d.grow === 'xfs') steps.push({ script: sh`xfs_growfs -d ${d.mountpoint as string}`, description: `grow xfs on ${d.mountpoint}` });
    if (d.grow === 'ext') {
      // resize2fs refuses an unmounted file system that was not checked since its last mount.
      const check = d.mountpoint ? sh`:` : sh`e2fsck -f -p ${p.dev}; rc=$?; [ "$rc" -le 1 ] || exit "$rc"`;
      steps.push({ script: sh`${check}\nresize2fs ${p.dev}`, description: `grow ${p.fstype} on ${p.dev}` });
    }
    return steps;
  },
  resources: (p) => [p.dev, 'block-devices'],
});
