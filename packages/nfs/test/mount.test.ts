import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { mountedOptionDiffs, nfs, parseMountPoint } from '../src/index.js';
import type { MountPointState } from '../src/index.js';

const FSTAB = `# /etc/fstab: static file system information.
UUID=0a1b / ext4 errors=remount-ro 0 1
/dev/sdb1\t/data xfs defaults 0 2
old:/srv/shared /mnt/shared nfs rw,soft 0 0
tmpfs /tmp tmpfs defaults 0 0
`;

// /proc/self/mounts lines of NFS mounts as Linux 6.1 prints them (Debian 12 client).
const V42 = 'rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.0.0.2,local_lock=none,addr=10.0.0.1';
const V3 = 'ro,relatime,vers=3,rsize=1048576,wsize=1048576,namlen=255,soft,proto=tcp,timeo=100,retrans=3,sec=sys,mountaddr=10.0.0.1,mountvers=3,mountport=20048,mountproto=tcp,local_lock=none,addr=10.0.0.1';

describe('mounted options against the wanted ones', () => {
  test.each([
    [{ vers: '4.2' as const, timeo: 600, proto: 'tcp' as const }, V42, []],
    [{ vers: '4' as const }, V42, []],
    [{}, V42, []],
    [{ vers: '4.1' as const, timeo: 100 }, V42, ['vers=4.2 -> vers=4.1', 'timeo=600 -> timeo=100']],
    [{ hard: false, ro: true }, V42, ['rw -> ro', 'hard -> soft']],
    [{ vers: '3' as const, hard: false, ro: true, timeo: 100, retrans: 3 }, V3, []],
    [{ vers: '3' as const, sec: 'krb5' as const }, V3, ['ro -> rw', 'soft -> hard', 'sec=sys -> sec=krb5']],
  ])('%j on %s', (want, mounted, diffs) => expect(mountedOptionDiffs(want, mounted)).toEqual(diffs));
});

describe('mount point probe', () => {
  test('parsed', () => {
    expect(parseMountPoint(`dir yes\nhelper yes\nsystemd yes\nfs nfs\nfs nfs4\nmount files:/srv/shared /mnt/shared nfs4 ${V42} 0 0\n`)).toEqual({
      directory: true,
      helper: true,
      systemd: true,
      kernel: ['nfs', 'nfs4'],
      mounted: { src: 'files:/srv/shared', fstype: 'nfs4', options: V42 },
    });
    expect(parseMountPoint('dir no\nhelper no\nsystemd yes\n')).toEqual({ directory: false, helper: false, systemd: true, kernel: [] });
  });
});

const fstab = (text: string): FileState => ({
  path: '/etc/fstab',
  type: 'file',
  parentExists: true,
  target: { type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: text.length, inode: '1:1', content: text },
});
const point = (p: Partial<MountPointState> = {}): MountPointState => ({ directory: true, helper: true, kernel: ['nfs', 'nfs4'], systemd: true, ...p });
const params = { path: '/mnt/shared', src: 'files:/srv/shared', options: { vers: '4.2' as const, timeo: 600 } };
const LINE = 'files:/srv/shared /mnt/shared nfs rw,vers=4.2,hard,timeo=600,_netdev,nofail 0 0';

describe('module nfs.mount', () => {
  test('new: fstab line, daemon-reload, mount point, mount', () => {
    const r = planModule(nfs.mount, { params, facts: { fstab: fstab('a / ext4 defaults 0 1\n'), point: point({ directory: false }) } });
    expect(r.changes).toEqual([
      { path: 'fstab', before: null, after: 'files:/srv/shared rw,vers=4.2,hard,timeo=600,_netdev,nofail' },
      { path: 'mount_point', before: null, after: '/mnt/shared' },
      { path: 'mounted', before: null, after: 'files:/srv/shared' },
    ]);
    expect(r.commands.map((c) => c.description)).toEqual(['write /etc/fstab', 'systemctl daemon-reload', 'create /mnt/shared', 'mount /mnt/shared']);
    expect(Buffer.from(r.commands[0]?.stdin as Uint8Array).toString()).toBe(`a / ext4 defaults 0 1\n${LINE}\n`);
  });
  test('converged: in fstab and mounted with these options', () => {
    const r = planModule(nfs.mount, { params, facts: { fstab: fstab(`${LINE}\n`), point: point({ mounted: { src: 'files:/srv/shared', fstype: 'nfs4', options: V42 } }) } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('/mnt/shared is in /etc/fstab and mounted as wanted');
  });
  test('options changed: new fstab line, then umount and mount', () => {
    const r = planModule(nfs.mount, {
      params: { ...params, options: { ...params.options, hard: false } },
      facts: { fstab: fstab(`${LINE}\n`), point: point({ mounted: { src: 'files:/srv/shared', fstype: 'nfs4', options: V42 } }) },
    });
    expect(r.changes.map((c) => c.path)).toEqual(['fstab', 'mounted']);
    expect(r.changes[1]?.after).toBe('files:/srv/shared (hard -> soft)');
    expect(r.commands.map((c) => c.description)).toEqual(['umount /mnt/shared', 'write /etc/fstab', 'systemctl daemon-reload', 'mount /mnt/shared']);
  });
  test('mounted from elsewhere by hand: remount from fstab', () => {
    const r = planModule(nfs.mount, { params, facts: { fstab: fstab(`${LINE}\n`), point: point({ mounted: { src: 'old:/srv', fstype: 'nfs4', options: V42 } }) } });
    expect(r.changes).toEqual([{ path: 'mounted', before: `old:/srv (${V42})`, after: 'files:/srv/shared (old:/srv -> files:/srv/shared)' }]);
    expect(r.commands.map((c) => c.description)).toEqual(['umount /mnt/shared', 'mount /mnt/shared']);
  });
  test('present: fstab only, even where the kernel has no NFS', () => {
    const r = planModule(nfs.mount, { params: { ...params, state: 'present' }, facts: { fstab: fstab(''), point: point({ kernel: [], directory: false }) } });
    expect(r.commands.map((c) => c.description)).toEqual(['write /etc/fstab', 'systemctl daemon-reload']);
  });
  test('absent: unmounted and out of fstab', () => {
    const r = planModule(nfs.mount, { params: { path: '/mnt/shared', state: 'absent' }, facts: { fstab: fstab(FSTAB), point: point({ mounted: { src: 'old:/srv/shared', fstype: 'nfs', options: V3 } }) } });
    expect(r.changes.map((c) => [c.path, c.after])).toEqual([['fstab', null], ['mounted', null]]);
    expect(r.commands.map((c) => c.description)).toEqual(['umount /mnt/shared', 'write /etc/fstab', 'systemctl daemon-reload']);
  });
  test('no mount.nfs: refused at plan time unless an earlier task installs it', () => {
    const facts = { fstab: fstab(''), point: point({ helper: false }) };
    expect(() => planModule(nfs.mount, { params, facts })).toThrow(/mount\.nfs is not installed/);
    expect(planModule(nfs.mount, { params, facts, upstreamChanged: true }).changes.map((c) => c.path)).toEqual(['fstab', 'mounted']);
  });
  test.each([
    [{ path: '/mnt/x' }, /give src/],
    [{ path: '/mnt/x/', src: 'h:/x' }, /path/],
    [{ path: '/mnt/x', src: 'h/x' }, /src/],
    [{ path: '/mnt/x', src: 'h:/x', options: { vers: '4.2', proto: 'udp' } }, /NFSv4 does not run over UDP/],
    [{ path: '/mnt/x', src: 'h:/x', options: { extra: ['soft'] } }, /use the typed option/],
    [{ path: '/mnt/x', src: 'h:/x', options: { timeo: 0 } }, /timeo/],
  ])('refused: %j', (p, error) => {
    expect(() => planModule(nfs.mount, { params: p, facts: {} })).toThrow(error);
  });
});
