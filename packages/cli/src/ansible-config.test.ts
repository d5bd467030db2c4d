import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAnsibleSshSettings } from './ansible-config.js';

// Ansible's host key checking setting, from the environment or an ansible.cfg in the current
// directory, is read (never ignored); the CLI then warns and records it (test/ssh-reach.int.test.ts).

function dirWith(cfg: string | undefined, mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'converge-ansible-cfg-'));
  if (cfg !== undefined) writeFileSync(join(dir, 'ansible.cfg'), cfg);
  chmodSync(dir, mode);
  return dir;
}

describe('host_key_checking', () => {
  it.each<[string, string | undefined, NodeJS.ProcessEnv, { value: boolean; source: RegExp } | undefined]>([
    ['[defaults] in ./ansible.cfg', '[defaults]\nhost_key_checking = False\n', {}, { value: false, source: /ansible\.cfg \[defaults\] host_key_checking$/ }],
    ['[ssh_connection] in ./ansible.cfg', '[ssh_connection]\nhost_key_checking: no ; inline comment\n', {}, { value: false, source: /\[ssh_connection\] host_key_checking$/ }],
    ['ANSIBLE_HOST_KEY_CHECKING', undefined, { ANSIBLE_HOST_KEY_CHECKING: 'False' }, { value: false, source: /^ANSIBLE_HOST_KEY_CHECKING=False$/ }],
    ['the environment over ansible.cfg', '[defaults]\nhost_key_checking = False\n', { ANSIBLE_HOST_KEY_CHECKING: 'yes' }, { value: true, source: /^ANSIBLE_HOST_KEY_CHECKING=yes$/ }],
    ['ANSIBLE_CONFIG naming the file', undefined, { ANSIBLE_CONFIG: 'CFG' }, { value: false, source: /other\.cfg \[defaults\] host_key_checking$/ }],
    ['unset', '[defaults]\nforks = 10\n', {}, undefined],
  ])('%s', (_, cfg, env, want) => {
    const dir = dirWith(cfg);
    if (env.ANSIBLE_CONFIG === 'CFG') {
      writeFileSync(join(dir, 'other.cfg'), '[defaults]\nhost_key_checking = 0\n');
      env = { ANSIBLE_CONFIG: join(dir, 'other.cfg') };
    }
    const s = readAnsibleSshSettings(env, dir);
    if (want === undefined) expect(s.hostKeyChecking).toBeUndefined();
    else {
      expect(s.hostKeyChecking?.value).toBe(want.value);
      expect(s.hostKeyChecking?.source).toMatch(want.source);
    }
  });

  it('lists the ANSIBLE_* environment variables that converge does not read', () => {
    const s = readAnsibleSshSettings({ ANSIBLE_REMOTE_USER: 'deploy', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_CONFIG: '/nonexistent.cfg', ANSIBLE_BECOME: 'true', PATH: '/bin' }, dirWith(undefined));
    expect(s.unreadEnv).toEqual(['ANSIBLE_BECOME', 'ANSIBLE_REMOTE_USER']);
  });

  it('lists the settings of the ansible.cfg that converge does not read', () => {
    const dir = dirWith('[defaults]\nhost_key_checking = False\nforks = 10\n[ssh_connection]\npipelining = True\n');
    expect(readAnsibleSshSettings({}, dir).configFile?.unread).toEqual(['[defaults] forks', '[ssh_connection] pipelining']);
  });

  it('refuses a value that is not a boolean, naming where it was read', () => {
    const dir = dirWith('[defaults]\nhost_key_checking = sometimes\n');
    expect(() => readAnsibleSshSettings({}, dir)).toThrow(/ansible\.cfg \[defaults\] host_key_checking: "sometimes" is not a boolean/);
  });

  it('leaves out the ansible.cfg of a world-writable directory, as ansible-playbook, and says so', () => {
    const dir = dirWith('[defaults]\nhost_key_checking = False\n', 0o777);
    const s = readAnsibleSshSettings({}, dir);
    expect(s.warnings).toEqual([`${join(dir, 'ansible.cfg')} is not read: the directory ${dir} is world writable (as ansible-playbook)`]);
    expect(s.configFile?.path).not.toBe(join(dir, 'ansible.cfg'));
  });
});
