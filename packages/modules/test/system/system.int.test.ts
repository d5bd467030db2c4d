// Integration tests of the system modules on real Debian 12 containers (systemd as PID 1, sshd),
// converged over SSH: check, run, run again (zero changes), check again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { apt, command, group, shell, systemdService, user } from '../../src/system.js';

let hosts: TestHosts;
const H = 'host1';
const sh = async (cmd: string): Promise<string> => {
  const r = await hosts.exec(H, cmd);
  return r.stdout.trim();
};
/** Holds an apt/dpkg lock the way apt does (fcntl record lock, which flock(1) would not take) for `seconds`. */
const holdLock = (path: string, seconds: number): Promise<string> =>
  sh(
    `setsid nohup python3 -c 'import fcntl,time; f=open("${path}","w"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(${seconds})' >/dev/null 2>&1 & ` +
      `for i in 1 2 3 4 5 6 7 8 9 10; do grep -q POSIX /proc/locks && break; sleep 0.2; done; echo started`,
  );

beforeAll(async () => {
  hosts = await startHosts(1);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('apt', () => {
  test('installs a small package after refreshing the lists, then removes it; each twice', async () => {
    await convergeTwice(hosts, [apt({ name: 'tree', update_cache: true, cache_valid_time: 3600 })]);
    expect(await sh(`dpkg-query -W -f '\${db:Status-Abbrev}' tree`)).toBe('ii');
    await convergeTwice(hosts, [apt({ name: 'tree', state: 'absent', purge: true })]);
    expect(await sh(`dpkg-query -W -f '\${db:Status-Abbrev}' tree 2>/dev/null || echo gone`)).not.toMatch(/^ii/);
  });

  test('check mode refuses a package apt does not know, as the real run does', async () => {
    for (const check of [true, false]) {
      const report = await runTasks(hosts, [apt({ name: ['tree', 'no-such-package-converge'] })], { check });
      expect(report.tasks[0]?.status).toBe('failed');
      expect(report.tasks[0]?.message).toMatch(/no-such-package-converge has no installation candidate/);
    }
  });

  test('C-21: waits for the lock another process holds, then installs', async () => {
    await holdLock('/var/lib/dpkg/lock-frontend', 6);
    const started = Date.now();
    const report = await runTasks(hosts, [apt({ name: 'hello', lock_timeout: 60 })]);
    const row = report.tasks.find((t) => t.module === 'apt');
    expect(row?.status, row?.message).toBe('changed');
    expect(row?.message).toMatch(/waiting up to 60s for the package manager lock: \/var\/lib\/dpkg\/lock-frontend is held by pid \d+ \(python3/);
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect(await sh(`dpkg-query -W -f '\${db:Status-Abbrev}' hello`)).toBe('ii');
  });

  test('C-21: gives up after lock_timeout, naming the holder', async () => {
    await holdLock('/var/lib/dpkg/lock-frontend', 20);
    const report = await runTasks(hosts, [apt({ name: 'hello', state: 'absent', lock_timeout: 3 })]);
    const row = report.tasks.find((t) => t.module === 'apt');
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/gave up after waiting 3s for the package manager lock: \/var\/lib\/dpkg\/lock-frontend is held by pid \d+ \(python3 -c import fcntl/);
    expect(await sh(`dpkg-query -W -f '\${db:Status-Abbrev}' hello`)).toBe('ii');
  });
});

describe('systemd.service', () => {
  const unitPath = '/etc/systemd/system/converge-demo.service';
  const unitText = '[Unit]\nDescription=converge demo\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n';

  test('C-20: a unit file written earlier in the play is started and enabled; run twice', async () => {
    await convergeTwice(hosts, [
      shell({ cmd: `printf '%s' '${unitText}' > ${unitPath}`, creates: unitPath }),
      systemdService({ name: 'converge-demo', state: 'started', enabled: true }),
    ]);
    expect(await sh('systemctl is-active converge-demo; systemctl is-enabled converge-demo')).toBe('active\nenabled');
  });

  test('C-20: a unit file changed on disk is reloaded before enable; run twice', async () => {
    await sh(`systemctl disable converge-demo; sed -i 's/sleep infinity/sleep 86400/' ${unitPath}`);
    expect(await sh('systemctl show -p NeedDaemonReload converge-demo')).toBe('NeedDaemonReload=yes');
    const { first } = await convergeTwice(hosts, [systemdService({ name: 'converge-demo', state: 'started', enabled: true })]);
    expect(first.tasks.find((t) => t.module === 'systemd.service')?.changes?.map((c) => c.path)).toEqual(['daemon_reload', 'enabled']);
    expect(await sh('systemctl show -p NeedDaemonReload converge-demo')).toBe('NeedDaemonReload=no');
  });

  test('stopped and disabled; restarted always changes', async () => {
    await convergeTwice(hosts, [systemdService({ name: 'converge-demo', state: 'stopped', enabled: false })]);
    expect(await sh('systemctl is-active converge-demo; systemctl is-enabled converge-demo')).toBe('inactive\ndisabled');
    const report = await runTasks(hosts, [systemdService({ name: 'converge-demo', state: 'restarted' })]);
    expect(report.tasks.find((t) => t.module === 'systemd.service')?.status).toBe('changed');
    const status = await sh('systemctl is-active converge-demo; systemctl status converge-demo --no-pager -n 20 || true');
    expect(status.split('\n')[0], status).toBe('active');
  });
});

describe('user and group', () => {
  const hash = '$6$cvgsalt$Xq0yYqUq3dO2Zb7yEbYVnM8c1q2m1p5mQm8wR0c6i1f1M3b0XyYp7v2lK6vHnVq7s0W1pZ3b8kQ9aJ2c4d5e6.';

  test('creates a group and a user in it, with a secret password hash; twice', async () => {
    await convergeTwice(hosts, [
      group({ name: 'cvgteam', gid: 2345 }),
      user({ name: 'cvgapp', uid: 2345, group: 'cvgteam', groups: ['sudo'], shell: '/bin/bash', comment: 'Converge App', password: secret(hash) }),
    ]);
    expect(await sh('getent passwd cvgapp')).toBe('cvgapp:x:2345:2345:Converge App:/home/cvgapp:/bin/bash');
    expect(await sh('id -Gn cvgapp')).toBe('cvgteam sudo');
    expect(await sh('getent shadow cvgapp | cut -d: -f2')).toBe(hash);
    expect(await sh('test -d /home/cvgapp && echo home')).toBe('home');
  });

  test('modifies shell, comment, groups and gid; twice', async () => {
    await convergeTwice(hosts, [
      group({ name: 'cvgteam', gid: 2346 }),
      user({ name: 'cvgapp', group: 'cvgteam', groups: [], shell: '/bin/sh', comment: 'Changed' }),
    ]);
    expect(await sh('getent passwd cvgapp')).toBe('cvgapp:x:2345:2346:Changed:/home/cvgapp:/bin/sh');
    expect(await sh('id -Gn cvgapp')).toBe('cvgteam');
  });

  test('removes the user with its home, then the group; twice', async () => {
    await convergeTwice(hosts, [user({ name: 'cvgapp', state: 'absent', remove: true }), group({ name: 'cvgteam', state: 'absent' })]);
    expect(await sh('getent passwd cvgapp; getent group cvgteam; test -d /home/cvgapp || echo no-home')).toBe('no-home');
  });
});

describe('command and shell', () => {
  test('command with creates runs once; twice', async () => {
    const { first, second } = await convergeTwice(hosts, [command({ argv: ['touch', '/tmp/cvg created'], creates: '/tmp/cvg created' })]);
    expect(first.tasks[0]?.status).toBe('changed');
    expect(second.tasks[0]?.message).toBe('creates: /tmp/cvg created exists');
  });

  test('shell reports rc, stdout and stderr, and fails on a non-zero rc', async () => {
    const report = await runTasks(hosts, [shell({ cmd: 'echo out; echo err >&2; exit 3' })]);
    const row = report.tasks[0];
    expect(row?.status).toBe('failed');
    expect(row?.result).toMatchObject({ rc: 3, stdout: 'out', stderr: 'err' });
  });
});
