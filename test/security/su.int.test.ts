import { secret } from '@converge/core';
import { command, copy, file } from '@converge/modules';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Become with su on a real Debian 12 host: the login user `deploy` has no sudo rights; su asks
// for the *target* user's password (root's, or app's), which is full of shell metacharacters
// (C-17) and must never show on a command line or in any output.

const ROOT_PASSWORD = `r00t;pw'"$(touch /tmp/pwned) \`id\` ü`;
const APP_PASSWORD = `app pw $HOME && echo 'x'`;
let hosts: TestHosts;
let host: string;

const chpasswd = (user: string, pw: string) => `printf '%s:%s\\n' ${user} '${pw.replace(/'/g, `'\\''`)}' | chpasswd`;

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'sec-su-' });
  host = hosts.hosts[0]!.name;
  const setup = [
    'useradd -m -s /bin/bash deploy',
    'useradd -m -s /bin/bash app',
    'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
    'install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys',
    'rm -f /etc/sudoers.d/deploy',
    chpasswd('root', ROOT_PASSWORD),
    chpasswd('app', APP_PASSWORD),
  ].join(' && ');
  const r = await hosts.exec(host, setup);
  expect(r.exitCode, r.stderr).toBe(0);
});
afterAll(async () => {
  await hosts?.stop();
});

const asDeployWithSu = { extraVars: { ansible_user: 'deploy', ansible_become_method: 'su' } };

describe('become with su on a real host', () => {
  it('reaches root with ansible_become_method=su and root password from the inventory; converges twice, check matches', async () => {
    const tasks = [
      copy({ dest: '/etc/su-test.conf', content: 'written as root through su\n', mode: '0640' }, { become: true }),
      file({ path: '/srv/su-dir', state: 'directory', mode: '0750' }, { become: true }),
    ];
    await convergeTwice(hosts, tasks, { ...asDeployWithSu, vars: { ansible_become_password: secret(ROOT_PASSWORD) } });
    const r = await hosts.exec(host, 'stat -c "%n %a %U" /etc/su-test.conf /srv/su-dir; test ! -e /tmp/pwned && echo clean');
    expect(r.stdout).toBe('/etc/su-test.conf 640 root\n/srv/su-dir 750 root\nclean\n');
  });

  it('becomes a non-root user with becomeMethod on the task, with that user’s password', async () => {
    const tasks = [copy({ dest: '/home/app/owned-by-app', content: 'app\n' }, { become: true, becomeUser: 'app', becomeMethod: 'su' })];
    await convergeTwice(hosts, tasks, { extraVars: { ansible_user: 'deploy' }, vars: { ansible_become_password: secret(APP_PASSWORD) } });
    const r = await hosts.exec(host, 'stat -c "%U:%G %a" /home/app/owned-by-app');
    expect(r.stdout).toBe('app:app 644\n');
  });

  it('never shows the password in a process list on the target while su runs a command', async () => {
    const seen: string[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        seen.push((await hosts.exec(host, 'ps -eo args')).stdout);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const report = await runTasks(hosts, [command({ argv: ['sleep', '3'] }, { become: true })], {
      ...asDeployWithSu,
      vars: { ansible_become_password: secret(ROOT_PASSWORD) },
    });
    running = false;
    await sampler;
    expect(report.tasks[0]?.status).toBe('changed');
    const all = seen.join('\n');
    expect(all).toMatch(/\bsu -s \/bin\/sh -c/);
    expect(all).toMatch(/sleep 3/);
    expect(all).not.toContain('r00t');
  });

  it('fails fast on a wrong password, with a clear error and no secret in the report', async () => {
    const started = Date.now();
    const report = await runTasks(hosts, [copy({ dest: '/etc/never.conf', content: 'x\n' }, { become: true })], {
      ...asDeployWithSu,
      vars: { ansible_become_password: secret('wrong-su-password') },
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    const row = report.tasks[0];
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/become \(su root\) failed: root's password .* was refused/);
    expect(JSON.stringify(report)).not.toContain('wrong-su-password');
    expect((await hosts.exec(host, 'test -e /etc/never.conf; echo $?')).stdout).toBe('1\n');
  });

  it('refuses an unknown become method before touching the host', async () => {
    const report = await runTasks(hosts, [copy({ dest: '/etc/never2.conf', content: 'x\n' }, { become: true })], {
      extraVars: { ansible_user: 'deploy', ansible_become_method: 'doas' },
    }).catch((e: Error) => e);
    const text = report instanceof Error ? report.message : JSON.stringify(report);
    expect(text).toMatch(/ansible_become_method is "doas"; converge can become another user with "sudo" or "su"/);
    expect((await hosts.exec(host, 'test -e /etc/never2.conf; echo $?')).stdout).toBe('1\n');
  });
});
