// Integration tests of the system configuration modules on two real Debian 12 containers,
// converged over SSH: check, run, run again (zero changes), check again. host1 gets cron, locales
// and logrotate; host2 stays the bare image, so "not installed" is met for real there.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { changedTasks, convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { command } from '../../src/system.js';
import { replace } from '../../src/files.js';
import { alternatives, authorizedKey, cron, hostname, knownHosts, locale, logrotate, modprobe, pamLimits, stat, sysctl, timezone } from '../../src/system.js';

let hosts: TestHosts;
const sh = async (host: string, cmd: string): Promise<string> => (await hosts.exec(host, cmd)).stdout.trim();
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEQ8lVbLzT9Y2k9cS3j5Q0b8QX7tHqPzWJ3cT6mM9aH1';

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'sys' });
  // Docker mounts /proc/sys read-only and bind-mounts /etc/hostname; a real host has neither.
  for (const h of ['sys1', 'sys2']) await sh(h, 'mount -o remount,rw /proc/sys && umount /etc/hostname && echo "$(hostname)" > /etc/hostname');
  const apt = await hosts.exec('sys1', 'DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cron locales logrotate >/dev/null 2>&1; echo rc=$?');
  expect(apt.stdout.trim()).toBe('rc=0');
});
afterAll(async () => {
  await hosts?.stop();
});

describe('kernel and host identity', () => {
  test('sysctl (file and live), modprobe persistence, hostname and timezone on both hosts; twice', async () => {
    await sh('sys1', "printf 'net.core.somaxconn = 128\\n' > /etc/sysctl.d/99-converge.conf");
    const { first, second } = await convergeTwice(hosts, [
      sysctl({ name: 'net.core.somaxconn', value: 1024 }),
      sysctl({ name: 'net.ipv4.ip_local_port_range', value: '20000 60999', sysctl_file: '/etc/sysctl.d/60-ports.conf' }),
      modprobe({ name: 'overlay', persistent: 'present' }),
      hostname((c) => ({ name: `${c.host}-web.example.test` })),
      timezone({ name: 'Europe/Paris' }),
    ]);
    expect(first.tasks.find((t) => t.host === 'sys1' && t.task.startsWith('sysctl'))?.changes?.map((c) => c.path)).toEqual(['file', 'live']);
    // The no-op run reads every fact of every task in one probe per host.
    expect(Object.values(second.stats).map((s) => s.roundTrips)).toEqual([1, 1]);
    for (const h of ['sys1', 'sys2']) {
      expect(await sh(h, 'cat /proc/sys/net/core/somaxconn /etc/sysctl.d/99-converge.conf')).toBe('1024\nnet.core.somaxconn=1024');
      expect(await sh(h, 'cat /proc/sys/net/ipv4/ip_local_port_range /etc/sysctl.d/60-ports.conf')).toBe('20000\t60999\nnet.ipv4.ip_local_port_range=20000 60999');
      expect(await sh(h, 'cat /etc/modules-load.d/overlay.conf; test -e /etc/modprobe.d/overlay.conf || echo no-options')).toBe('overlay\nno-options');
      expect(await sh(h, 'uname -n; cat /etc/hostname')).toBe(`${h}-web.example.test\n${h}-web.example.test`);
      expect(await sh(h, 'readlink /etc/localtime; cat /etc/timezone; date +%Z')).toMatch(/^\/usr\/share\/zoneinfo\/Europe\/Paris\nEurope\/Paris\nCES?T$/);
    }
  });

  test('a drifted live value is repaired without touching the file', async () => {
    await sh('sys2', 'echo 256 > /proc/sys/net/core/somaxconn');
    const r = await runTasks(hosts, [sysctl({ name: 'net.core.somaxconn', value: 1024 })]);
    expect(changedTasks(r)).toEqual(['sys2\tsysctl net.core.somaxconn']);
    expect(r.tasks.find((t) => t.host === 'sys2')?.changes).toEqual([{ path: 'live', before: '256', after: '1024' }]);
  });
});

describe('accounts, schedules and config files', () => {
  test('cron, authorizedKey, knownHosts, pamLimits, logrotate, alternatives, replace, locale and stat on sys1; twice', async () => {
    await sh('sys1', "useradd -m cvgdeploy; printf '# End of file\\n' > /etc/security/limits.conf; printf 'PasswordAuthentication yes\\n#PermitRootLogin yes\\n' > /srv/sshd.conf; printf '@reboot /usr/bin/true\\n' | crontab -u cvgdeploy -");
    const hostKey = await sh('sys2', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub');
    const tasks = [
      cron({ name: 'nightly backup', minute: '5', hour: '2', job: '/usr/local/bin/backup --all', user: 'cvgdeploy' }),
      cron({ name: 'cleanup', special_time: 'hourly', job: 'find /tmp -mtime +7 -delete', cron_file: 'converge-cleanup', user: 'root' }),
      cron({ name: 'MAILTO', env: true, job: 'ops@example.test', user: 'cvgdeploy' }),
      authorizedKey({ user: 'cvgdeploy', key: `${ED} ci@example`, key_options: 'no-agent-forwarding' }),
      knownHosts({ name: 'sys2', key: `sys2 ${hostKey}` }),
      pamLimits({ domain: 'cvgdeploy', limit_type: '-', limit_item: 'nofile', value: 65536 }),
      logrotate({ name: 'cvgapp', path: '/var/log/cvgapp/*.log', frequency: 'daily', rotate: 7, compress: true, missingok: true }),
      alternatives({ name: 'cvgtool', link: '/usr/local/bin/cvgtool', path: '/usr/bin/true', priority: 10 }),
      replace({ path: '/srv/sshd.conf', regexp: '^#?PasswordAuthentication .*$', replace: 'PasswordAuthentication no' }),
      locale({ name: 'de_DE.UTF-8' }),
      stat({ path: '/srv/sshd.conf' }, { register: 'sshd_conf' }),
      command({ argv: ['touch', '/srv/stat-said-exists'], creates: '/srv/stat-said-exists' }, { when: (c) => (c.registered('sshd_conf') as { stat?: { exists?: boolean } } | undefined)?.stat?.exists === true }),
    ];
    const { check, second } = await convergeTwice(hosts, tasks, { hosts: 'sys1' });
    expect(second.stats.sys1?.roundTrips).toBe(1);
    expect(check.tasks.find((t) => t.module === 'stat')?.result).toMatchObject({ stat: { exists: true, isreg: true, mode: '0644' } });
    expect(await sh('sys1', 'crontab -u cvgdeploy -l')).toBe('MAILTO="ops@example.test"\n@reboot /usr/bin/true\n#Ansible: nightly backup\n5 2 * * * /usr/local/bin/backup --all');
    expect(await sh('sys1', 'cat /etc/cron.d/converge-cleanup; stat -c %a /etc/cron.d/converge-cleanup')).toBe('#Ansible: cleanup\n@hourly root find /tmp -mtime +7 -delete\n644');
    expect(await sh('sys1', 'stat -c "%a %U" /home/cvgdeploy/.ssh /home/cvgdeploy/.ssh/authorized_keys; cat /home/cvgdeploy/.ssh/authorized_keys')).toBe(`700 cvgdeploy\n600 cvgdeploy\nno-agent-forwarding ${ED} ci@example`);
    expect(await sh('sys1', 'ssh-keygen -F sys2 -f /root/.ssh/known_hosts >/dev/null && echo known')).toBe('known');
    expect(await sh('sys1', 'cat /etc/security/limits.conf')).toBe('# End of file\ncvgdeploy\t-\tnofile\t65536');
    expect(await sh('sys1', 'logrotate -d /etc/logrotate.d/cvgapp 2>&1 | grep -c "rotating pattern"')).toBe('1');
    expect(await sh('sys1', 'readlink -f /usr/local/bin/cvgtool; update-alternatives --query cvgtool | grep Status')).toBe('/usr/bin/true\nStatus: manual');
    expect(await sh('sys1', 'cat /srv/sshd.conf')).toBe('PasswordAuthentication no\n#PermitRootLogin yes');
    expect(await sh('sys1', 'locale -a | grep de_DE')).toBe('de_DE.utf8');
    expect(await sh('sys1', 'test -e /srv/stat-said-exists && echo ran')).toBe('ran');

    // Taking some away again: the cron.d file goes with its last job, the key and the alternative go.
    await convergeTwice(
      hosts,
      [
        cron({ name: 'cleanup', cron_file: 'converge-cleanup', state: 'absent' }),
        authorizedKey({ user: 'cvgdeploy', key: ED, state: 'absent' }),
        alternatives({ name: 'cvgtool', path: '/usr/bin/true', state: 'absent' }),
        locale({ name: 'de_DE.UTF-8', state: 'absent' }),
      ],
      { hosts: 'sys1' },
    );
    expect(await sh('sys1', 'test -e /etc/cron.d/converge-cleanup || echo gone; cat /home/cvgdeploy/.ssh/authorized_keys | wc -c; locale -a | grep -c de_DE')).toBe('gone\n0\n0');
  });

  test('a host without cron, locales or logrotate: clear errors for cron and locale, in check mode too', async () => {
    for (const check of [true, false]) {
      const r = await runTasks(hosts, [cron({ name: 'x', job: 'true' }, { ignoreErrors: true }), locale({ name: 'de_DE.UTF-8' })], { hosts: 'sys2', check });
      expect(r.tasks.map((t) => `${t.status}: ${t.message ?? ''}`)).toEqual([
        'failed: cron: the host has no crontab command',
        expect.stringMatching(/^failed: locale: the host has no \/usr\/share\/i18n\/SUPPORTED/),
      ]);
    }
  });
});
