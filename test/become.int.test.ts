import { secret } from '@converge/core';
import { copy, file, lineinfile } from '@converge/modules';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Become on a real host: the login user `deploy` needs a sudo password (C-17: full of shell
// metacharacters); files are written as root and as a non-root become user (C-13).

const PASSWORD = `p;w'd"$(touch /tmp/pwned) \`id\` x`;
let hosts: TestHosts;
let host: string;

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'become-' });
  host = hosts.hosts[0]!.name;
  const setup = [
    'useradd -m -s /bin/bash deploy',
    'useradd -m -s /bin/bash app',
    'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
    'install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys',
    "printf 'deploy ALL=(ALL:ALL) ALL\\nDefaults:deploy lecture=always\\n' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
    "printf 'first\\n' > /etc/app.conf && chmod 664 /etc/app.conf && chown root:root /etc/app.conf",
  ].join(' && ');
  const r = await hosts.exec(host, setup);
  expect(r.exitCode, r.stderr).toBe(0);
  const pw = await hosts.exec(host, `printf 'deploy:%s\\n' '${PASSWORD.replace(/'/g, `'\\''`)}' | chpasswd`);
  expect(pw.exitCode, pw.stderr).toBe(0);
});
afterAll(async () => {
  await hosts?.stop();
});

const asDeploy = { extraVars: { ansible_user: 'deploy' }, vars: { ansible_become_password: secret(PASSWORD) } };

describe('become (sudo) on a real host', () => {
  it('C-17/C-13: writes as root through sudo with a hostile password; an unnamed mode stays 0664', async () => {
    const tasks = [
      copy({ dest: '/etc/app.conf', content: 'second\n' }, { become: true }),
      lineinfile({ path: '/etc/app.d.conf', line: 'third', create: true, mode: '0640' }, { become: true }),
    ];
    await convergeTwice(hosts, tasks, asDeploy);
    const r = await hosts.exec(host, 'stat -c "%a %U:%G" /etc/app.conf /etc/app.d.conf; cat /etc/app.conf /etc/app.d.conf; test ! -e /tmp/pwned && echo clean');
    expect(r.stdout).toBe('664 root:root\n640 root:root\nsecond\nthird\nclean\n');
  });

  it('C-13: a non-root become user writes its own files, with the mode kept', async () => {
    await hosts.exec(host, "su app -c 'printf old > /home/app/notes && chmod 664 /home/app/notes'");
    const tasks = [
      file({ path: '/home/app/data', state: 'directory', mode: '0750' }, { become: true, becomeUser: 'app' }),
      copy({ dest: '/home/app/notes', content: 'new\n' }, { become: true, becomeUser: 'app' }),
      copy({ dest: '/home/app/data/settings', content: 'x=1\n' }, { become: true, becomeUser: 'app' }),
    ];
    await convergeTwice(hosts, tasks, asDeploy);
    const r = await hosts.exec(host, 'stat -c "%n %a %U:%G" /home/app/data /home/app/notes /home/app/data/settings');
    expect(r.stdout).toBe('/home/app/data 750 app:app\n/home/app/notes 664 app:app\n/home/app/data/settings 644 app:app\n');
  });

  it('C-18: a wrong become password fails fast with a clear error and no secret in it', async () => {
    const started = Date.now();
    const report = await runTasks(hosts, [copy({ dest: '/etc/other.conf', content: 'x\n' }, { become: true })], {
      extraVars: { ansible_user: 'deploy' },
      vars: { ansible_become_password: secret('not-the-password') },
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    const row = report.tasks[0];
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/password was refused/);
    expect(JSON.stringify(report)).not.toContain('not-the-password');
    expect((await hosts.exec(host, 'test -e /etc/other.conf; echo $?')).stdout).toBe('1\n');
  });
});
