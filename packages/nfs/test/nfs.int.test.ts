// @converge/nfs and roles/shared-storage on real Debian 12 containers. The test machines'
// kernel has no NFS (no nfsd, no nfs in /proc/filesystems): everything but the kernel mount is
// real here (packages, exports files, exportfs, fstab, the .mount unit systemd generates from
// it), and nfs-ganesha, which runs in user space, serves for real to a second host reading and
// writing with libnfs's user-space client; the kernel mount tests run where the kernel lists nfs
// and nfsd, and say why they were skipped elsewhere. Every converge runs as check, run, run
// again (zero changes), check again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apt } from '@converge/modules';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';

const LONG = 900_000;
import { nfs, renderExports, renderGaneshaConfig, type GaneshaExport, type NfsExport } from '../src/index.js';
import { sharedStorage, type SharedStorageVars } from '../../../roles/shared-storage/src/index.js';

let hosts: TestHosts;
const H = 'nfs1';
let kernelNfs = false;
let ganeshaInstalled: Promise<unknown>;
let skipReason = '';
const sh = async (cmd: string): Promise<string> => {
  const r = await hosts.exec(H, cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(async () => {
  // nfs1 holds the kernel server's configuration, nfs2 serves with nfs-ganesha for real, and nfs1
  // reads there with the user-space client (libnfs-utils). nfs-ganesha's VFS FSAL
  // works on file handles (name_to_handle_at(2), open_by_handle_at(2): CAP_DAC_READ_SEARCH),
  // which the containers' overlay root does not have: its exports live on a tmpfs.
  hosts = await startHosts(2, { prefix: 'nfs', capabilities: ['DAC_READ_SEARCH'], tmpfs: { '/srv/ganesha': 'rw,mode=755,size=16m' } });
  // nfs-ganesha's packages install on nfs2 while the kernel tests run on nfs1 (awaited by the
  // ganesha tests; a separate converge: check mode cannot know that Debian starts the service).
  ganeshaInstalled = convergeTwice(hosts, [apt({ name: ['nfs-ganesha', 'nfs-ganesha-vfs'], update_cache: true, cache_valid_time: 3600 })], { hosts: 'nfs2' });
  ganeshaInstalled.catch(() => undefined);
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
    const { first: installed } = await convergeTwice(hosts, packages, { hosts: H, vars: { shared_storage: c } });
    expect(installed.tasks.filter((t) => t.status === 'changed').map((t) => t.task)).toEqual(['install nfs-common', 'install nfs-kernel-server']);
    const { first } = await convergeTwice(hosts, roleTasks(c), { hosts: H, vars: { shared_storage: c } });
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
    const { first } = await convergeTwice(hosts, roleTasks(c), { hosts: H, vars: { shared_storage: c } });
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
      const run = runTasks(hosts, [nfs.exports({ name: 'shared', exports: [{ path: '/srv/shared', clients: [{ host: '10.0.0.*', options: { access: 'rw' } }] }] })], { check, hosts: H });
      await expect(run).rejects.toThrow(/exports\[0\] \(\/srv\/shared\)\.clients\[0\]: 10\.0\.0\.\*: wildcards do not work on IP addresses/);
    }
    expect(await sh('sha256sum /etc/exports.d/shared.exports')).toBe(before);
  });

  test('when exportfs refuses the new table, the old file is put back and the task fails with exportfs\'s words', async () => {
    const before = await sh('cat /etc/exports.d/shared.exports');
    await sh("printf '/srv/public 10.9.9.9(rw,no_such_option)\\n' > /etc/exports.d/zz-hand-made.exports");
    try {
      const report = await runTasks(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })], { hosts: H });
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
    const { first } = await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })], { hosts: H });
    expect(first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['exports_file']);
    await sh('/usr/sbin/exportfs -ua');
    const again = await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: exportsV1 })], { hosts: H });
    expect(again.first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['exported']);
    expect(await sh('/usr/sbin/exportfs -v')).toMatch(/\/srv\/public/);
  });

  test('removed: no exports file, no fstab line; twice', async () => {
    await convergeTwice(hosts, [nfs.exports({ name: 'shared', exports: [], state: 'absent' }), nfs.mount({ path: '/mnt/shared', state: 'absent' })], { hosts: H });
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
    await convergeTwice(hosts, roleTasks(v1), { hosts: H, vars: { shared_storage: v1 } });
    expect(await sh('systemctl is-active nfs-server')).toBe('active');
    expect(await sh("awk '$2 == \"/mnt/nfs-test\" { print $1, $3 }' /proc/self/mounts")).toBe('127.0.0.1:/srv/mnt-test nfs4');
    await sh('echo through-nfs > /mnt/nfs-test/probe');
    expect(await sh('cat /srv/mnt-test/probe')).toBe('through-nfs');

    const v2 = c({ timeo: 100, hard: false, retrans: 2 });
    const { first } = await convergeTwice(hosts, roleTasks(v2), { hosts: H, vars: { shared_storage: v2 } });
    expect(first.tasks.find((t) => t.task === 'NFS mount #1')?.changes?.map((x) => x.path)).toEqual(['fstab', 'mounted']);
    expect(await sh("awk '$2 == \"/mnt/nfs-test\" { print $4 }' /proc/self/mounts")).toMatch(/soft.*timeo=100,retrans=2/);

    await convergeTwice(hosts, [nfs.mount({ path: '/mnt/nfs-test', state: 'absent' })], { hosts: H });
    expect(await sh("awk '$2 == \"/mnt/nfs-test\"' /proc/self/mounts")).toBe('');
  }, LONG);
});

describe('nfs-ganesha served for real (user space), read from another host with libnfs', () => {
  const S = 'nfs2';
  const C = 'nfs1';
  const run = async (host: string, cmd: string): Promise<string> => {
    const r = await hosts.exec(host, `cd /tmp && ${cmd}`);
    if (r.exitCode !== 0) throw new Error(`${host}: ${cmd}: exit ${r.exitCode}\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const onServer = (cmd: string) => run(S, cmd);
  const onClient = (cmd: string) => run(C, cmd);
  let server = '';
  let client = '';
  const shared: GaneshaExport = { export_id: 1, path: '/srv/ganesha/shared', pseudo: '/shared', mode: '0777', clients: [] };
  const ganesha = (exports: GaneshaExport[]): SharedStorageVars => ({ server: { ganesha: { exports } } });
  const withClients = (e: GaneshaExport): GaneshaExport => ({ ...e, clients: [{ clients: [client, '127.0.0.1'], access_type: 'RW', squash: 'no_root_squash' }] });
  const serverTasks = (c: SharedStorageVars) => roleTasks(c).filter((t) => t.options.name?.includes('ganesha'));

  test('the role converges nfs-ganesha twice; a file written on the server is read from the other host over NFSv3 and NFSv4', async () => {
    server = hosts.hosts[1]!.address;
    client = hosts.hosts[0]!.address;
    await ganeshaInstalled;
    await convergeTwice(hosts, [apt({ name: 'libnfs-utils', update_cache: true, cache_valid_time: 3600 })], { hosts: C });
    const c = ganesha([withClients(shared)]);
    const { first } = await convergeTwice(hosts, serverTasks(c), { hosts: S, vars: { shared_storage: c } });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => [t.task, t.changes?.map((x) => x.path)])).toEqual([['NFS exports (nfs-ganesha)', ['exports[0].directory', 'config_file', 'service']]]);
    expect(await onServer('cat /etc/ganesha/ganesha.conf')).toBe(renderGaneshaConfig([withClients(shared)]).trim());
    expect(await onServer('systemctl is-active nfs-ganesha')).toBe('active');

    await onServer('printf "written on the server\\n" > /srv/ganesha/shared/hello.txt');
    expect(await onClient(`nfs-cat nfs://${server}/srv/ganesha/shared/hello.txt`)).toBe('written on the server');
    expect(await onClient(`nfs-ls 'nfs://${server}/shared?version=4'`)).toMatch(/hello\.txt$/m);
  }, LONG);

  test('a second export is added by a reload, without a restart; the first keeps serving; twice', async () => {
    const pid = await onServer('systemctl show -p MainPID --value nfs-ganesha; cat /run/ganesha/ganesha.pid');
    const pub: GaneshaExport = { export_id: 2, path: '/srv/ganesha/public', pseudo: '/public', access_type: 'RO', squash: 'all_squash', clients: [{ clients: ['*'], access_type: 'RO' }] };
    const c = ganesha([withClients(shared), pub]);
    const { first } = await convergeTwice(hosts, serverTasks(c), { hosts: S, vars: { shared_storage: c } });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => t.changes?.map((x) => x.path))).toEqual([['exports[1].directory', 'config_file', 'service']]);
    await onServer('printf "public\\n" > /srv/ganesha/public/readme.txt');
    expect(await onClient(`nfs-cat nfs://${server}/srv/ganesha/public/readme.txt`)).toBe('public');
    expect(await onClient(`nfs-cat nfs://${server}/srv/ganesha/shared/hello.txt`)).toBe('written on the server');
    expect(await onServer('systemctl show -p MainPID --value nfs-ganesha; cat /run/ganesha/ganesha.pid')).toBe(pid);
  }, LONG);

  test('an export ganesha cannot serve is refused by ganesha itself: the old file is put back and still served', async () => {
    const before = await onServer('sha256sum /etc/ganesha/ganesha.conf');
    // /srv/no-handles is on the container's overlay root: no file handles for the VFS FSAL.
    const c = ganesha([withClients(shared), { export_id: 3, path: '/srv/no-handles', clients: [{ clients: [client], access_type: 'RO' }] }]);
    const report = await runTasks(hosts, serverTasks(c), { hosts: S, vars: { shared_storage: c } });
    const failed = report.tasks.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.task)).toEqual(['NFS exports (nfs-ganesha)']);
    expect(failed[0]?.message).toMatch(/nfs-ganesha did not take the new exports; \/etc\/ganesha\/ganesha\.conf was put back as it was\.\nganesha said:\n.*Could not get handle for path \/srv\/no-handles/);
    expect(await onServer('sha256sum /etc/ganesha/ganesha.conf')).toBe(before);
    expect(await onServer('ls -A /etc/ganesha')).not.toContain('.converge-');
    expect(await onClient(`nfs-cat nfs://${server}/srv/ganesha/shared/hello.txt`)).toBe('written on the server');
    // A served id cannot get another path by a reload: refused before anything is written.
    const moved = ganesha([{ ...withClients(shared), path: '/srv/ganesha/elsewhere' }]);
    const plan = await runTasks(hosts, serverTasks(moved), { hosts: S, vars: { shared_storage: moved }, check: true });
    expect(plan.tasks.find((t) => t.status === 'failed')?.message).toMatch(/export_id 1: the running nfs-ganesha serves \/srv\/ganesha\/shared under this id/);
  }, LONG);
});
