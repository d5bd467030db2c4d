import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { shlexSplit } from '@converge/core';
import { LVM_NAME } from './lvg.js';
import { lvmLogicalVolume, lvmVolumeGroup } from './lvm-facts.js';
import type { VolumeGroup } from './lvm-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const SIZE = '^([0-9]+(\\.[0-9]+)?[bBsSkKmMgGtTpPeE]?|[0-9]+%(VG|PVS|FREE))$';

/** JSON Schema of the `lvol` params (Ansible's `community.general.lvol`). */
export const LvolParams = Type.Object(
  {
    vg: Type.String({ pattern: LVM_NAME, description: 'The volume group.' }),
    lv: Type.String({ pattern: LVM_NAME, description: 'The logical volume.' }),
    size: Type.Optional(
      Type.String({
        pattern: SIZE,
        description:
          'Size as lvcreate reads `-L` (a number in MiB, or with a unit b, s, k, m, g, t, p, e: powers of 1024 whatever the case), or a share as `-l` reads it: `50%VG`, `100%PVS`, `100%FREE` (`%FREE` only when the volume is created). Required when the volume is created. Relative sizes (`+10G`) are refused: they would grow on every run.',
      }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: the volume exists with this size; `absent`: removed (needs `force`).' })),
    active: Type.Optional(Type.Boolean({ default: true, description: 'Whether the volume is active (its device node exists).' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'Allow what loses data: shrinking (with `shrink`) and removing.' })),
    shrink: Type.Optional(Type.Boolean({ default: true, description: 'Shrink a volume larger than `size` (needs `force`); false leaves larger volumes alone.' })),
    resizefs: Type.Optional(Type.Boolean({ default: false, description: 'Resize the file system with the volume (lvresize --resizefs, through fsadm(8)).' })),
    opts: Type.Optional(Type.String({ description: 'More options for lvcreate, split as a shell would, e.g. `--type raid1 -m 1`.' })),
    pvs: Type.Optional(Type.Array(Type.String({ pattern: '^/[^\\n]*$' }), { description: 'Physical volumes to allocate from when the volume is created or grown.' })),
  },
  { additionalProperties: false },
);

/** Params of `lvol`. */
export type LvolParams = Static<typeof LvolParams>;

const UNIT: Record<string, number> = { b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** A parsed `size`: bytes, or a percentage of a base. */
export type LvSize = { bytes: number } | { percent: number; of: 'VG' | 'PVS' | 'FREE' };

/** Parses a `size` param (default unit MiB; units binary whatever their case, as lvm(8) reads them). */
export function parseLvSize(size: string): LvSize {
  const pct = /^(\d+)%(VG|PVS|FREE)$/.exec(size);
  if (pct) return { percent: Number(pct[1]), of: pct[2] as 'VG' | 'PVS' | 'FREE' };
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]?)$/.exec(size) as RegExpExecArray;
  return { bytes: Number(m[1]) * (UNIT[(m[2] || 'm').toLowerCase()] as number) };
}

/** The size in bytes a volume gets in `vg` (rounded up to whole extents), or undefined for `%FREE`. */
export function wantedBytes(size: LvSize, vg: VolumeGroup): number | undefined {
  if ('bytes' in size) return Math.ceil(size.bytes / vg.extentSize) * vg.extentSize;
  if (size.of === 'FREE') return undefined;
  const extents = vg.size / vg.extentSize;
  return Math.floor((extents * size.percent) / 100) * vg.extentSize;
}

/** Private plan data for apply. */
export interface LvolPlan {
  create: boolean;
  remove: boolean;
  resize?: 'extend' | 'reduce';
  bytes?: number;
  activate?: boolean;
}

/**
 * Module `lvol`: an LVM logical volume of a size, as Ansible's `community.general.lvol`: created
 * (lvcreate), grown (lvextend) or shrunk (lvreduce, only with `force`), with its file system
 * when `resizefs` (fsadm(8): resize2fs, xfs_growfs), activated or deactivated (lvchange), or
 * removed (lvremove, only with `force`). Sizes are compared in whole extents.
 *
 * On a host where LVM's activation is disabled (`global/activation = 0`, for example where the
 * kernel has no device-mapper), the activation state is unknown and is not changed.
 *
 * Differences from Ansible: relative sizes (`+10G`) and `%ORIGIN`, snapshots and thin pools are
 * not offered (refused by the params); `%FREE` sizes a volume when it is created only.
 *
 * @example
 * lvol({ vg: 'data', lv: 'pg', size: '20g', resizefs: true })
 */
export const lvol = defineModule({
  name: 'lvol',
  description: 'An LVM logical volume of a size, active or not.',
  params: LvolParams,
  validate: (p) => {
    try {
      shlexSplit(p.opts ?? '');
    } catch (e) {
      return `opts: ${(e as Error).message}`;
    }
    return undefined;
  },
  facts: (p) => ({ lvm: lvmVolumeGroup({ vg: p.vg }), lv: lvmLogicalVolume({ vg: p.vg, lv: p.lv }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const s = facts.lvm;
    const lv = facts.lv;
    const changes: Change[] = [];
    const data: LvolPlan = { create: false, remove: false };
    const present = (p.state ?? 'present') === 'present';
    if (!present) {
      if (!lv) return { changes, reason: `no logical volume ${p.vg}/${p.lv}` };
      if (!p.force) throw new ConvergeError('CONVERGE_PLAN', `lvol: removing ${p.vg}/${p.lv} loses its data; give force: true to remove it`);
      data.remove = true;
      changes.push({ path: 'lv', before: `${p.vg}/${p.lv}`, after: null });
      return { changes, data };
    }
    if (!s.tools || !s.vg) {
      requirePrerequisite(false, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', s.tools ? `lvol: no volume group ${p.vg}` : 'lvol: the LVM tools are not installed on this host', { hint: s.tools ? 'create it first (lvg)' : "install them first: apt({ name: 'lvm2' })" }),
      );
      if (p.size === undefined) throw new ConvergeError('CONVERGE_PLAN', `lvol: ${p.vg}/${p.lv} is created, which needs size`);
      data.create = true;
      changes.push({ path: 'lv', before: null, after: `${p.vg}/${p.lv} ${p.size} (in a volume group an earlier task makes; known after it runs)` });
      return { changes, data, unknown: 'the volume group (or the LVM tools) comes from an earlier task' };
    }
    const size = p.size === undefined ? undefined : parseLvSize(p.size);
    if (!lv) {
      if (size === undefined) throw new ConvergeError('CONVERGE_PLAN', `lvol: ${p.vg}/${p.lv} does not exist, and creating it needs size`);
      data.create = true;
      const bytes = wantedBytes(size, s.vg);
      changes.push({ path: 'lv', before: null, after: `${p.vg}/${p.lv} ${bytes ?? p.size}${bytes !== undefined ? ' bytes' : ''}${p.active === false ? ', inactive' : ''}` });
      return { changes, data };
    }
    const bytes = size === undefined ? undefined : wantedBytes(size, s.vg);
    if (bytes !== undefined && Math.abs(bytes - lv.size) >= s.vg.extentSize) {
      if (bytes > lv.size) {
        const free = s.vg.free;
        requirePrerequisite(bytes - lv.size <= free, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `lvol: ${p.vg}/${p.lv} cannot grow to ${bytes} bytes: the volume group has ${free} bytes free`, { hint: 'add a physical volume (lvg pvs)' }));
        data.resize = 'extend';
      } else if (p.shrink ?? true) {
        if (!p.force) throw new ConvergeError('CONVERGE_PLAN', `lvol: shrinking ${p.vg}/${p.lv} from ${lv.size} to ${bytes} bytes loses data beyond the new size; give force: true to shrink it, or shrink: false to leave it`);
        data.resize = 'reduce';
      }
      if (data.resize) {
        data.bytes = bytes;
        changes.push({ path: 'size', before: lv.size, after: bytes });
      }
    }
    const wantActive = p.active ?? true;
    if (lv.active !== 'unknown' && lv.active !== wantActive) {
      data.activate = wantActive;
      changes.push({ path: 'active', before: lv.active, after: wantActive });
    }
    if (changes.length === 0) return { changes, reason: `${p.vg}/${p.lv} is ${lv.size} bytes${lv.active === 'unknown' ? ' (activation state unknown: LVM activation is disabled here)' : lv.active ? ', active' : ', inactive'}` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const name = `${p.vg}/${p.lv}`;
    if (d.remove) return [{ script: sh`lvremove -y -f -- ${name}`, description: `remove ${name}` }];
    const steps: Command[] = [];
    if (d.create) {
      const size = parseLvSize(p.size as string);
      const sizeArgs = 'bytes' in size ? ['-L', `${Math.round(size.bytes)}b`] : ['-l', p.size as string];
      const inactive = p.active === false ? ['-a', 'n', '-Z', 'n'] : [];
      steps.push({ script: sh`${['lvcreate', '-y', '-n', p.lv, ...sizeArgs, ...inactive, ...shlexSplit(p.opts ?? ''), '--', p.vg, ...(p.pvs ?? [])]}`, description: `lvcreate ${name}` });
      return steps;
    }
    if (d.resize) {
      const tool = d.resize === 'extend' ? 'lvextend' : 'lvreduce';
      const fs = p.resizefs ? ['--resizefs'] : [];
      const force = d.resize === 'reduce' ? ['-f'] : [];
      const argv = [tool, '-y', ...force, ...fs, '-L', `${d.bytes}b`, '--', name, ...(d.resize === 'extend' ? (p.pvs ?? []) : [])];
      steps.push({ script: sh`${argv}`, description: `${tool} ${name}` });
    }
    if (d.activate !== undefined) steps.push({ script: sh`lvchange -a ${d.activate ? 'y' : 'n'} -- ${name}`, description: `${d.activate ? 'activate' : 'deactivate'} ${name}` });
    return steps;
  },
  resources: (p) => [`lvm:${p.vg}`, `/dev/${p.vg}/${p.lv}`, 'block-devices'],
});
