import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { lvg, lvol, parseLogicalVolume, parseLvmState, parseLvSize } from '../../src/storage.js';

// vgs/pvs/lvs output (--noheadings --nosuffix --units b --separator '|') recorded on Debian 12 (lvm2 2.03.16).
const VG = 'vg vgt|4194304|125829120|109051904|1|2\npv /dev/loop1|vgt|62914560|16777216|67108864|1048576\npv /dev/loop2|vgt|62914560|0|67108864|1048576\n';
const dev = (given: string, path = given, type = 'LVM2_member') => `dev ${given}|${path}|${type}\n`;

describe('facts lvm.vg and lvm.lv', () => {
  test('a group, its physical volumes and the named devices', () => {
    expect(parseLvmState(`${VG}${dev('/dev/disk/by-id/x', '/dev/loop1')}${dev('/dev/nope', '', '')}`)).toEqual({
      tools: true,
      vg: { name: 'vgt', extentSize: 4194304, size: 125829120, free: 109051904, lvCount: 1, pvCount: 2 },
      pvs: [
        { name: '/dev/loop1', vg: 'vgt', size: 62914560, used: 16777216, devSize: 67108864, peStart: 1048576 },
        { name: '/dev/loop2', vg: 'vgt', size: 62914560, used: 0, devSize: 67108864, peStart: 1048576 },
      ],
      devices: [{ given: '/dev/disk/by-id/x', path: '/dev/loop1', type: 'LVM2_member' }, { given: '/dev/nope', path: '', type: '' }],
    });
    expect(parseLvmState('tools no\n')).toEqual({ tools: false, pvs: [], devices: [] });
  });
  test.each([
    ['lv1|16777216|-wi-a-----|/dev/vgt/lv1\n', { name: 'lv1', size: 16777216, active: true, path: '/dev/vgt/lv1' }],
    ['lv1|16777216|-wi-------|/dev/vgt/lv1\n', { name: 'lv1', size: 16777216, active: false, path: '/dev/vgt/lv1' }],
    ['lv1|16777216|-wi-XX----|/dev/vgt/lv1\n', { name: 'lv1', size: 16777216, active: 'unknown', path: '/dev/vgt/lv1' }],
    ['', null],
  ])('lvs %j', (out, value) => expect(parseLogicalVolume(out)).toEqual(value));
  test.each([
    ['16', { bytes: 16 * 2 ** 20 }], ['16M', { bytes: 16 * 2 ** 20 }], ['1.5g', { bytes: 1.5 * 2 ** 30 }], ['2048s', { bytes: 2 ** 20 }], ['50%VG', { percent: 50, of: 'VG' }], ['100%FREE', { percent: 100, of: 'FREE' }],
  ])('size %s', (size, value) => expect(parseLvSize(size)).toEqual(value));
});

const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));
const NEW = 'pv /dev/loop1|vgt|62914560|16777216|67108864|1048576\n';

describe('module lvg', () => {
  test.each([
    { case: 'creates a group, making physical volumes first', params: { vg: 'data', pvs: ['/dev/loop3', '/dev/loop4'] }, facts: `${dev('/dev/loop3', '/dev/loop3', '')}${dev('/dev/loop4', '/dev/loop4', '')}`, changes: [{ path: 'vg', before: null, after: 'data on /dev/loop3, /dev/loop4' }], scripts: ['pvcreate -y -- /dev/loop3 /dev/loop4', 'vgcreate -y -s 4 -- data /dev/loop3 /dev/loop4'] },
    { case: 'keeps a group with exactly these devices, named through a link', params: { vg: 'vgt', pvs: ['/dev/disk/by-id/x', '/dev/loop2'] }, facts: `${VG}${dev('/dev/disk/by-id/x', '/dev/loop1')}${dev('/dev/loop2')}`, changes: [], scripts: [] },
    { case: 'extends with a new device', params: { vg: 'vgt', pvs: ['/dev/loop1', '/dev/loop2', '/dev/loop3'] }, facts: `${VG}${dev('/dev/loop1')}${dev('/dev/loop2')}${dev('/dev/loop3', '/dev/loop3', '')}`, changes: [{ path: 'pvs', before: ['/dev/loop1', '/dev/loop2'], after: ['/dev/loop1', '/dev/loop2', '/dev/loop3'] }], scripts: ['pvcreate -y -- /dev/loop3', 'vgextend -- vgt /dev/loop3'] },
    { case: 'reduces by an unused device', params: { vg: 'vgt', pvs: ['/dev/loop1'] }, facts: `${VG}${dev('/dev/loop1')}`, changes: [{ path: 'pvs', before: ['/dev/loop1', '/dev/loop2'], after: ['/dev/loop1'] }], scripts: ['vgreduce -- vgt /dev/loop2'] },
    { case: 'keeps extra devices without remove_extra_pvs', params: { vg: 'vgt', pvs: ['/dev/loop1'], remove_extra_pvs: false }, facts: `${VG}${dev('/dev/loop1')}`, changes: [], scripts: [] },
    { case: 'grows physical volumes with pvresize', params: { vg: 'vgt', pvs: ['/dev/loop1', '/dev/loop2'], pvresize: true }, facts: `${VG.replace('62914560|0|67108864|', '62914560|0|134217728|')}${dev('/dev/loop1')}${dev('/dev/loop2')}`, changes: [{ path: 'pvresize', before: ['/dev/loop2 62914560'], after: ['/dev/loop2 134217728'] }], scripts: ['for pv in /dev/loop2; do pvresize -- "$pv" || exit 1; done'] },
    { case: 'removes an empty group', params: { vg: 'vgt', state: 'absent' }, facts: VG.replace('|1|2\n', '|0|2\n'), changes: [{ path: 'vg', before: 'vgt', after: null }], scripts: ['vgremove -y -- vgt'] },
    { case: 'removes a group with volumes when forced', params: { vg: 'vgt', state: 'absent', force: true }, facts: VG, changes: [{ path: 'vg', before: 'vgt', after: null }], scripts: ['vgremove -y --force -- vgt'] },
  ])('$case', ({ params, facts, changes, scripts: want }) => {
    const r = planModule(lvg, { params, facts: { lvm: parseLvmState(facts) } });
    expect(r.changes).toEqual(changes);
    expect(scripts(r)).toEqual(want);
  });
  test('in check mode after an earlier change (lvol absent), removing a group the probe saw with volumes is predicted', () => {
    expect(planModule(lvg, { params: { vg: 'vgt', state: 'absent' }, facts: { lvm: parseLvmState(VG) }, upstreamChanged: true }).changes).toEqual([{ path: 'vg', before: 'vgt', after: null }]);
  });
  test.each([
    { case: 'a device of another group', params: { vg: 'other', pvs: ['/dev/loop1'] }, facts: `${NEW}${dev('/dev/loop1')}`, error: /is a physical volume of volume group vgt/ },
    { case: 'a device with a file system', params: { vg: 'data', pvs: ['/dev/loop3'] }, facts: dev('/dev/loop3', '/dev/loop3', 'ext4'), error: /holds a ext4 signature/ },
    { case: 'a missing device', params: { vg: 'data', pvs: ['/dev/loop9'] }, facts: dev('/dev/loop9', '', ''), error: /does not exist/ },
    { case: 'reducing a used device', params: { vg: 'vgt', pvs: ['/dev/loop2'] }, facts: `${VG}${dev('/dev/loop2')}`, error: /holds 16777216 bytes of volume group vgt/ },
    { case: 'removing a group with volumes', params: { vg: 'vgt', state: 'absent' }, facts: VG, error: /holds 1 logical volume/ },
    { case: 'no lvm2', params: { vg: 'vgt', pvs: ['/dev/loop1'] }, facts: 'tools no\n', error: /LVM tools are not installed/ },
  ])('refuses $case', ({ params, facts, error }) => {
    expect(() => planModule(lvg, { params, facts: { lvm: parseLvmState(facts) } })).toThrow(error);
  });
});

const LV = parseLogicalVolume('lv1|16777216|-wi-a-----|/dev/vgt/lv1\n');

describe('module lvol', () => {
  test.each([
    { case: 'creates a volume', params: { vg: 'vgt', lv: 'lv2', size: '16m' }, lv: null, changes: [{ path: 'lv', before: null, after: 'vgt/lv2 16777216 bytes' }], scripts: ['lvcreate -y -n lv2 -L 16777216b -- vgt'] },
    { case: 'creates an inactive volume from a share of the group', params: { vg: 'vgt', lv: 'lv2', size: '50%VG', active: false, pvs: ['/dev/loop2'] }, lv: null, changes: [{ path: 'lv', before: null, after: 'vgt/lv2 62914560 bytes, inactive' }], scripts: ['lvcreate -y -n lv2 -l 50%VG -a n -Z n -- vgt /dev/loop2'] },
    { case: 'keeps a volume of this size (rounded to extents)', params: { vg: 'vgt', lv: 'lv1', size: '15m' }, lv: LV, changes: [], scripts: [] },
    { case: 'grows a volume and its file system', params: { vg: 'vgt', lv: 'lv1', size: '24M', resizefs: true }, lv: LV, changes: [{ path: 'size', before: 16777216, after: 25165824 }], scripts: ['lvextend -y --resizefs -L 25165824b -- vgt/lv1'] },
    { case: 'shrinks only with force', params: { vg: 'vgt', lv: 'lv1', size: '8m', force: true }, lv: LV, changes: [{ path: 'size', before: 16777216, after: 8388608 }], scripts: ['lvreduce -y -f -L 8388608b -- vgt/lv1'] },
    { case: 'leaves a larger volume with shrink false', params: { vg: 'vgt', lv: 'lv1', size: '8m', shrink: false }, lv: LV, changes: [], scripts: [] },
    { case: '%FREE sizes only a new volume', params: { vg: 'vgt', lv: 'lv1', size: '100%FREE' }, lv: LV, changes: [], scripts: [] },
    { case: 'deactivates', params: { vg: 'vgt', lv: 'lv1', active: false }, lv: LV, changes: [{ path: 'active', before: true, after: false }], scripts: ['lvchange -a n -- vgt/lv1'] },
    { case: 'leaves an unknown activation state alone', params: { vg: 'vgt', lv: 'lv1', active: false }, lv: parseLogicalVolume('lv1|16777216|-wi-XX----|/dev/vgt/lv1\n'), changes: [], scripts: [] },
    { case: 'removes with force', params: { vg: 'vgt', lv: 'lv1', state: 'absent', force: true }, lv: LV, changes: [{ path: 'lv', before: 'vgt/lv1', after: null }], scripts: ['lvremove -y -f -- vgt/lv1'] },
  ])('$case', ({ params, lv, changes, scripts: want }) => {
    const r = planModule(lvol, { params, facts: { lvm: parseLvmState(VG), lv } });
    expect(r.changes).toEqual(changes);
    expect(scripts(r)).toEqual(want);
  });
  test.each([
    { case: 'shrinking without force', params: { vg: 'vgt', lv: 'lv1', size: '8m' }, error: /give force: true to shrink it/ },
    { case: 'removing without force', params: { vg: 'vgt', lv: 'lv1', state: 'absent' }, error: /loses its data/ },
    { case: 'growing past the free space', params: { vg: 'vgt', lv: 'lv1', size: '1g' }, error: /cannot grow to 1073741824 bytes: the volume group has 109051904 bytes free/ },
    { case: 'a relative size', params: { vg: 'vgt', lv: 'lv1', size: '+10g' }, error: /invalid params/ },
  ])('refuses $case', ({ params, error }) => {
    expect(() => planModule(lvol, { params, facts: { lvm: parseLvmState(VG), lv: LV } })).toThrow(error);
  });
});
