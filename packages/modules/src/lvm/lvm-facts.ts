import { defineFact, raw, sh } from '@converge/core';

/** A volume group as vgs(8) reports it, sizes in bytes. */
export interface VolumeGroup {
  name: string;
  extentSize: number;
  size: number;
  free: number;
  lvCount: number;
  pvCount: number;
}

/** A physical volume as pvs(8) reports it, sizes in bytes. */
export interface PhysicalVolume {
  /** The device as LVM names it (`/dev/sdb`). */
  name: string;
  /** Its volume group, `''` when in none. */
  vg: string;
  size: number;
  used: number;
  /** Size of the underlying device (pvresize grows the PV to it). */
  devSize: number;
  /** Offset of the first extent (metadata before it). */
  peStart: number;
}

/** A device a task names, resolved on the host. */
export interface NamedDevice {
  given: string;
  /** `readlink -f` of it; `''` when it does not exist. */
  path: string;
  /** The signature blkid finds on it (`LVM2_member`, `ext4`, …), `''` for none. */
  type: string;
}

/** What LVM shows on a host about one volume group and the devices a task names. */
export interface LvmState {
  /** False when the LVM tools (package lvm2) are not installed. */
  tools: boolean;
  vg?: VolumeGroup;
  /** Every physical volume on the host. */
  pvs: PhysicalVolume[];
  devices: NamedDevice[];
}

const REPORT = "--noheadings --nosuffix --units b --separator '|'";

/**
 * Fact `lvm.vg`: a volume group (vgs), every physical volume (pvs) and the devices a task names
 * (resolved with readlink, their signature with blkid -p). Sizes in bytes. lvm2, util-linux.
 */
export const lvmVolumeGroup = defineFact<{ vg: string; devices?: string[] }, LvmState>({
  name: 'lvm.vg',
  description: 'A volume group, the physical volumes and named devices (vgs, pvs, blkid).',
  command: ({ vg, devices }) => sh`if ! command -v vgs >/dev/null 2>&1; then echo 'tools no'; exit 0; fi
vgs ${raw(REPORT)} -o vg_name,vg_extent_size,vg_size,vg_free,lv_count,pv_count -- ${vg} 2>/dev/null | sed 's/^ *//; s/^/vg /'
pvs ${raw(REPORT)} -o pv_name,vg_name,pv_size,pv_used,dev_size,pe_start 2>/dev/null | sed 's/^ *//; s/^/pv /'
${devices && devices.length > 0 ? sh`for d in ${devices}; do r=$(readlink -f -- "$d" 2>/dev/null) && [ -e "$r" ] || r=; t=; [ -z "$r" ] || t=$(blkid -c /dev/null -p -s TYPE -o value -- "$r" 2>/dev/null); printf 'dev %s|%s|%s\\n' "$d" "$r" "$t"; done` : raw(':')}`,
  parse: (stdout) => parseLvmState(stdout),
  resources: ({ vg, devices }) => [`lvm:${vg}`, ...(devices ?? []), 'block-devices'],
});

/** Pure parser of the `lvm.vg` probe (exported for fact tests). */
export function parseLvmState(stdout: string): LvmState {
  const s: LvmState = { tools: true, pvs: [], devices: [] };
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const f = line.slice(sp + 1).split('|').map((x) => x.trim());
    if (line === 'tools no') s.tools = false;
    else if (key === 'vg' && f.length >= 6) s.vg = { name: f[0] as string, extentSize: Number(f[1]), size: Number(f[2]), free: Number(f[3]), lvCount: Number(f[4]), pvCount: Number(f[5]) };
    else if (key === 'pv' && f.length >= 6) s.pvs.push({ name: f[0] as string, vg: f[1] as string, size: Number(f[2]), used: Number(f[3]), devSize: Number(f[4]), peStart: Number(f[5]) });
    else if (key === 'dev' && f.length >= 3) s.devices.push({ given: f[0] as string, path: f[1] as string, type: f[2] as string });
  }
  return s;
}

/** A logical volume as lvs(8) reports it. */
export interface LogicalVolume {
  name: string;
  size: number;
  /** From lv_attr's fifth character: `a` active, `-` not, `X` unknown (activation disabled). */
  active: boolean | 'unknown';
  path: string;
}

/**
 * Fact `lvm.lv`: one logical volume (lvs), or `null` when the volume group has none of that
 * name. lvm2.
 */
export const lvmLogicalVolume = defineFact<{ vg: string; lv: string }, LogicalVolume | null>({
  name: 'lvm.lv',
  description: 'A logical volume (lvs).',
  command: ({ vg, lv }) => sh`command -v lvs >/dev/null 2>&1 || exit 0
lvs ${raw(REPORT)} -o lv_name,lv_size,lv_attr,lv_path -- ${`${vg}/${lv}`} 2>/dev/null | sed 's/^ *//'
:`,
  parse: (stdout) => parseLogicalVolume(stdout),
  resources: ({ vg, lv }) => [`lvm:${vg}`, `/dev/${vg}/${lv}`, 'block-devices'],
});

/** Pure parser of the `lvm.lv` probe (exported for fact tests). */
export function parseLogicalVolume(stdout: string): LogicalVolume | null {
  const line = stdout.split('\n').find((l) => l.includes('|'));
  if (line === undefined) return null;
  const [name, size, attr, path] = line.split('|').map((x) => x.trim());
  const a = (attr ?? '')[4];
  return { name: name as string, size: Number(size), active: a === 'a' ? true : a === 'X' ? 'unknown' : false, path: path ?? '' };
}
