import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { filesystem, parseBlockDevice } from '../../src/storage.js';
import type { BlockDeviceState } from '../../src/storage.js';

// Probe output recorded on Debian 12 (util-linux 2.38, e2fsprogs 1.47, xfsprogs 6.1) with loop devices.
const MOUNTED_EXT4 = 'mkfs yes\nkind block\nsize 67108864\nblkid UUID=11111111-2222-3333-4444-555555555555\nblkid TYPE=ext4\nblkid USAGE=filesystem\nmountpoint /mnt/with space\nfssize 67108864 1024\n';
const GPT_DISK = 'mkfs yes\nkind block\nsize 67108864\nblkid PTTYPE=gpt\n';
const EMPTY = 'mkfs yes\nkind block\nsize 67108864\n';

describe('fact filesystem.device', () => {
  test.each([
    [MOUNTED_EXT4, { path: '/dev/loop1', kind: 'block', size: 67108864, mkfs: true, signature: { uuid: '11111111-2222-3333-4444-555555555555', type: 'ext4', usage: 'filesystem' }, mountpoint: '/mnt/with space', swapOn: false, fsSize: 67108864, fsBlockSize: 1024 }],
    [GPT_DISK, { path: '/dev/loop1', kind: 'block', size: 67108864, mkfs: true, signature: { pttype: 'gpt' }, swapOn: false }],
    ['kind none\n', { path: '/dev/loop1', kind: 'none', signature: {}, swapOn: false }],
    ['kind file\nsize 16777216\nblkid UUID=71f4\nblkid TYPE=swap\nswap -2\n', { path: '/dev/loop1', kind: 'file', size: 16777216, signature: { uuid: '71f4', type: 'swap' }, swapOn: true, swapPriority: -2 }],
  ])('recorded %j', (out, value) => expect(parseBlockDevice(out, '/dev/loop1')).toEqual(value));
});

const dev = (out: string): BlockDeviceState => parseBlockDevice(out, '/dev/loop1');
const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));

describe('module filesystem', () => {
  test.each([
    { case: 'makes a file system on an empty device', params: { dev: '/dev/loop1', fstype: 'ext4' }, facts: EMPTY, changes: [{ path: 'fstype', before: null, after: 'ext4' }], scripts: ['mkfs.ext4 -F /dev/loop1'] },
    { case: 'passes the UUID and the options to mkfs', params: { dev: '/dev/loop1', fstype: 'xfs', uuid: '6b1f0a52-8f3e-4c1e-9a55-0c1d2e3f4a5b', opts: '-L "my data"' }, facts: EMPTY, changes: [{ path: 'fstype', before: null, after: 'xfs' }], scripts: ["mkfs.xfs -f -m uuid=6b1f0a52-8f3e-4c1e-9a55-0c1d2e3f4a5b -L 'my data' /dev/loop1"] },
    { case: 'mkswap for swap', params: { dev: '/dev/loop1', fstype: 'swap' }, facts: EMPTY, changes: [{ path: 'fstype', before: null, after: 'swap' }], scripts: ['mkswap -f /dev/loop1'] },
    { case: 'keeps a file system of the type', params: { dev: '/dev/loop1', fstype: 'ext4' }, facts: MOUNTED_EXT4, changes: [], scripts: [] },
    { case: 'reformats a partition table only with force', params: { dev: '/dev/loop1', fstype: 'ext4', force: true }, facts: GPT_DISK, changes: [{ path: 'fstype', before: 'gpt', after: 'ext4' }], scripts: ['mkfs.ext4 -F /dev/loop1'] },
    { case: 'grows a mounted ext4 online', params: { dev: '/dev/loop1', fstype: 'ext4', resizefs: true }, facts: MOUNTED_EXT4.replace('size 67108864', 'size 73400320'), changes: [{ path: 'size', before: 67108864, after: 73400320 }], scripts: [':\nresize2fs /dev/loop1'] },
    { case: 'checks an unmounted ext4 before growing it', params: { dev: '/dev/loop1', fstype: 'ext4', resizefs: true }, facts: MOUNTED_EXT4.replace('size 67108864', 'size 73400320').replace('mountpoint /mnt/with space\n', ''), changes: [{ path: 'size', before: 67108864, after: 73400320 }], scripts: ['e2fsck -f -p /dev/loop1; rc=$?; [ "$rc" -le 1 ] || exit "$rc"\nresize2fs /dev/loop1'] },
    { case: 'does not grow into less than one block', params: { dev: '/dev/loop1', fstype: 'ext4', resizefs: true }, facts: MOUNTED_EXT4.replace('size 67108864', 'size 67109000'), changes: [], scripts: [] },
    { case: 'grows a mounted xfs with xfs_growfs', params: { dev: '/dev/loop1', fstype: 'xfs', resizefs: true }, facts: 'mkfs yes\nkind block\nsize 350224384\nblkid TYPE=xfs\nmountpoint /srv/x\nfssize 349175808 4096\n', changes: [{ path: 'size', before: 349175808, after: 350224384 }], scripts: ['xfs_growfs -d /srv/x'] },
    { case: 'leaves an xfs gap under 64 blocks (xfs cannot use it)', params: { dev: '/dev/loop1', fstype: 'xfs', resizefs: true }, facts: 'mkfs yes\nkind block\nsize 349200384\nblkid TYPE=xfs\nmountpoint /srv/x\nfssize 349175808 4096\n', changes: [], scripts: [] },
    { case: 'sets a different UUID', params: { dev: '/dev/loop1', fstype: 'ext4', uuid: '11111111-2222-3333-4444-666666666666' }, facts: MOUNTED_EXT4, changes: [{ path: 'uuid', before: '11111111-2222-3333-4444-555555555555', after: '11111111-2222-3333-4444-666666666666' }], scripts: ['tune2fs -U 11111111-2222-3333-4444-666666666666 /dev/loop1'] },
    { case: 'wipes the signatures of an unused device', params: { dev: '/dev/loop1', state: 'absent' }, facts: GPT_DISK, changes: [{ path: 'fstype', before: 'gpt', after: null }], scripts: ['wipefs -a -- /dev/loop1'] },
    { case: 'absent stays absent', params: { dev: '/dev/loop1', state: 'absent' }, facts: EMPTY, changes: [], scripts: [] },
  ])('$case', ({ params, facts, changes, scripts: want }) => {
    const r = planModule(filesystem, { params, facts: { device: dev(facts) } });
    expect(r.changes).toEqual(changes);
    expect(scripts(r)).toEqual(want);
  });

  test.each([
    { case: 'another file system without force', params: { dev: '/dev/loop1', fstype: 'xfs' }, facts: MOUNTED_EXT4.replace('mountpoint /mnt/with space\n', ''), error: /holds a ext4 file system, not xfs; it is not reformatted/ },
    { case: 'a partition table without force', params: { dev: '/dev/loop1', fstype: 'ext4' }, facts: GPT_DISK, error: /holds a gpt partition table/ },
    { case: 'a mounted device, even with force', params: { dev: '/dev/loop1', fstype: 'xfs', force: true }, facts: MOUNTED_EXT4, error: /in use \(mounted on \/mnt\/with space\)/ },
    { case: 'wiping a mounted device', params: { dev: '/dev/loop1', state: 'absent' }, facts: MOUNTED_EXT4, error: /is in use/ },
    { case: 'a missing device', params: { dev: '/dev/loop1', fstype: 'ext4' }, facts: 'mkfs yes\nkind none\n', error: /does not exist/ },
    { case: 'a missing mkfs', params: { dev: '/dev/loop1', fstype: 'xfs' }, facts: 'mkfs no\nkind block\nsize 1\n', error: /mkfs.xfs is not installed.*/ },
    { case: 'growing an unmounted xfs', params: { dev: '/dev/loop1', fstype: 'xfs', resizefs: true }, facts: 'mkfs yes\nkind block\nsize 450224384\nblkid TYPE=xfs\nfssize 349175808 4096\n', error: /xfs grows only while mounted/ },
  ])('refuses $case', ({ params, facts, error }) => {
    expect(() => planModule(filesystem, { params, facts: { device: dev(facts) } })).toThrow(error);
  });

  test('a device an earlier task makes is predicted in check mode, labelled as such', () => {
    const r = planModule(filesystem, { params: { dev: '/dev/vg0/data', fstype: 'ext4' }, facts: { device: dev('mkfs yes\nkind none\n') }, upstreamChanged: true });
    expect(r.changes).toEqual([{ path: 'fstype', before: null, after: 'ext4 (on a device an earlier task makes; known after it runs)' }]);
  });

  test('in check mode after an earlier change (an unmount), wiping a device the probe saw mounted is predicted; the run checks again', () => {
    const r = planModule(filesystem, { params: { dev: '/dev/loop1', state: 'absent' }, facts: { device: dev(MOUNTED_EXT4) }, upstreamChanged: true });
    expect(r.changes).toEqual([{ path: 'fstype', before: 'ext4', after: null }]);
  });

  test.each([{ dev: '/dev/x' }, { dev: 'relative', fstype: 'ext4' }, { dev: '/dev/x', fstype: 'ntfs' }, { dev: '/dev/x', fstype: 'btrfs', resizefs: true }, { dev: '/dev/x', fstype: 'ext4', opts: '"unclosed' }, { dev: '/dev/x', fstype: 'ext4', uuid: 'nope' }])('rejects params %j', (params) => {
    expect(() => planModule(filesystem, { params, facts: { device: dev(EMPTY) } })).toThrow(/invalid params|module filesystem/);
  });
});
