import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { ConvergeError } from '@converge/core';
import type { ConnectionSpec } from '@converge/core';
import { ALGORITHM_SETTINGS, applyAlgorithmSetting, DEFAULT_ALGORITHMS } from '../algorithms.js';
import type { SshAlgorithms } from '../algorithms.js';
import { sshHostOptions } from '../host-options.js';
import type { SshHostOptions } from '../host-options.js';
import { knownHostsName } from '../known-hosts.js';
import { parseSshArgs } from '../ssh-args.js';
import { expandSshTokens, interpretSshDirectives, parseProxyJump, parseSshLine, readSshConfig } from '../ssh-config.js';
import type { SshConfigHost } from '../ssh-config.js';
import type { SshDirective, SshSettingSource } from '../ssh-keywords.js';
import type { SshOptions } from '../ssh-options.js';
import type { AuthKind, Hop } from './hop.js';

/** What the controller says about reaching hosts: the transport's options that matter here. */
export type RouteOptions = Pick<SshOptions, 'knownHostsFile' | 'acceptNewHostKeys' | 'sshConfigFile' | 'agent' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'readyTimeoutMs' | 'hostKeyChecking'>;

/** How to reach one host: the hops (jump hosts first, the target last) and the target's settings. */
export interface Route {
  hops: Hop[];
  /** The target's settings after ssh's rules. */
  settings: SshConfigHost;
  hostOptions: SshHostOptions;
  /** Connection tries for failures before the handshake (`ConnectionAttempts`, default 1). */
  connectionAttempts: number;
  /** Host key checking of the target is off (`StrictHostKeyChecking no`), and where that was said. */
  relaxedHostKeyChecking?: string;
}

/** The `options.sshArgs` entries connectionSpec passes: each ssh argument string with the var it came from. */
interface SshArgsEntry {
  from: string;
  text: string;
}

function argsEntries(spec: ConnectionSpec): SshArgsEntry[] {
  const raw = spec.options.sshArgs;
  if (!Array.isArray(raw)) return [];
  return raw.filter((e): e is SshArgsEntry => typeof e === 'object' && e !== null && typeof (e as SshArgsEntry).text === 'string');
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'off', '0'].includes(s)) return false;
  return undefined;
}

/** The algorithm lists of one hop: the defaults, changed by the inventory's setting, else the ssh settings'. */
function algorithmsFor(c: SshConfigHost, inv: SshHostOptions | undefined, host: string): SshAlgorithms {
  const out = {} as SshAlgorithms;
  for (const list of Object.keys(ALGORITHM_SETTINGS) as (keyof SshAlgorithms)[]) {
    const fromInventory = inv?.algorithms[list];
    const fromConfig = c.algorithms?.[list];
    const { keyword, option } = ALGORITHM_SETTINGS[list];
    if (fromInventory !== undefined) out[list] = applyAlgorithmSetting(list, DEFAULT_ALGORITHMS[list], fromInventory, `host ${host}: converge_ssh_${option}`);
    else if (fromConfig !== undefined) out[list] = applyAlgorithmSetting(list, DEFAULT_ALGORITHMS[list], fromConfig, `${c.sources.algorithms ?? 'ssh config'}: ${keyword}`);
    else out[list] = [...DEFAULT_ALGORITHMS[list]];
  }
  return out;
}

function methodsOf(c: SshConfigHost): AuthKind[] {
  const allowed: AuthKind[] = [];
  if (c.pubkeyAuthentication !== false) allowed.push('publickey');
  if (c.passwordAuthentication !== false) allowed.push('password');
  if (c.kbdInteractiveAuthentication !== false) allowed.push('keyboard-interactive');
  if (!c.preferredAuthentications) return allowed;
  return c.preferredAuthentications.filter((m): m is AuthKind => (allowed as string[]).includes(m));
}

function directive(line: string, source: SshSettingSource): SshDirective {
  return parseSshLine(line, source) as SshDirective;
}

/**
 * Resolves how to reach a host, the way ssh(1) run by ansible-playbook does: ssh's command line
 * is `ansible_ssh_args` (ANSIBLE_SSH_ARGS), `StrictHostKeyChecking no` when host key checking is
 * off, Port, IdentityFile and User from the inventory, `ansible_ssh_common_args`, then
 * `ansible_ssh_extra_args`; then the ssh config file (`-F`, else `~/.ssh/config`); the first
 * value of each setting wins. `converge_ssh_*` vars win over both. Jump hosts (ProxyJump, `-J`)
 * are resolved from the config file alone, as ssh -J does, and the first one's own ProxyJump or
 * ProxyCommand is followed. Reads files; opens no connection.
 *
 * Source: ansible-core 2.14 `plugins/connection/ssh.py` `_build_command`; ssh(1); ssh_config(5).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for a setting in an inventory var converge does not
 * support, `CONVERGE_OPTIONS` for one in an ssh config file, each naming where it was written.
 */
export function resolveRoute(spec: ConnectionSpec, o: RouteOptions): Route {
  const localUser = userInfo().username;
  const hostOptions = sshHostOptions(spec);
  const of = (from: string): SshSettingSource => ({ where: `${from} of host ${spec.host}`, code: 'CONVERGE_INVENTORY', origin: 'command-line' });
  const entries = argsEntries(spec);
  const cli: SshDirective[] = [];
  let configFile: string | undefined;
  const addArgs = (e: SshArgsEntry) => {
    const parsed = parseSshArgs(e.text, { where: `${e.from} of host ${spec.host}`, code: 'CONVERGE_INVENTORY' });
    cli.push(...parsed.directives);
    configFile ??= parsed.configFile;
  };
  for (const e of entries.filter((x) => x.from === 'ansible_ssh_args')) addArgs(e);
  const hostCheck = bool(spec.options.host_key_checking);
  if (hostCheck === false) cli.push(directive('StrictHostKeyChecking no', of('ansible_host_key_checking')));
  else if (hostCheck === undefined && o.hostKeyChecking?.enabled === false) {
    cli.push(directive('StrictHostKeyChecking no', { where: o.hostKeyChecking.source, code: 'CONVERGE_OPTIONS', origin: 'command-line' }));
  }
  if (spec.port !== 22) cli.push(directive(`Port ${spec.port}`, of('ansible_port')));
  if (spec.privateKeyFile) cli.push(directive(`IdentityFile "${spec.privateKeyFile.replace(/(["\\])/g, '\\$1')}"`, of('ansible_ssh_private_key_file')));
  if (spec.user) cli.push(directive(`User "${spec.user.replace(/(["\\])/g, '\\$1')}"`, of('ansible_user')));
  for (const e of entries.filter((x) => x.from !== 'ansible_ssh_args')) addArgs(e);
  if (spec.jumpHost) cli.push(directive(`ProxyJump ${spec.jumpHost}`, of('converge_jump_host')));

  const defaultConfig = join(homedir(), '.ssh', 'config');
  const file = configFile !== undefined ? resolvePath(configFile) : (o.sshConfigFile ?? defaultConfig);
  if (configFile !== undefined && !existsSync(file)) {
    throw new ConvergeError('CONVERGE_INVENTORY', `host ${spec.host}: the ssh config file ${file} (-F) does not exist`);
  }
  const firstArg = (keyword: string) => cli.find((d) => d.keyword === keyword)?.args[0];
  const context = (host: string, user: string | undefined, hostName: string | undefined) => ({
    host,
    ...(user !== undefined ? { user } : {}),
    ...(hostName !== undefined ? { hostName } : {}),
  });
  const settings = interpretSshDirectives([...cli, ...readSshConfig(file, context(spec.address, firstArg('User'), firstArg('HostName')))], spec.address);

  const agentOf = (c: SshConfigHost) => o.agent ?? c.identityAgent ?? process.env['SSH_AUTH_SOCK'] ?? '';
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => ({ file: join(homedir(), '.ssh', f), explicit: false }));
  const readyTimeoutMs = o.readyTimeoutMs ?? (spec.connectTimeoutMs || settings.connectTimeoutMs || 20_000);
  const base = (c: SshConfigHost, inv: SshHostOptions | undefined) => ({
    agent: agentOf(c),
    knownHostsFile: o.knownHostsFile ?? c.userKnownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
    hashKnownHosts: c.hashKnownHosts ?? false,
    acceptNewHostKeys: o.acceptNewHostKeys === true || c.strictHostKeyChecking === 'accept-new' || c.strictHostKeyChecking === 'no',
    // Every step of reaching a host has the same limit: the target's connect timeout.
    readyTimeoutMs,
    keepaliveIntervalMs: o.keepaliveIntervalMs ?? inv?.serverAliveIntervalMs ?? c.serverAliveIntervalMs ?? 15_000,
    keepaliveCountMax: o.keepaliveCountMax ?? inv?.serverAliveCountMax ?? c.serverAliveCountMax ?? 3,
    algorithms: algorithmsFor(c, inv, spec.host),
    identitiesOnly: c.identitiesOnly ?? false,
    methods: methodsOf(c),
    mayAskPassphrase: c.batchMode !== true,
    passphraseTries: c.numberOfPasswordPrompts ?? 3,
    ...(c.addressFamily && c.addressFamily !== 'any' ? { addressFamily: c.addressFamily } : {}),
    ...(c.bindAddress ? { bindAddress: c.bindAddress } : {}),
    ...(hostOptions.keyPassphrase ? { keyPassphrase: hostOptions.keyPassphrase } : {}),
  });

  const address = settings.hostName ?? spec.address;
  const port = settings.port ?? 22;
  const user = settings.user ?? localUser;
  const tokens = { host: address, originalHost: spec.address, port, user };
  // The inventory's key must exist (ssh only warns about a missing one); the config's may not.
  const explicitKey = spec.privateKeyFile ? expandSshTokens(spec.privateKeyFile, tokens, 'path', 'ansible_ssh_private_key_file') : undefined;
  const target: Hop = {
    label: `${user}@${address}:${port}`,
    address,
    port,
    user,
    role: 'target',
    identityFiles: settings.identityFiles.length > 0 ? settings.identityFiles.map((f) => ({ file: f, explicit: f === explicitKey })) : defaults,
    knownHostsNames: [knownHostsName(settings.hostKeyAlias ?? address, port)],
    ...base(settings, hostOptions),
    forwardAgent: hostOptions.forwardAgent ?? settings.forwardAgent ?? false,
  };
  if (spec.password) target.password = spec.password;

  // Jump hosts: the target's ProxyJump, then (recursively) the first jump host's own.
  const jumps: Hop[] = [];
  let pending = settings.proxyJump ? parseProxyJump(settings.proxyJump) : [];
  let firstProxyCommand: string | undefined;
  for (let depth = 0; pending.length > 0; depth++) {
    if (depth > 8) throw new ConvergeError('CONVERGE_OPTIONS', `host ${spec.host}: ProxyJump chains more than 8 levels deep (a loop?)`);
    const hops = pending.map((j) => {
      const jcli: SshDirective[] = [];
      const src: SshSettingSource = { where: `ProxyJump of host ${spec.host}`, code: 'CONVERGE_OPTIONS', origin: 'command-line' };
      if (j.user) jcli.push(directive(`User ${j.user}`, src));
      if (j.port) jcli.push(directive(`Port ${j.port}`, src));
      const jc = interpretSshDirectives([...jcli, ...readSshConfig(file, context(j.host, j.user, undefined))], j.host);
      const jAddress = jc.hostName ?? j.host;
      const jPort = jc.port ?? 22;
      const jUser = jc.user ?? localUser;
      // ssh -J applies command-line options to the target only; the inventory's key file is
      // still tried last on the bastion, as most setups use one key for both.
      const keys = [
        ...jc.identityFiles.map((f) => ({ file: f, explicit: false })),
        ...(jc.identityFiles.length === 0 ? defaults : []),
        ...(spec.privateKeyFile ? [{ file: spec.privateKeyFile, explicit: false }] : []),
      ];
      const hop: Hop = {
        label: `${jUser}@${jAddress}:${jPort}`,
        address: jAddress,
        port: jPort,
        user: jUser,
        role: 'jump',
        identityFiles: keys,
        knownHostsNames: [knownHostsName(jc.hostKeyAlias ?? jAddress, jPort)],
        ...base(jc, undefined),
        forwardAgent: false,
      };
      return { hop, jc };
    });
    jumps.unshift(...hops.map((h) => h.hop));
    const head = hops[0]?.jc;
    pending = head?.proxyJump ? parseProxyJump(head.proxyJump) : [];
    if (head?.proxyCommand && !head.proxyJump) {
      const h = hops[0]?.hop as Hop;
      firstProxyCommand = expandSshTokens(head.proxyCommand, { host: h.address, originalHost: h.address, port: h.port, user: h.user }, 'proxy', head.sources.proxyCommand);
    }
  }
  if (jumps.length === 0 && settings.proxyCommand) firstProxyCommand = expandSshTokens(settings.proxyCommand, tokens, 'proxy', settings.sources.proxyCommand);
  const hops = [...jumps, target];
  if (firstProxyCommand !== undefined) {
    (hops[0] as Hop).proxyCommand = firstProxyCommand;
    (hops[0] as Hop).via = `ProxyCommand ${JSON.stringify(firstProxyCommand)}`;
  }
  for (let i = 1; i < hops.length; i++) (hops[i] as Hop).via = `jump host ${(hops[i - 1] as Hop).label}`;
  return {
    hops,
    settings,
    hostOptions,
    connectionAttempts: settings.connectionAttempts ?? 1,
    ...(settings.strictHostKeyChecking === 'no' && !o.acceptNewHostKeys ? { relaxedHostKeyChecking: settings.sources.strictHostKeyChecking ?? 'StrictHostKeyChecking' } : {}),
  };
}
