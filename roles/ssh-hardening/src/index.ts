import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, RoleUse, TaskContext } from '@converge/core';
import { apt, copy, systemd } from '@converge/modules';
import { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from '@converge/ssh';
import type { SshAlgorithms } from '@converge/ssh';

/** fail2ban's jail for sshd (jail.conf(5)). */
export interface Fail2banSshd {
  /** Default true. */
  enabled?: boolean;
  /** Failures within `findtime` that ban an address. Default 5. */
  maxretry?: number;
  /** fail2ban time values: `10m`, `1h`, `1d`. Defaults `10m` and `1h`. */
  findtime?: string;
  bantime?: string;
  /** Addresses never banned (`127.0.0.1/8 ::1` always are). */
  ignoreip?: string[];
  /** Ban action. Default `nftables-multiport` (its own table, so an `nftables` task does not disturb it). */
  banaction?: string;
}

/** Vars of the ssh-hardening role (`ssh_hardening`). */
export interface SshHardeningVars {
  /** The sshd port; must be the port this inventory connects to (default 22). */
  port?: number;
  /** `prohibit-password` (default), `no` or `forced-commands-only`; `no` is refused when converge logs in as root. */
  permit_root_login?: 'prohibit-password' | 'no' | 'forced-commands-only';
  /** Default false; refused while the inventory logs in with a password. */
  password_authentication?: boolean;
  /** Algorithm lists offered by sshd. Defaults: converge's own (plus the post-quantum sntrup761 key exchange first). */
  kex_algorithms?: string[];
  ciphers?: string[];
  macs?: string[];
  host_key_algorithms?: string[];
  /** Default 3. */
  max_auth_tries?: number;
  /** Seconds. Default 30. */
  login_grace_time?: number;
  /** Seconds and count: idle sessions are closed after interval x count. Defaults 300 and 3. */
  client_alive_interval?: number;
  client_alive_count_max?: number;
  /** Only these users (sshd AllowUsers); the inventory's `ansible_user` must be among them. */
  allow_users?: string[];
  allow_groups?: string[];
  /** Default false. */
  x11_forwarding?: boolean;
  /** Default false: agent forwarding. */
  allow_agent_forwarding?: boolean;
  /** More sshd_config(5) keywords, written after the others. */
  extra?: Record<string, string>;
  fail2ban?: Fail2banSshd;
}

/** Every var of {@link SshHardeningVars}, `fail2ban`'s included (`extra` holds sshd_config(5) keywords); complete by type. */
export const SSH_HARDENING_VARS: KnownVars<SshHardeningVars> = {
  port: true,
  permit_root_login: true,
  password_authentication: true,
  kex_algorithms: true,
  ciphers: true,
  macs: true,
  host_key_algorithms: true,
  max_auth_tries: true,
  login_grace_time: true,
  client_alive_interval: true,
  client_alive_count_max: true,
  allow_users: true,
  allow_groups: true,
  x11_forwarding: true,
  allow_agent_forwarding: true,
  extra: true,
  fail2ban: { enabled: true, maxretry: true, findtime: true, bantime: true, ignoreip: true, banaction: true },
};

/** The sshd drop-in the role writes; `00-` so that it is read first, and in sshd_config(5) the first value read wins. */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/00-converge-hardening.conf';
/** fail2ban's jail file for sshd. */
export const FAIL2BAN_JAIL = '/etc/fail2ban/jail.d/converge-sshd.local';

/**
 * Validation of the new drop-in in its real place among the others: sshd -t reads a config that
 * includes the candidate (%s) first and then the live /etc/ssh/sshd_config with its drop-ins,
 * which is what sshd will read once the file is in place. A failure keeps the old file.
 */
export const SSHD_VALIDATE = 'c=$(mktemp) && { echo "Include "%s; echo "Include /etc/ssh/sshd_config"; } > "$c" && /usr/sbin/sshd -t -f "$c"; r=$?; rm -f "$c"; exit $r';
/** Validation of the jail in a copy of /etc/fail2ban (fail2ban-client --test). */
export const FAIL2BAN_VALIDATE = 'd=$(mktemp -d) && cp -a /etc/fail2ban/. "$d"/ && cp %s "$d/jail.d/converge-sshd.local" && fail2ban-client -c "$d" --test >/dev/null; r=$?; rm -rf "$d"; exit $r';

const LISTS: [keyof SshAlgorithms, 'kex_algorithms' | 'host_key_algorithms' | 'ciphers' | 'macs', string][] = [
  ['kex', 'kex_algorithms', 'KexAlgorithms'],
  ['serverHostKey', 'host_key_algorithms', 'HostKeyAlgorithms'],
  ['cipher', 'ciphers', 'Ciphers'],
  ['hmac', 'macs', 'MACs'],
];

/** The algorithm lists sshd offers: the vars', or converge's defaults (sntrup761 first for key exchange). */
export function algorithmLists(v: SshHardeningVars): Record<string, string[]> {
  return {
    KexAlgorithms: v.kex_algorithms ?? ['sntrup761x25519-sha512@openssh.com', ...DEFAULT_ALGORITHMS.kex],
    HostKeyAlgorithms: v.host_key_algorithms ?? [...DEFAULT_ALGORITHMS.serverHostKey],
    Ciphers: v.ciphers ?? [...DEFAULT_ALGORITHMS.cipher],
    MACs: v.macs ?? [...DEFAULT_ALGORITHMS.hmac],
  };
}

/**
 * Refuses vars that would weaken sshd below converge's own algorithm policy or shut converge out
 * of the host on the next run, naming the var and what to do.
 *
 * @throws ConvergeError `CONVERGE_PARAMS`.
 */
export function checkVars(v: SshHardeningVars, hostVars: Readonly<Record<string, unknown>>): void {
  const fail = (message: string, hint: string) => {
    throw new ConvergeError('CONVERGE_PARAMS', `role ssh-hardening: ${message}`, { hint });
  };
  for (const [list, name, keyword] of LISTS) {
    const given = v[name];
    if (given === undefined) continue;
    const refused = given.filter((a) => SUPPORTED_ALGORITHMS[list].includes(a) && !DEFAULT_ALGORITHMS[list].includes(a));
    if (refused.length > 0) fail(`${name} offers ${refused.join(', ')}, which converge refuses as weak (SHA-1, CBC or truncated MACs)`, `remove them; converge's ${keyword}: ${DEFAULT_ALGORITHMS[list].join(', ')}`);
    if (!given.some((a) => DEFAULT_ALGORITHMS[list].includes(a))) fail(`${name} has none of the ${keyword} converge speaks; converge could not connect again`, `keep at least one of ${DEFAULT_ALGORITHMS[list].join(', ')}`);
  }
  const user = hostVars.ansible_user === undefined ? undefined : String(hostVars.ansible_user);
  const port = Number(hostVars.ansible_port ?? 22);
  if ((v.port ?? 22) !== port) fail(`port ${v.port ?? 22} is not the port converge connects to (${port})`, 'change ansible_port in the inventory in the same change, or leave port alone');
  if (v.permit_root_login === 'no' && user === 'root') fail('permit_root_login no while converge logs in as root', 'log in as another user with become, or keep prohibit-password');
  const password = ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'].some((k) => hostVars[k] !== undefined);
  if (v.password_authentication !== true && password) fail('password_authentication off while the inventory logs in with a password', 'give converge a key (ansible_ssh_private_key_file) first');
  if (v.allow_users && (user === undefined || !v.allow_users.includes(user))) fail(`allow_users (${v.allow_users.join(', ')}) leaves out ${user ?? 'the user converge logs in as'}`, 'add ansible_user to allow_users');
  if (v.allow_groups && user === 'root' && !v.allow_groups.includes('root')) fail('allow_groups leaves out root, the user converge logs in as', 'add root to allow_groups, or log in as a member');
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** The sshd_config(5) drop-in for the vars. */
export function renderSshdConfig(v: SshHardeningVars): string {
  const lines = ['# Written by converge (role ssh-hardening). Read first: for each keyword the first value wins.', `Port ${v.port ?? 22}`];
  lines.push(`PermitRootLogin ${v.permit_root_login ?? 'prohibit-password'}`, `PasswordAuthentication ${yesNo(v.password_authentication ?? false)}`, 'KbdInteractiveAuthentication no', 'PermitEmptyPasswords no', 'PubkeyAuthentication yes');
  for (const [keyword, list] of Object.entries(algorithmLists(v))) lines.push(`${keyword} ${list.join(',')}`);
  lines.push(`MaxAuthTries ${v.max_auth_tries ?? 3}`, `LoginGraceTime ${v.login_grace_time ?? 30}`, `ClientAliveInterval ${v.client_alive_interval ?? 300}`, `ClientAliveCountMax ${v.client_alive_count_max ?? 3}`);
  lines.push(`X11Forwarding ${yesNo(v.x11_forwarding ?? false)}`, `AllowAgentForwarding ${yesNo(v.allow_agent_forwarding ?? false)}`, 'PermitUserEnvironment no', 'LogLevel VERBOSE');
  if (v.allow_users?.length) lines.push(`AllowUsers ${v.allow_users.join(' ')}`);
  if (v.allow_groups?.length) lines.push(`AllowGroups ${v.allow_groups.join(' ')}`);
  for (const [k, value] of Object.entries(v.extra ?? {})) {
    if (!/^[A-Za-z]+$/.test(k) || /[\n\r]/.test(value)) throw new ConvergeError('CONVERGE_PARAMS', `role ssh-hardening: extra.${k}: not an sshd_config keyword and value`);
    lines.push(`${k} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The fail2ban jail for sshd (jail.conf(5)): the systemd journal as its log (Debian 12 has no auth.log without rsyslog). */
export function renderJail(v: SshHardeningVars): string {
  const f = v.fail2ban ?? {};
  const ignore = ['127.0.0.1/8', '::1', ...(f.ignoreip ?? [])];
  return [
    '# Written by converge (role ssh-hardening).',
    '[sshd]',
    `enabled = ${f.enabled ?? true}`,
    'backend = systemd',
    `port = ${v.port ?? 22}`,
    `maxretry = ${f.maxretry ?? 5}`,
    `findtime = ${f.findtime ?? '10m'}`,
    `bantime = ${f.bantime ?? '1h'}`,
    `banaction = ${f.banaction ?? 'nftables-multiport'}`,
    `ignoreip = ${ignore.join(' ')}`,
    '',
  ].join('\n');
}

const vars = (c: TaskContext): SshHardeningVars => {
  const v = checkRoleVars('ssh-hardening', 'ssh_hardening', c.vars.ssh_hardening ?? {}, SSH_HARDENING_VARS);
  checkVars(v, c.vars);
  return v;
};

/**
 * Role `ssh-hardening`: sshd with converge's own algorithm policy (no SHA-1 key exchange, CBC
 * ciphers or weak MACs: `@converge/ssh`'s lists, so the hardened host and converge always agree),
 * no passwords, root by key only, short grace and idle timeouts; and fail2ban banning addresses
 * that fail to log in. The sshd settings are a drop-in read first, validated with `sshd -t`
 * among the other drop-ins before it replaces the old one (a failed validation keeps the old
 * file); sshd is then reloaded, which keeps every open session (sshd(8): SIGHUP re-reads the
 * configuration, the running sessions are separate processes).
 *
 * Never shutting converge out: vars that would (another port than the inventory's, root login
 * off while converge logs in as root, passwords off while the inventory uses one, an AllowUsers
 * without the inventory's user, algorithm lists without one converge speaks) are refused before
 * any host is touched. Proven by `test/hardening.int.test.ts`: converged, then converged again
 * over a new connection.
 *
 * @example
 * definePlaybook({ name: 'ssh', hosts: 'all', roles: [sshHardening({ fail2ban: { bantime: '1d' } })] })
 */
export const sshHardeningRole = defineRole({
  name: 'ssh-hardening',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { ssh_hardening: {} satisfies SshHardeningVars },
  tasks: [
    apt({ name: ['openssh-server', 'fail2ban', 'python3-systemd', 'nftables'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install sshd and fail2ban' }),
    copy((c) => ({ dest: SSHD_DROP_IN, content: renderSshdConfig(vars(c)), mode: '0644', owner: 'root', group: 'root', validate: SSHD_VALIDATE }), { name: 'sshd hardening', notify: 'reload sshd' }),
    copy((c) => ({ dest: FAIL2BAN_JAIL, content: renderJail(vars(c)), mode: '0644', owner: 'root', group: 'root', validate: FAIL2BAN_VALIDATE }), { name: 'fail2ban sshd jail', notify: 'restart fail2ban' }),
    systemd.service({ name: 'ssh', state: 'started', enabled: true }, { name: 'sshd running' }),
    systemd.service({ name: 'fail2ban', state: 'started', enabled: true }, { name: 'fail2ban running' }),
  ],
  handlers: [
    systemd.service({ name: 'ssh', state: 'reloaded' }, { name: 'reload sshd' }),
    // A restart, not a reload: right after its start fail2ban's socket may not answer yet, and it restores its bans from its database.
    systemd.service({ name: 'fail2ban', state: 'restarted' }, { name: 'restart fail2ban' }),
  ],
});

/** The role with its `ssh_hardening` var, typed: `roles: [sshHardening({ ... })]`. */
export function sshHardening(config: SshHardeningVars = {}): RoleUse {
  return useRole(sshHardeningRole, { ssh_hardening: config });
}

export default sshHardeningRole;
