// Block storage on a real Debian 12 container (systemd as PID 1), converged over SSH: check,
// run, run again (zero changes, one round trip), check again. Disks are sparse image files on
// loop devices, which needs the `privileged` test host (every capability, loop devices only).
// The kernel is the Docker host's: every loop device, mount and swap made here is undone in
// afterAll, before the container stops.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { convergeTwice, startHosts, type TestHosts } from '@converge/testing';
import { apt, filesystem, lvg, lvol, mount, parted, swapfile, copy } from '../../src/index.js';

let hosts: TestHosts;
const H = 'host1';
const DISKS = { parted: 128, lvm1: 64, lvm2: 64, data: 64, xfs: 320 } as const;
type Disk = keyof typeof DISKS;
const dev = {} as Record<Disk, string>;
/** True when the kernel has device-mapper, so that logical volumes can be active. */
let deviceMapper = false;
const UUID = '0e6b5c1a-52d4-4d8e-9a0b-3c1f2e4d5a6b';

async function sh(command: string): Promise<string> {
  const r = await hosts.exec(H, command);
  if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A loop device for a sparse image: node made with mknod (no udev here), partitions scanned (-P). */
async function loopDevice(name: string, megabytes: number): Promise<string> {
  const img = `/var/tmp/converge-${name}.img`;
  await sh(`truncate -s ${megabytes}M ${img}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    await sh('for d in /sys/block/loop*; do n=${d##*/loop}; [ -e /dev/loop$n ] || mknod /dev/loop$n b 7 $n; done');
    const r = await hosts.exec(H, `losetup -f -P --show ${img}`);
    if (r.exitCode === 0) return r.stdout.trim();
  }
  throw new Error(`no free loop device for ${img}`);
}

beforeAll(async () => {
  hosts = await startHosts(1, { privileged: true });
  await convergeTwice(hosts, [apt({ name: ['lvm2', 'parted', 'xfsprogs'], update_cache: true, cache_valid_time: 3600 })]);
  for (const [name, size] of Object.entries(DISKS)) dev[name as Disk] = await loopDevice(name, size);
  deviceMapper = (await hosts.exec(H, 'grep -qw device-mapper /proc/misc')).exitCode === 0;
  if (!deviceMapper) {
    // LVM's documented switch for hosts without device-mapper: metadata only, no activation.
    await sh("printf 'global {\\n\\tactivation = 0\\n}\\n' >> /etc/lvm/lvmlocal.conf");
    console.log('storage: this kernel has no device-mapper (no device-mapper in /proc/misc): logical volumes are tested inactive, their activation and resizefs are skipped');
  }
});

afterAll(async () => {
  if (!hosts) return;
  await hosts.exec(H, 'swapoff /srv/data/swapfile 2>/dev/null; umount /srv/data /srv/x 2>/dev/null; vgremove -f cvdata >/dev/null 2>&1');
  for (const d of Object.values(dev)) await hosts.exec(H, `losetup -d ${d}`);
  await hosts.exec(H, 'rm -f /var/tmp/converge-*.img');
  await hosts.stop();
});

const noOp = (r: { stats: Record<string, { roundTrips: number }> }) => expect(r.stats[H]?.roundTrips, 'a no-op costs one round trip').toBe(1);

describe('filesystem, mount and swapfile', () => {
  const data = (opts = 'noatime') => [
    filesystem({ dev: dev.data, fstype: 'ext4', uuid: UUID }),
    mount({ path: '/srv/data', src: `UUID=${UUID}`, fstype: 'ext4', opts, passno: 2 }),
    swapfile({ path: '/srv/data/swapfile', size: '16M' }),
  ];

  test('an ext4 made with a UUID, mounted by that UUID, a swap file on it; the check predicts the mount, labelled', async () => {
    const { check, second } = await convergeTwice(hosts, data());
    const predicted = check.tasks.find((t) => t.module === 'mount');
    expect(JSON.stringify(predicted?.changes)).toContain('made by an earlier task; known after it runs');
    noOp(second);
    expect(await sh(`blkid -p -s UUID -o value ${dev.data}`)).toBe(UUID);
    expect(await sh('findmnt -n -o SOURCE,FSTYPE /srv/data')).toBe(`${dev.data} ext4`);
    expect(await sh('grep -E "^(UUID=|/srv/data/swapfile)" /etc/fstab')).toBe(`UUID=${UUID} /srv/data ext4 noatime 0 2\n/srv/data/swapfile none swap sw 0 0`);
    expect(await sh("awk '$1 == \"/srv/data/swapfile\" { print $2, $3 }' /proc/swaps")).toBe('file 16372');
  });

  test('new options are applied by a remount; remounted as a handler', async () => {
    await convergeTwice(hosts, data('noatime,nodev'));
    expect(await sh('findmnt -n -o OPTIONS /srv/data')).toMatch(/nodev/);
    const { first } = await convergeTwice(hosts, [copy({ dest: '/etc/converge-storage-marker', content: 'x\n' }, { notify: 'remount data' })], {
      handlers: [mount({ path: '/srv/data', state: 'remounted' }, { name: 'remount data' })],
    });
    expect(first.tasks.filter((t) => t.handler).map((t) => t.status)).toEqual(['changed']);
  });

  test('removed: swap off, unmounted, out of fstab, signatures wiped', async () => {
    await convergeTwice(hosts, [swapfile({ path: '/srv/data/swapfile', state: 'absent' }), mount({ path: '/srv/data', state: 'absent' }), filesystem({ dev: dev.data, state: 'absent' })]);
    expect(await sh('grep -c /srv/data /etc/fstab || true')).toBe('0');
    expect((await hosts.exec(H, 'findmnt /srv/data')).exitCode).not.toBe(0);
    expect(await sh(`blkid -p ${dev.data} || echo none`)).toBe('none');
  });

  test('an xfs grows to its device, mounted', async () => {
    await convergeTwice(hosts, [filesystem({ dev: dev.xfs, fstype: 'xfs' }), mount({ path: '/srv/x', src: dev.xfs, fstype: 'xfs' })]);
    const before = await sh("xfs_info /srv/x | awk '/^data/ { print $4 }'");
    await sh(`truncate -s 400M /var/tmp/converge-xfs.img && losetup -c ${dev.xfs}`);
    const { first } = await convergeTwice(hosts, [filesystem({ dev: dev.xfs, fstype: 'xfs', resizefs: true })]);
    expect(first.tasks[0]?.changes?.[0]).toEqual({ path: 'size', before: 320 * 2 ** 20, after: 400 * 2 ** 20 });
    expect(await sh("xfs_info /srv/x | awk '/^data/ { print $4 }'")).not.toBe(before);
    await convergeTwice(hosts, [mount({ path: '/srv/x', state: 'absent' })]);
  });
});

describe('parted', () => {
  const table = () => sh(`parted -s -m ${dev.parted} unit MiB print | tail -n +3`);
  test('a GPT with two partitions, then a rename and a grow, then one removed', async () => {
    const { second } = await convergeTwice(hosts, [
      parted({ device: dev.parted, number: 1, part_start: '1MiB', part_end: '32MiB', name: 'one', flags: ['lvm'] }),
      parted({ device: dev.parted, number: 2, part_start: '32MiB', part_end: '64MiB', name: 'two' }),
    ]);
    noOp(second);
    expect(await table()).toBe('1:1.00MiB:32.0MiB:31.0MiB::one:lvm;\n2:32.0MiB:64.0MiB:32.0MiB::two:;');
    await convergeTwice(hosts, [parted({ device: dev.parted, number: 2, part_end: '100%', resize: true, name: 'data' })]);
    expect(await table()).toMatch(/^1:.*\n2:32\.0MiB:128MiB:96\.0MiB::data:;$/);
    await convergeTwice(hosts, [parted({ device: dev.parted, number: 2, state: 'absent' })]);
    expect(await table()).toBe('1:1.00MiB:32.0MiB:31.0MiB::one:lvm;');
  });
});

describe('lvg and lvol', () => {
  const active = () => deviceMapper;
  test('a volume group with a volume, extended, the volume grown, the group reduced, then removed', async () => {
    const { check, second } = await convergeTwice(hosts, [lvg({ vg: 'cvdata', pvs: [dev.lvm1] }), lvol({ vg: 'cvdata', lv: 'lv1', size: '16m', active: active() })]);
    expect(JSON.stringify(check.tasks.find((t) => t.module === 'lvol')?.changes)).toContain('in a volume group an earlier task makes; known after it runs');
    noOp(second);
    expect(await sh('vgs --noheadings -o pv_count cvdata 2>/dev/null')).toBe('1');
    await convergeTwice(hosts, [lvg({ vg: 'cvdata', pvs: [dev.lvm1, dev.lvm2] }), lvol({ vg: 'cvdata', lv: 'lv1', size: '24m', active: active() })]);
    expect(await sh('lvs --noheadings --units b --nosuffix -o lv_size cvdata/lv1 2>/dev/null')).toBe(String(24 * 2 ** 20));
    await convergeTwice(hosts, [lvg({ vg: 'cvdata', pvs: [dev.lvm1] })]);
    expect(await sh('vgs --noheadings -o pv_count cvdata 2>/dev/null')).toBe('1');
    await convergeTwice(hosts, [lvol({ vg: 'cvdata', lv: 'lv1', state: 'absent', force: true }), lvg({ vg: 'cvdata', state: 'absent' })]);
    expect((await hosts.exec(H, 'vgs cvdata')).exitCode).not.toBe(0);
  });

  test('with device-mapper: an active volume with ext4, grown with its file system', async (ctx) => {
    if (!deviceMapper) {
      console.log('storage: skipped "an active volume grown with its file system": no device-mapper in this kernel');
      ctx.skip();
    }
    await convergeTwice(hosts, [lvg({ vg: 'cvdata', pvs: [dev.lvm1, dev.lvm2] }), lvol({ vg: 'cvdata', lv: 'fs', size: '32m' }), filesystem({ dev: '/dev/cvdata/fs', fstype: 'ext4' }), mount({ path: '/srv/lv', src: '/dev/cvdata/fs', fstype: 'ext4' })]);
    await convergeTwice(hosts, [lvol({ vg: 'cvdata', lv: 'fs', size: '48m', resizefs: true })]);
    expect(Number(await sh("df -B1 --output=size /srv/lv | tail -1"))).toBeGreaterThan(40 * 2 ** 20);
    await convergeTwice(hosts, [mount({ path: '/srv/lv', state: 'absent' }), lvol({ vg: 'cvdata', lv: 'fs', state: 'absent', force: true }), lvg({ vg: 'cvdata', state: 'absent', force: true })]);
  });
});
