import { ConvergeError, isSecret } from '@converge/core';
import type { ConnectionSpec } from '@converge/core';
import { ALGORITHM_SETTINGS } from './algorithms.js';
import type { SshAlgorithms } from './algorithms.js';

/**
 * The per-host SSH settings converge reads from inventory vars, after type checks. Absent fields
 * were not set for the host.
 */
export interface SshHostOptions {
  /** `converge_ssh_forward_agent` (or `-o ForwardAgent=yes`): forward the local ssh-agent. */
  forwardAgent?: boolean;
  /** `converge_ssh_kex_algorithms`, `_host_key_algorithms`, `_ciphers`, `_macs` (or `-o KexAlgorithms=...` etc.), in ssh_config(5) syntax or as a list. */
  algorithms: Partial<Record<keyof SshAlgorithms, string | string[]>>;
  /** `converge_ssh_server_alive_interval` (or `-o ServerAliveInterval=`), seconds converted to ms; 0 disables keepalives. */
  serverAliveIntervalMs?: number;
  /** `converge_ssh_server_alive_count_max` (or `-o ServerAliveCountMax=`): unanswered keepalives before the connection counts as lost. */
  serverAliveCountMax?: number;
  /** `converge_ssh_command_timeout`, seconds converted to ms: default time limit of each remote command; 0 or absent: none. */
  commandTimeoutMs?: number;
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
 * `converge_ssh_`, and `-o` options from `ansible_ssh_common_args`/`ansible_ssh_extra_args`;
 * the `converge_ssh_` var wins). Names of the `-o` options and the meaning of every value follow
 * ssh_config(5): ForwardAgent, KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs,
 * ServerAliveInterval, ServerAliveCountMax.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` naming the host and the var for a value of the wrong type.
 */
export function sshHostOptions(spec: Pick<ConnectionSpec, 'host' | 'options'>): SshHostOptions {
  const o = spec.options;
  const args = (typeof o.sshArgs === 'object' && o.sshArgs !== null ? o.sshArgs : {}) as Record<string, string>;
  const host = spec.host;
  const out: SshHostOptions = { algorithms: {} };
  const pick = (option: string, keyword: string): [string, unknown] =>
    o[option] !== undefined ? [`converge_ssh_${option}`, o[option]] : [`-o ${keyword}`, args[keyword.toLowerCase()]];

  const [faName, fa] = pick('forward_agent', 'ForwardAgent');
  const forwardAgent = bool(faName, host, fa);
  if (forwardAgent !== undefined) out.forwardAgent = forwardAgent;

  for (const [list, { keyword, option }] of Object.entries(ALGORITHM_SETTINGS) as [keyof SshAlgorithms, { keyword: string; option: string }][]) {
    const [name, raw] = pick(option, keyword);
    const v = plain(raw);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') out.algorithms[list] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.algorithms[list] = v as string[];
    else throw new ConvergeError('CONVERGE_INVENTORY', `host ${host}: ${name} must be a comma-separated string or a list of algorithm names`);
  }

  const [saiName, sai] = pick('server_alive_interval', 'ServerAliveInterval');
  const interval = seconds(saiName, host, sai);
  if (interval !== undefined) out.serverAliveIntervalMs = interval * 1000;
  const [sacName, sac] = pick('server_alive_count_max', 'ServerAliveCountMax');
  const count = seconds(sacName, host, sac, { integer: true });
  if (count !== undefined) out.serverAliveCountMax = count;
  const timeout = seconds('converge_ssh_command_timeout', host, o.command_timeout);
  if (timeout !== undefined && timeout > 0) out.commandTimeoutMs = timeout * 1000;
  return out;
}
