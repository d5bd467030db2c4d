import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { shlexSplit } from '@converge/core';
import { lvmVolumeGroup } from './lvm-facts.js';
import type { PhysicalVolume } from './lvm-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** A volume or volume group name LVM accepts (lvm(8) "VALID NAMES"). */
export const LVM_NAME = '^(?!-)(?!\\.{1,2}$)[A-Za-z0-9+_.-]{1,127}$';

/** JSON Schema of the `lvg` params (Ansible's `community.general.lvg`). */
export const LvgParams = Type.Object(
  {
    vg: Type.String({ pattern: LVM_NAME, description: 'Name of the volume group.' }),
    pvs: Type.Optional(Type.Array(Type.String({ pattern: '^/[^\\n]*$' }), { description: 'Devices that make up the group (made physical volumes first). Required when the group is created.' })),
    pesize: Type.Optional(Type.String({ pattern: '^[0-9]+[kKmMgG]?$', default: '4', description: 'Physical extent size, in MiB without a unit (lvm units: k, m, g). Used when the group is created.' })),
    pv_options: Type.Optional(Type.String({ description: 'More options for pvcreate, split as a shell would, e.g. `--dataalignment 1m`.' })),
    vg_options: Type.Optional(Type.String({ description: 'More options for vgcreate, split as a shell would.' })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: the group exists with exactly `pvs` (extended, and reduced by unused ones); `absent`: removed.' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'With state absent: remove the group even when it holds logical volumes (they are lost). With state present: make physical volumes of devices that hold another signature.' })),
    remove_extra_pvs: Type.Optional(Type.Boolean({ default: true, description: 'Remove from the group (vgreduce) the physical volumes not in `pvs`; one with allocated extents is refused (move them with pvmove first).' })),
    pvresize: Type.Optional(Type.Boolean({ default: false, description: 'Grow each physical volume to its device when the device grew (pvresize).' })),
  },
  { additionalProperties: false },
);

/** Params of `lvg`. */
export type LvgParams = Static<typeof LvgParams>;

/** Private plan data for apply. */
export interface LvgPlan {
  pvcreate: string[];
  create?: string[];
  extend: string[];
  reduce: string[];
  pvresize: string[];
  remove: boolean;
}

function options(text: string | undefined, name: string): string[] {
  try {
    return shlexSplit(text ?? '');
  } catch (e) {
    throw new ConvergeError('CONVERGE_PARAMS', `lvg: ${name}: ${(e as Error).message}`);
  }
}

/**
 * Module `lvg`: an LVM volume group made of exactly the given devices, as Ansible's
 * `community.general.lvg`: created (vgcreate, the devices made physical volumes with pvcreate),
 * extended with new devices (vgextend), reduced by devices no longer listed when none of their
 * extents is used (vgreduce), physical volumes grown to their devices (pvresize), or removed
 * (vgremove). Devices are compared by `readlink -f`, so `/dev/disk/by-id/…` names match.
 *
 * Refused before anything is written: a device in another group, a device with another
 * signature (a file system) unless `force`, removing a group that still holds logical volumes
 * unless `force`, reducing a physical volume that holds extents.
 *
 * Differences from Ansible: `pesize` and the options apply when the group is created (a
 * changed extent size is reported, not applied); `state: active/inactive` is `lvol`'s `active`.
 *
 * @example
 * lvg({ vg: 'data', pvs: ['/dev/sdb', '/dev/sdc'] })
 */
export const lvg = defineModule({
  name: 'lvg',
  description: 'An LVM volume group made of exactly the given devices.',
  params: LvgParams,
  validate: (p) => {
    if ((p.state ?? 'present') === 'present' && (p.pvs === undefined || p.pvs.length === 0)) return 'state present needs pvs';
    for (const [name, text] of [['pv_options', p.pv_options], ['vg_options', p.vg_options]] as const) {
      try {
        shlexSplit(text ?? '');
      } catch (e) {
        return `${name}: ${(e as Error).message}`;
      }
    }
    return undefined;
  },
  facts: (p) => ({ lvm: lvmVolumeGroup({ vg: p.vg, ...(p.pvs !== undefined ? { devices: p.pvs } : {}) }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const s = facts.lvm;
    const changes: Change[] = [];
    const data: LvgPlan = { pvcreate: [], extend: [], reduce: [], pvresize: [], remove: false };
    if (!s.tools) {
      requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'lvg: the LVM tools are not installed on this host', { hint: "install them first: apt({ name: 'lvm2' })" }));
      if ((p.state ?? 'present') === 'present') {
        data.create = [...(p.pvs ?? [])];
        data.pvcreate = [...(p.pvs ?? [])];
        changes.push({ path: 'vg', before: null, after: `${p.vg} on ${(p.pvs ?? []).join(', ')} (after lvm2 is installed)` });
      }
      return { changes, data };
    }
    if ((p.state ?? 'present') === 'absent') {
      if (!s.vg) return { changes, reason: `no volume group ${p.vg}` };
      // In check mode after an earlier change (lvol absent), the count is out of date: the run checks again.
      const lvCount = s.vg.lvCount;
      requirePrerequisite(lvCount === 0 || p.force === true, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `lvg: volume group ${p.vg} holds ${lvCount} logical volume(s); it is not removed`, { hint: 'remove them first (lvol: state absent), or give force: true to lose them' }));
      data.remove = true;
      changes.push({ path: 'vg', before: p.vg, after: null });
      return { changes, data };
    }
    const byPath = new Map<string, PhysicalVolume>(s.pvs.map((pv) => [pv.name, pv]));
    const wanted: string[] = [];
    for (const given of p.pvs ?? []) {
      const dev = s.devices.find((d) => d.given === given);
      if (!dev || dev.path === '') {
        if (upstreamChanged) {
          wanted.push(given);
          continue;
        }
        throw new ConvergeError('CONVERGE_PLAN', `lvg: device ${given} does not exist`);
      }
      const pv = byPath.get(dev.path);
      if (pv && pv.vg !== '' && pv.vg !== p.vg) throw new ConvergeError('CONVERGE_PLAN', `lvg: ${given} is a physical volume of volume group ${pv.vg}`, { hint: `remove it from ${pv.vg} first (vgreduce)` });
      if (!pv && dev.type !== '' && dev.type !== 'LVM2_member' && !p.force) {
        throw new ConvergeError('CONVERGE_PLAN', `lvg: ${given} holds a ${dev.type} signature; it is not made a physical volume`, { hint: 'give force: true to wipe it (its data is lost)' });
      }
      if (!pv) data.pvcreate.push(given);
      wanted.push(dev.path);
    }
    if (!s.vg) {
      data.create = p.pvs ?? [];
      changes.push({ path: 'vg', before: null, after: `${p.vg} on ${(p.pvs ?? []).join(', ')}` });
      return { changes, data };
    }
    const members = s.pvs.filter((pv) => pv.vg === p.vg);
    const memberNames = new Set(members.map((pv) => pv.name));
    (p.pvs ?? []).forEach((given, i) => {
      if (!memberNames.has(wanted[i] as string)) data.extend.push(given);
    });
    if (p.remove_extra_pvs ?? true) {
      for (const pv of members) {
        if (wanted.includes(pv.name)) continue;
        requirePrerequisite(pv.used === 0, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `lvg: ${pv.name} is not in pvs but holds ${pv.used} bytes of volume group ${p.vg}; it is not removed`, { hint: 'move its extents first (pvmove), or list it in pvs' }));
        data.reduce.push(pv.name);
      }
    }
    if (p.pvresize) {
      // pvresize makes the PV as many whole extents as fit after its metadata (pe_start).
      const extent = s.vg.extentSize;
      for (const pv of members) if (wanted.includes(pv.name) && Math.floor((pv.devSize - pv.peStart) / extent) * extent > pv.size) data.pvresize.push(pv.name);
    }
    if (data.extend.length > 0 || data.reduce.length > 0) {
      const after = [...members.map((m) => m.name).filter((n) => !data.reduce.includes(n)), ...data.extend];
      changes.push({ path: 'pvs', before: members.map((m) => m.name), after });
    }
    if (data.pvresize.length > 0) changes.push({ path: 'pvresize', before: data.pvresize.map((n) => `${n} ${byPath.get(n)?.size}`), after: data.pvresize.map((n) => `${n} ${byPath.get(n)?.devSize}`) });
    if (changes.length === 0) return { changes, reason: `volume group ${p.vg} has exactly ${(p.pvs ?? []).join(', ')}` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    if (d.remove) return [{ script: sh`${['vgremove', '-y', ...(p.force ? ['--force'] : []), '--', p.vg]}`, description: `remove volume group ${p.vg}` }];
    const steps: Command[] = [];
    const pvOpts = options(p.pv_options, 'pv_options');
    if (d.pvcreate.length > 0) steps.push({ script: sh`${['pvcreate', '-y', ...pvOpts, '--', ...d.pvcreate]}`, description: `pvcreate ${d.pvcreate.join(' ')}` });
    if (d.create) steps.push({ script: sh`${['vgcreate', '-y', '-s', p.pesize ?? '4', ...options(p.vg_options, 'vg_options'), '--', p.vg, ...d.create]}`, description: `vgcreate ${p.vg}` });
    if (d.extend.length > 0) steps.push({ script: sh`vgextend -- ${p.vg} ${d.extend}`, description: `vgextend ${p.vg}` });
    if (d.reduce.length > 0) steps.push({ script: sh`vgreduce -- ${p.vg} ${d.reduce}`, description: `vgreduce ${p.vg}` });
    if (d.pvresize.length > 0) steps.push({ script: sh`for pv in ${d.pvresize}; do pvresize -- "$pv" || exit 1; done`, description: `pvresize ${d.pvresize.join(' ')}` });
    return steps;
  },
  resources: (p) => [`lvm:${p.vg}`, ...(p.pvs ?? []), 'block-devices'],
});
