// The light entry of core: a run loads this file (@converge/engine/connection) before the rest.
import { ConvergeError, Secret, isSecret } from '@converge/core/lean';
import type { ConnectionSpec } from '@converge/core';

function str(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (isSecret(v)) return v.reveal();
  return String(v);
}

function secretOf(v: unknown): Secret | undefined {
  if (isSecret(v)) return v;
  const s = str(v);
  return s === undefined ? undefined : new Secret(s);
}

/** The vars holding ssh arguments, in the order ansible-playbook puts them on ssh's command line. */
const SSH_ARGS_VARS = ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args'] as const;

/**
 * How to reach a host, from its vars, with Ansible's names: `ansible_connection` (ssh | local;
 * `localhost` without `ansible_host` is local, as Ansible's implicit localhost),
 * `ansible_host`, `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file`,
 * `ansible_password`/`ansible_ssh_pass`, `ansible_timeout`/`ansible_ssh_timeout` (seconds,
 * default 10). For the SSH transport, which reads them with ssh's rules: `ansible_ssh_args`,
 * `ansible_ssh_common_args` and `ansible_ssh_extra_args` go to `options.sshArgs` as
 * `{ from, text }` in that order, `ansible_host_key_checking` to `options.host_key_checking`,
 * `ansible_ssh_use_tty` to `options.use_tty`, and vars prefixed `converge_ssh_` to `options`
 * without the prefix (they win). Source: Ansible docs, "Connecting to hosts: behavioral
 * inventory parameters"; ansible-core 2.14 `plugins/connection/ssh.py`.
 *
 * @throws ConvergeError CONVERGE_INVENTORY for a port that is not a number from 1 to 65535 or an
 * unknown connection type.
 */
export function connectionSpec(host: string, vars: Readonly<Record<string, unknown>>): ConnectionSpec {
  const address = str(vars.ansible_host) ?? str(vars.ansible_ssh_host) ?? host;
  let connection = str(vars.ansible_connection) ?? (host === 'localhost' && vars.ansible_host === undefined ? 'local' : 'ssh');
  if (connection === 'paramiko' || connection === 'smart' || connection === 'ansible.builtin.ssh' || connection === 'ansible.builtin.paramiko_ssh') connection = 'ssh';
  if (connection === 'ansible.builtin.local') connection = 'local';
  if (connection !== 'ssh' && connection !== 'local') {
    throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ansible_connection=${connection} is not supported (ssh or local)`);
  }
  const portText = str(vars.ansible_port) ?? str(vars.ansible_ssh_port) ?? '22';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ansible_port ${JSON.stringify(portText)} is not a port number`);
  }
  const options: Record<string, unknown> = {};
  const hostKeyChecking = vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking;
  if (hostKeyChecking !== undefined) options.host_key_checking = hostKeyChecking;
  if (vars.ansible_ssh_use_tty !== undefined) options.use_tty = vars.ansible_ssh_use_tty;
  for (const [k, v] of Object.entries(vars)) {
    if (k.startsWith('converge_ssh_')) options[k.slice('converge_ssh_'.length)] = v;
  }
  const sshArgs = SSH_ARGS_VARS.flatMap((from) => {
    const text = str(vars[from]);
    return text === undefined ? [] : [{ from, text }];
  });
  if (sshArgs.length > 0) options.sshArgs = sshArgs;
  const timeoutText = str(vars.ansible_timeout) ?? str(vars.ansible_ssh_timeout) ?? '10';
  const timeout = Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ansible_timeout ${JSON.stringify(timeoutText)} is not a number of seconds > 0`);
  }
  const spec: ConnectionSpec = { host, connection, address, port, options, connectTimeoutMs: timeout * 1000 };
  const user = str(vars.ansible_user) ?? str(vars.ansible_ssh_user);
  if (user) spec.user = user;
  const key = str(vars.ansible_ssh_private_key_file) ?? str(vars.ansible_private_key_file);
  if (key) spec.privateKeyFile = key;
  const password = secretOf(vars.ansible_password ?? vars.ansible_ssh_pass ?? vars.ansible_ssh_password);
  if (password) spec.password = password;
  const jump = str(vars.converge_jump_host);
  if (jump) spec.jumpHost = jump;
  return spec;
}

/** The become password of a host from its vars (`ansible_become_password`, `ansible_become_pass`, `ansible_sudo_pass`). */
export function becomePasswordFromVars(vars: Readonly<Record<string, unknown>>): Secret | undefined {
  return secretOf(vars.ansible_become_password ?? vars.ansible_become_pass ?? vars.ansible_sudo_pass);
}
