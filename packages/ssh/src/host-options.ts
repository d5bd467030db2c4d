import { ConvergeError, isSecret, Secret } from '@converge/core';
import type { ConnectionSpec } from '@converge/core';
import { ALGORITHM_SETTINGS } from './algorithms.js';
import type { SshAlgorithms } from './algorithms.js';

/**
 * The per-host SSH settings converge reads from inventory vars, after type checks. Absent fields
 * were not set for the host. (`-o` options of `ansible_ssh_common_args` and the like are read
 * by the transport with ssh's rules; these vars win over them.)
 */
export interface SshHostOptions {
  /** `converge_ssh_forward_agent`: forward the local ssh-agent. */
  forwardAgent?: boolean;
  /** `converge_ssh_kex_algorithms`, `_host_key_algorithms`, `_ciphers`, `_macs`, in ssh_config(5) syntax or as a list. */
  algorithms: Partial<Record<keyof SshAlgorithms, string | string[]>>;
  /** `converge_ssh_server_alive_interval`, seconds converted to ms; 0 disables keepalives. */
  serverAliveIntervalMs?: number;
  /** `converge_ssh_server_alive_count_max`: unanswered keepalives before the connection counts as lost. */
  serverAliveCountMax?: number;
  /** `converge_ssh_command_timeout`, seconds converted to ms: default time limit of each remote command; 0 or absent: none. */
  commandTimeoutMs?: number;
  /** `ansible_ssh_use_tty` / `converge_ssh_use_tty`: request a pseudo-terminal for become (true), never (false); absent: when sudo asks for one. */
  useTty?: boolean;
  /** `converge_ssh_private_key_passphrase`: the passphrase of the host's encrypted key files. */
  keyPassphrase?: Secret;
}

function plain(v: unknown): unknown {
  return isSecret(v) ? v.reveal() : v;
}

function bool(name: string, host: string, v: unknown): boolean | undefined {
  v = plain(v);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'off', '0'].includes(s)) return false;
  throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ${name} must be true or false, got ${JSON.stringify(v)}`);
}

function seconds(name: string, host: string, v: unknown, { integer = false } = {}): number | undefined {
  v = plain(v);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\s*\d+(\.\d+)?\s*$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ${name} must be a ${integer ? 'whole ' : ''}number >= 0, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * Reads and checks the SSH settings of one host from `spec.options` (inventory vars prefixed
 * `converge_ssh_`, and `use_tty` from `ansible_ssh_use_tty`). The meaning of every value follows
 * ssh_config(5): ForwardAgent, KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs,
 * ServerAliveInterval, ServerAliveCountMax; `ansible_ssh_use_tty` follows Ansible's ssh
 * connection plugin (a terminal for become commands).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` naming the host and the var for a value of the wrong type.
 */
export function sshHostOptions(spec: Pick<ConnectionSpec, 'host' | 'options'>): SshHostOptions {
  const o = spec.options;
  const host = spec.host;
  const out: SshHostOptions = { algorithms: {} };

  const forwardAgent = bool('converge_ssh_forward_agent', host, o.forward_agent);
  if (forwardAgent !== undefined) out.forwardAgent = forwardAgent;

  for (const [list, { option }] of Object.entries(ALGORITHM_SETTINGS) as [keyof SshAlgorithms, { keyword: string; option: string }][]) {
    const name = `converge_ssh_${option}`;
    const v = plain(o[option]);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') out.algorithms[list] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.algorithms[list] = v as string[];
    else throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ${name} must be a comma-separated string or a list of algorithm names`);
  }

  const interval = seconds('converge_ssh_server_alive_interval', host, o.server_alive_interval);
  if (interval !== undefined) out.serverAliveIntervalMs = interval * 1000;
  const count = seconds('converge_ssh_server_alive_count_max', host, o.server_alive_count_max, { integer: true });
  if (count !== undefined) out.serverAliveCountMax = count;
  const timeout = seconds('converge_ssh_command_timeout', host, o.command_timeout);
  if (timeout !== undefined && timeout > 0) out.commandTimeoutMs = timeout * 1000;
  const useTty = bool('ansible_ssh_use_tty (converge_ssh_use_tty)', host, o.use_tty);
  if (useTty !== undefined) out.useTty = useTty;
  const passphrase = o.private_key_passphrase;
  if (passphrase !== undefined && passphrase !== null && passphrase !== '') {
    if (!isSecret(passphrase) && typeof passphrase !== 'string') throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: converge_ssh_private_key_passphrase must be a string`);
    out.keyPassphrase = isSecret(passphrase) ? passphrase : new Secret(passphrase);
  }
  return out;
}
