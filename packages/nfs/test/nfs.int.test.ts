// @converge/nfs and roles/shared-storage on a real Debian 12 container. The test machines'
// kernel has no NFS (no nfsd, no nfs in /proc/filesystems): everything but the mount itself is
// real here (packages, exports files, exportfs, fstab, the .mount unit systemd generates from
// it); the mount tests run where the kernel lists nfs and nfsd, and say why they were skipped
// elsewhere. Every converge runs as check, run, run again (zero changes), check again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';

const LONG = 900_000;
import { nfs, renderExports, type NfsExport } from '../src/index.js';
import { sharedStorage, type SharedStorageVars } from '../../../roles/shared-storage/index.js';

let hosts: TestHosts;
const H = 'nfs1';
let kernelNfs = false;
let skipReason = '';
const sh = async (cmd: string): Promise<string> => {
  const r = await hosts.exec(H, cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'nfs' });
  const fs = await sh("awk '{ print $NF }' /proc/filesystems");
  const have = new Set(fs.split('\n'));
  kernelNfs = have.has('nfs') && have.has('nfsd');
  skipReason = kernelNfs ? '' : `this kernel (${await sh('uname -r')}) lists ${['nfs', 'nfsd'].filter((t) => !have.has(t)).join(' and ')} nowhere in /proc/filesystems`;
});
afterAll(async () => {
  await hosts?.stop();
});

const exportsV1: NfsExport[] = [
  { path: '/srv/shared', owner: 'www-data', group: 'www-data', mode: '2775', clients: [{ host: '10.0.0.0/24', options: { access: 'rw' } }, { host: '*.example.com' }] },
  { path: '/srv/public', clients: [{ host: '*', options: { squash: 'all_squash', anonuid: 1000, anongid: 1000 } }] },
];
const config = (exports: NfsExport[], mountOptions = {}): SharedStorageVars => ({
  server: { name: 'shared', exports, start: false },
  mounts: [{ path: '/mnt/shared', src: 'files.example.com:/srv/shared', state: 'present', options: { vers: '4.2', timeo: 600, ...mountOptions } }],
});
const roleTasks = (c: SharedStorageVars) => sharedStorage(c).role.tasks;
const FSTAB_LINE = 'files.example.com:/srv/shared /mnt/shared nfs rw,vers=4.2,hard,timeo=600,_netdev,nofail 0 0';

describe('roles/shared-storage on a container', () => {
  test('server and client side: packages, exports applied with exportfs, directories, fstab and its mount unit; twice', async () => {
    const c = config(exportsV1);
    // The packages first: Debian's postinst enables nfs-server, which --check cannot foresee (it
    // expects a unit that appears during the run to be disabled), so the role's own prediction
    // is compared on a host that has them.
    const packages = sharedStorage(c).role.tasks.filter((t) => t.module.name === 'apt');
    const { first: installed } = await convergeTwice(hosts, packages, { vars: { shared_storage: c } });
    expect(installed.tasks.filter((t) => t.status === 'changed').map((t) => t.task)).toEqual(['install nfs-common', 'install nfs-kernel-server']);
    const { first } = await convergeTwice(hosts, roleTasks(c), { vars: { shared_storage: c } });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => t.task)).toEqual(['NFS exports', 'NFS mount #1']);
    expect(await sh('dpkg-query -W -f "\\${db:Status-Abbrev}\\n" nfs-kernel-server nfs-common')).toBe('ii \nii');
    expect(await sh('cat /etc/exports.d/shared.exports')).toBe(renderExports('shared', exportsV1).trim());
    // exportfs itself read the file: its table lists both paths with the options given.
    const table = await sh('/usr/sbin/exportfs -v');
    expect(table).toMatch(/\/srv\/shared\s+10\.0\.0\.0\/24\(sync,wdelay,hide,no_subtree_check,sec=sys,rw,root_squash,no_all_squash\)/);
    expect(table).toMatch(/\/srv\/shared\s+\*\.example\.com\(sync,wdelay,hide,no_subtree_check,sec=sys,ro,root_squash,no_all_squash\)/);
    expect(table).toMatch(/\/srv\/public\s+<world>\(sync,wdelay,hide,no_subtree_check,anonuid=1000,anongid=1000,sec=sys,ro,root_squash,all_squash\)/);
    expect(await sh('stat -c %a:%U:%G /srv/shared /srv/public')).toBe('2775:www-data:www-data\n755:root:root');
    expect(await sh('systemctl is-enabled nfs-server')).toBe('enabled');
    expect(await sh('grep /mnt/shared /etc/fstab')).toBe(FSTAB_LINE);
    // systemd-fstab-generator made the boot unit from the line (the role reloaded systemd).
    expect(await sh('systemctl show -p What -p Where -p Type -p Options mnt-shared.mount')).toBe(
      'Where=/mnt/shared\nWhat=files.example.com:/srv/shared\nOptions=rw,vers=4.2,hard,timeo=600,_netdev,nofail\nType=nfs',
    );
    expect(await sh('systemctl list-dependencies --plain --no-pager remote-fs.target')).toMatch(/mnt-shared\.mount/);
  }, LONG);

  test('a client added and mount options changed: only the exports file and the fstab line change; twice', async () => {
    const v2: NfsExport[] = [{ ...exportsV1[0]!, clients: [...exportsV1[0]!.clients, { host: '192.168.1.7', options: { access: 'rw', squash: 'no_root_squash' } }] }, exportsV1[1]!];
    const c = config(v2, { hard: false, retrans: 3 });
    const { first } = await convergeTwice(hosts, roleTasks(c), { vars: { shared_storage: c } });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => [t.task, t.changes?.map((x) => x.path)])).toEqual([
      ['NFS exports', ['exports_file']],
      ['NFS mount #1', ['fstab']],
    ]);
    expect(await sh('/usr/sbin/exportfs -v')).toMatch(/\/srv\/shared\s+192\.168\.1\.7\(.*rw,no_root_squash/);
    expect(await sh('systemctl show -p Options mnt-shared.mount')).toBe('Options=rw,vers=4.2,soft,timeo=600,retrans=3,_netdev,nofail');
  }, LONG);

  test('invalid exports are refused before anything is replaced', async () => {
    const before = await sh('sha256sum /etc/exports.d/shared.exports');
    for (const check of [true, false]) {
      const run = runTasks(hosts, [nfs.exports({ name: 'shared', exports: [{ path: '/srv/shared', clients: [{ host: '10.0.0.*', options: { access: 'rw' } }] }] })], { check });
      await expect(run).rejects.toThrow(/exports\[0\] \(\/srv\/shared\)\.clients\[0\]: 10\.0\.0\.\*: wildcards do not work on IP addresses/);
    }
    expect(await sh('sha256sum /etc/exports.d/shared.exports')).toBe(before);
  });

  test('when exportfs refuses the new table, the old file is put back and the task fails with exportfs\'s words', async () => {
    const before = await sh('cat /etc/exports.d/shared.exports');
    await sh("printf '/srv/public 10.9.9.9(rw,no_such_option)\\n' > /etc/exports.d/zz-hand-made.exports");
    try {
      const report = await runTasks(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })]);
      expect(report.tasks[0]?.status).toBe('failed');
      expect(report.tasks[0]?.message).toMatch(/exportfs -ra refused the new exports; \/etc\/exports\.d\/shared\.exports was put back as it was:[\s\S]*unknown keyword "no_such_option"/);
      expect(await sh('cat /etc/exports.d/shared.exports')).toBe(before);
      expect(await sh('ls -A /etc/exports.d')).toBe('shared.exports\nzz-hand-made.exports');
    } finally {
      await sh('rm -f /etc/exports.d/zz-hand-made.exports');
    }
  });

  test('an export dropped from the kernel table (exportfs -ua) is exported again; twice', async () => {
    await sh('/usr/sbin/exportfs -ua');
    const { first } = await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })]);
    expect(first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['exports_file']);
    await sh('/usr/sbin/exportfs -ua');
    const again = await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })]);
    expect(again.first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['exported']);
    expect(await sh('/usr/sbin/exportfs -v')).toMatch(/\/srv\/public/);
  });

  test('removed: no exports file, no fstab line; twice', async () => {
    await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: [], state: 'absent' }), nfs.mount({ path: '/mnt/shared', state: 'absent' })]);
    expect(await sh('ls -A /etc/exports.d; grep -c /mnt/shared /etc/fstab || :')).toBe('0');
    expect(await sh('/usr/sbin/exportfs -v')).toBe('');
  });
});

describe('NFS mounts (need a kernel with nfs and nfsd)', () => {
  test('the host exports a directory and mounts it over NFS, remounts on an option change, unmounts; twice each', async (ctx) => {
    if (!kernelNfs) {
      console.log(`skipped: NFS mount tests need a kernel with NFS client and server support; ${skipReason}`);
      ctx.skip();
    }
    const exp: NfsExport[] = [{ path: '/srv/mnt-test', mode: '0777', clients: [{ host: '127.0.0.1', options: { access: 'rw', squash: 'no_root_squash' } }] }];
    const c = (opts: object, state: 'mounted' | 'absent' = 'mounted'): SharedStorageVars => ({
      server: { name: 'mnt-test', exports: exp, start: true },
      mounts: [{ path: '/mnt/nfs-test', src: '127.0.0.1:/srv/mnt-test', state, options: { vers: '4.2', ...opts } }],
    });
    const v1 = c({ timeo: 600 });
    await convergeTwice(hosts, roleTasks(v1), { vars: { shared_storage: v1 } });
    expect(await sh('systemctl is-active nfs-server')).toBe('active');
    expect(await sh("awk '$2 == \"/mnt/nfs-test\" { print $1, $3 }' /proc/self/mounts")).toBe('127.0.0.1:/srv/mnt-test nfs4');
    await sh('echo through-nfs > /mnt/nfs-test/probe');
    expect(await sh('cat /srv/mnt-test/probe')).toBe('through-nfs');

    const v2 = c({ timeo: 100, hard: false, retrans: 2 });
    const { first } = await convergeTwice(hosts, roleTasks(v2), { vars: { shared_storage: v2 } });
    expect(first.tasks.find((t) => t.task === 'NFS mount #1')?.changes?.map((x) => x.path)).toEqual(['fstab', 'mounted']);
    expect(await sh("awk '$2 == \"/mnt/nfs-test\" { print $4 }' /proc/self/mounts")).toMatch(/soft.*timeo=100,retrans=2/);

    await convergeTwice(hosts, [nfs.mount({ path: '/mnt/nfs-test', state: 'absent' })]);
    expect(await sh("awk '$2 == \"/mnt/nfs-test\"' /proc/self/mounts")).toBe('');
  }, LONG);
});
