// roles/ssh-hardening's `ssh_hardening` var: a var the role does not know is refused with its
// path where the role's tasks read the var (while the run is planned, before any host is touched).
import { describe, expect, test } from 'vitest';
import type { Task, TaskContext } from '@converge/core';
import { sshHardeningRole } from '../../../roles/ssh-hardening/src/index.js';

const task = (sshHardeningRole.tasks as Task[]).find((t) => t.options.name === 'sshd hardening') as Task;
const params = (ssh_hardening: unknown) => (task.params as (h: TaskContext) => { content: string })({ vars: { ssh_hardening, ansible_user: 'root' } } as unknown as TaskContext);

describe('roles/ssh-hardening vars', () => {
  test.each([
    [{ prot: 22 }, 'ssh_hardening.prot', 'port, permit_root_login, password_authentication'],
    [{ fail2ban: { ban_time: '1d' } }, 'ssh_hardening.fail2ban.ban_time', 'enabled, maxretry, findtime, bantime, ignoreip, banaction'],
  ])('refused: %j', (vars, path, known) => {
    expect(() => params(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: expect.stringContaining(`role ssh-hardening: ${path} is not a var of the role (known: ${known}`) }));
  });

  test('the documented vars are read as they are', () => {
    const vars = {
      port: 22,
      permit_root_login: 'prohibit-password',
      password_authentication: false,
      kex_algorithms: ['curve25519-sha256'],
      ciphers: ['aes256-gcm@openssh.com'],
      macs: ['hmac-sha2-256-etm@openssh.com'],
      host_key_algorithms: ['ssh-ed25519'],
      max_auth_tries: 3,
      login_grace_time: 30,
      client_alive_interval: 300,
      client_alive_count_max: 3,
      allow_users: ['root'],
      allow_groups: ['root'],
      x11_forwarding: false,
      allow_agent_forwarding: false,
      extra: { MaxSessions: '4' },
      fail2ban: { enabled: true, maxretry: 5, findtime: '10m', bantime: '1d', ignoreip: ['10.0.0.0/8'], banaction: 'nftables-multiport' },
    };
    expect(params(vars).content).toContain('AllowUsers root\n');
  });
});
