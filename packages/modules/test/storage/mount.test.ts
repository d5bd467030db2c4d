import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { mount, mountedFlagDiffs, parseMountPoint, parseMountinfoLine, swapfile, parseBlockDevice } from '../../src/index.js';
import type { FileState } from '../../src/index.js';

// Probe output recorded on Debian 12 with an ext4 on a loop device.
const MOUNTED = 'dir yes\nsystemd yes\nmount 1531 620 7:1 / /mnt/with\\040space rw,relatime - ext4 /dev/loop1 rw\nblock 7:1 /dev/loop1\n';

describe('fact mount.point', () => {
  test('a mount by UUID resolves to the device mounted there', () => {
    expect(parseMountPoint(MOUNTED, { path: '/mnt/with space', src: 'UUID=1111' })).toEqual({
      path: '/mnt/with space',
      directory: true,
      systemd: true,
      mounted: { devno: '7:1', options: 'rw,relatime', fstype: 'ext4', source: '/dev/loop1', superOptions: 'rw' },
      source: { kind: 'block', path: '/dev/loop1', devno: '7:1' },
    });
  });
  test('a UUID that names no device', () => {
    expect(parseMountPoint('dir yes\nsystemd yes\nsource none\n', { path: '/mnt/f1', src: 'UUID=x' })).toEqual({ path: '/mnt/f1', directory: true, systemd: true, source: { kind: 'none' } });
  });
  test('mountinfo lines with optional fields (proc(5) example) and escapes', () => {
    expect(parseMountinfoLine('36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue')).toEqual({ devno: '98:0', options: 'rw,noatime', fstype: 'ext3', source: '/dev/root', superOptions: 'rw,errors=continue' });
    expect(parseMountinfoLine('40 1 0:35 / /srv rw shared:1 master:2 - tmpfs my\\040tmpfs rw').source).toBe('my tmpfs');
    expect(() => parseMountinfoLine('36 35 98:0 /mnt1 /mnt2 rw')).toThrow(/unexpected mountinfo line/);
  });
});

describe('mounted flags against the wanted options', () => {
  test.each([
    ['defaults', 'rw,relatime', []],
    ['ro', 'rw,relatime', ['rw -> ro']],
    ['noatime,nodev', 'rw,nodev,noatime', []],
    ['noatime,nodev,noexec', 'rw,nodev,relatime', ['-> noexec', '-> noatime']],
    ['defaults', 'ro,relatime', ['ro -> rw']],
  ])('%s on %s', (wanted, live, diffs) => expect(mountedFlagDiffs(wanted, live)).toEqual(diffs));
});

const fstab = (text: string): FileState => ({ path: '/etc/fstab', type: 'file', parentExists: true, target: { type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: text.length, inode: '1:1', content: text } });
const point = (out: string, src?: string) => parseMountPoint(out, { path: '/srv/data', ...(src ? { src } : {}) });
const ROOT = 'UUID=0a1b / ext4 errors=remount-ro 0 1\n';
const LINE = 'UUID=1111 /srv/data ext4 noatime 0 2';
const params = { path: '/srv/data', src: 'UUID=1111', fstype: 'ext4', opts: 'noatime', passno: 2 };
const DATA_MOUNTED = 'dir yes\nsystemd yes\nmount 99 1 7:1 / /srv/data rw,noatime - ext4 /dev/loop1 rw\nblock 7:1 /dev/loop1\n';
const desc = (r: { commands: { description?: string }[] }) => r.commands.map((c) => c.description);

describe('module mount', () => {
  test.each([
    {
      case: 'new: fstab line, daemon-reload, mount point, mount by UUID',
      params,
      facts: { fstab: fstab(ROOT), point: point('dir no\nsystemd yes\nblock 7:1 /dev/loop1\n') },
      changes: [{ path: 'fstab', before: null, after: 'UUID=1111 ext4 noatime' }, { path: 'mount_point', before: null, after: '/srv/data' }, { path: 'mounted', before: null, after: 'UUID=1111' }],
      steps: ['write /etc/fstab', 'systemctl daemon-reload', 'create /srv/data', 'mount /srv/data'],
    },
    { case: 'converged: the UUID names the device mounted there', params, facts: { fstab: fstab(`${ROOT}${LINE}\n`), point: point(DATA_MOUNTED) }, changes: [], steps: [] },
    {
      case: 'another device mounted there: unmounted and mounted again',
      params,
      facts: { fstab: fstab(`${ROOT}${LINE}\n`), point: point(DATA_MOUNTED.replace('block 7:1', 'block 7:2')) },
      changes: [{ path: 'mounted', before: '/dev/loop1 (ext4)', after: 'UUID=1111 (ext4)' }],
      steps: ['umount /srv/data', 'mount /srv/data'],
    },
    {
      case: 'changed options: remounted',
      params: { ...params, opts: 'noatime,nodev' },
      facts: { fstab: fstab(`${ROOT}${LINE}\n`), point: point(DATA_MOUNTED) },
      changes: [{ path: 'fstab', before: 'UUID=1111 ext4 noatime', after: 'UUID=1111 ext4 noatime,nodev' }, { path: 'options', before: 'rw,noatime', after: 'noatime,nodev (-> nodev)' }],
      steps: ['write /etc/fstab', 'systemctl daemon-reload', 'remount /srv/data'],
    },
    { case: 'present: fstab only', params: { ...params, state: 'present' }, facts: { fstab: fstab(ROOT), point: point('dir no\nsystemd yes\n') }, changes: [{ path: 'fstab', before: null, after: 'UUID=1111 ext4 noatime' }], steps: ['write /etc/fstab', 'systemctl daemon-reload'] },
    { case: 'unmounted: kept in fstab, unmounted', params: { ...params, state: 'unmounted' }, facts: { fstab: fstab(`${ROOT}${LINE}\n`), point: point(DATA_MOUNTED) }, changes: [{ path: 'mounted', before: '/dev/loop1', after: null }], steps: ['umount /srv/data'] },
    {
      case: 'absent: unmounted and out of fstab',
      params: { path: '/srv/data', state: 'absent' },
      facts: { fstab: fstab(`${ROOT}${LINE}\n`), point: point(DATA_MOUNTED) },
      changes: [{ path: 'fstab', before: 'UUID=1111 ext4 noatime', after: null }, { path: 'mounted', before: '/dev/loop1', after: null }],
      steps: ['umount /srv/data', 'write /etc/fstab', 'systemctl daemon-reload'],
    },
    { case: 'absent stays absent', params: { path: '/srv/data', state: 'absent' }, facts: { fstab: fstab(ROOT), point: point('dir yes\nsystemd yes\n') }, changes: [], steps: [] },
    { case: 'boot false adds noauto', params: { ...params, boot: false, state: 'present' }, facts: { fstab: fstab(ROOT), point: point('dir yes\nsystemd no\n') }, changes: [{ path: 'fstab', before: null, after: 'UUID=1111 ext4 noatime,noauto' }], steps: ['write /etc/fstab'] },
    { case: 'remounted: always, for handlers', params: { path: '/srv/data', state: 'remounted' }, facts: { fstab: fstab(ROOT), point: point(DATA_MOUNTED) }, changes: [{ path: 'mounted', before: '/dev/loop1 (rw,noatime)', after: 'remounted' }], steps: ['remount /srv/data'] },
  ])('$case', ({ params: p, facts, changes, steps }) => {
    const r = planModule(mount, { params: p, facts });
    expect(r.changes).toEqual(changes);
    expect(desc(r)).toEqual(steps);
  });

  test('the new fstab keeps every other line and the mount names the source explicitly', () => {
    const r = planModule(mount, { params: { ...params, path: '/srv/my data' }, facts: { fstab: fstab(ROOT), point: parseMountPoint('dir yes\nsystemd no\nblock 7:1 /dev/loop1\n', { path: '/srv/my data' }) } });
    expect(Buffer.from(r.commands[0]?.stdin as Uint8Array).toString()).toBe(`${ROOT}UUID=1111 /srv/my\\040data ext4 noatime 0 2\n`);
    expect(String(r.commands[1]?.script)).toBe("mount -t ext4 -o noatime -- UUID=1111 '/srv/my data'");
    expect(r.diffs[0]?.path).toBe('/etc/fstab');
  });

  test('a UUID an earlier task makes is predicted in check mode, labelled; without one it is refused', () => {
    const facts = { fstab: fstab(ROOT), point: point('dir yes\nsystemd no\nsource none\n') };
    expect(planModule(mount, { params, facts, upstreamChanged: true }).changes.at(-1)).toEqual({ path: 'mounted', before: null, after: 'UUID=1111 (made by an earlier task; known after it runs)' });
    expect(() => planModule(mount, { params, facts })).toThrow(/src UUID=1111 names no device on this host/);
  });

  test.each([{ path: '/srv/data' }, { path: '/srv/data/', src: 'x', fstype: 'ext4' }, { path: '/srv', src: 'a', fstype: 'ext4', state: 'ephemeral' }, { path: '/srv', src: 'a', fstype: 'ext 4' }])('rejects params %j', (p) => {
    expect(() => planModule(mount, { params: p, facts: { fstab: fstab(ROOT), point: point('dir yes\n') } })).toThrow(/invalid params|module mount/);
  });
});

const swapFile = (size: number, mode = '0600'): FileState => ({ path: '/swapfile', type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size, inode: '1:2' } });
const ABSENT: FileState = { path: '/swapfile', type: 'absent', parentExists: true };
const SWAP_ON = parseBlockDevice('kind file\nsize 16777216\nblkid TYPE=swap\nswap -2\n', '/swapfile');
const SWAP_OFF = parseBlockDevice('kind file\nsize 16777216\nblkid TYPE=swap\n', '/swapfile');
const SWAP_LINE = '/swapfile none swap sw 0 0';

describe('module swapfile', () => {
  test.each([
    {
      case: 'new: made, mkswap, fstab, swapon',
      params: { path: '/swapfile', size: '16M' },
      facts: { file: ABSENT, swap: parseBlockDevice('kind none\n', '/swapfile'), fstab: fstab(ROOT) },
      changes: [{ path: 'state', before: 'absent', after: 'swap file of 16777216 bytes' }, { path: 'fstab', before: null, after: '/swapfile sw' }],
      steps: ['create /swapfile', 'mkswap /swapfile', 'write /etc/fstab', 'swapon /swapfile'],
    },
    { case: 'converged', params: { path: '/swapfile', size: 16777216 }, facts: { file: swapFile(16777216), swap: SWAP_ON, fstab: fstab(`${ROOT}${SWAP_LINE}\n`) }, changes: [], steps: [] },
    {
      case: 'another size: swapped off and made again',
      params: { path: '/swapfile', size: '32M' },
      facts: { file: swapFile(16777216), swap: SWAP_ON, fstab: fstab(`${ROOT}${SWAP_LINE}\n`) },
      changes: [{ path: 'size', before: 16777216, after: 33554432 }],
      steps: ['swapoff /swapfile', 'create /swapfile', 'mkswap /swapfile', 'swapon /swapfile'],
    },
    {
      case: 'not in use, wrong mode, with a priority',
      params: { path: '/swapfile', size: '16M', priority: 5 },
      facts: { file: swapFile(16777216, '0644'), swap: SWAP_OFF, fstab: fstab(`${ROOT}${SWAP_LINE}\n`) },
      changes: [{ path: 'mode', before: '0644', after: '0600' }, { path: 'active', before: false, after: true }, { path: 'fstab', before: '/swapfile sw', after: '/swapfile sw,pri=5' }],
      steps: ['chmod /swapfile', 'write /etc/fstab', 'swapon /swapfile'],
    },
    {
      case: 'absent: off, out of fstab, removed',
      params: { path: '/swapfile', state: 'absent' },
      facts: { file: swapFile(16777216), swap: SWAP_ON, fstab: fstab(`${ROOT}${SWAP_LINE}\n`) },
      changes: [{ path: 'active', before: true, after: false }, { path: 'state', before: 'file', after: 'absent' }, { path: 'fstab', before: '/swapfile sw', after: null }],
      steps: ['swapoff /swapfile', 'write /etc/fstab', 'remove /swapfile'],
    },
  ])('$case', ({ params: p, facts, changes, steps }) => {
    const r = planModule(swapfile, { params: p, facts });
    expect(r.changes).toEqual(changes);
    expect(desc(r)).toEqual(steps);
  });

  test('a file that is not a swap area is refused, not overwritten', () => {
    expect(() => planModule(swapfile, { params: { path: '/swapfile', size: '16M' }, facts: { file: swapFile(100), swap: parseBlockDevice('kind file\nsize 100\n', '/swapfile'), fstab: fstab(ROOT) } })).toThrow(/exists and is not a swap area/);
  });
  test('the size is checked: a unit fallocate reads, or bytes', () => {
    expect(() => planModule(swapfile, { params: { path: '/swapfile', size: '16MB' }, facts: {} })).toThrow(/invalid params/);
    expect(() => planModule(swapfile, { params: { path: '/swapfile' }, facts: {} })).toThrow(/needs size/);
  });
});
