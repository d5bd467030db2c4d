import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import SSHConfig from 'ssh-config';
import { ConvergeError } from '@converge/core';

/**
 * What `~/.ssh/config` says about one host, for the options converge uses. Absent fields were
 * not set by the file. Source: ssh_config(5).
 */
export interface SshConfigHost {
  /** `HostName`, tokens (`%h`, `%%`) expanded; absent: connect to the name given. */
  hostName?: string;
  /** `User`. */
  user?: string;
  /** `Port`. */
  port?: number;
  /** `IdentityFile` values in file order, `~` and tokens expanded. */
  identityFiles: string[];
  /** `ProxyJump`: comma-separated `[user@]host[:port]` hops; `none` is returned as absent. */
  proxyJump?: string;
  /** `ConnectTimeout`, converted from seconds to milliseconds. */
  connectTimeoutMs?: number;
  /** `ServerAliveInterval`, converted from seconds to milliseconds. */
  serverAliveIntervalMs?: number;
  /** `ServerAliveCountMax`. */
  serverAliveCountMax?: number;
  /** `HostKeyAlias`: the name to look the host key up under in known_hosts. */
  hostKeyAlias?: string;
  /** `HashKnownHosts yes`: record new host keys hashed. */
  hashKnownHosts?: boolean;
  /** `UserKnownHostsFile` (first file only), `~` expanded. */
  userKnownHostsFile?: string;
  /** `KexAlgorithms`, `HostKeyAlgorithms`, `Ciphers`, `MACs` as written (ssh_config(5) `+`/`-`/`^` syntax). */
  algorithms?: { kex?: string; serverHostKey?: string; cipher?: string; hmac?: string };
}

function load(file: string): SSHConfig | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConvergeError('CONVERGE_OPTIONS', `cannot read ssh config ${file}`, { cause });
  }
  try {
    return SSHConfig.parse(text);
  } catch (cause) {
    throw new ConvergeError('CONVERGE_OPTIONS', `cannot parse ssh config ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Expands `~/` and the ssh_config(5) TOKENS converge knows: %h %p %r %u %d %%. */
export function expandSshPath(value: string, tokens: { host: string; port?: number; user?: string } = { host: '' }): string {
  const home = homedir();
  let v = value.replace(/%([%hpruid])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'h':
        return tokens.host;
      case 'p':
        return String(tokens.port ?? 22);
      case 'r':
        return tokens.user ?? userInfo().username;
      case 'u':
        return userInfo().username;
      case 'd':
        return home;
      case 'i':
        return String(userInfo().uid);
      default:
        return _m;
    }
  });
  if (v === '~') v = home;
  else if (v.startsWith('~/')) v = `${home}${v.slice(1)}`;
  return v;
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

/**
 * Resolves the ssh config for `host` (the inventory address) from `file` with the first-match
 * rule of ssh_config(5). A missing file yields an empty result. `Match exec` blocks are not
 * evaluated (converge does not run commands from config files) and `Include` is not followed.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` when the file exists but cannot be read or parsed.
 */
export function resolveSshConfig(host: string, file: string): SshConfigHost {
  const config = load(file);
  if (!config) return { identityFiles: [] };
  const c = config.compute(host, { ignoreCase: true, matchExec: false });
  const port = first(c['port']);
  const user = first(c['user']);
  const out: SshConfigHost = { identityFiles: [] };
  const hostName = first(c['hostname']);
  if (hostName !== undefined) out.hostName = expandSshPath(hostName, { host });
  if (user !== undefined) out.user = user;
  if (port !== undefined && /^\d+$/.test(port)) out.port = Number(port);
  const tokens = { host: out.hostName ?? host, ...(out.port ? { port: out.port } : {}), ...(user ? { user } : {}) };
  const ids = c['identityfile'];
  if (ids !== undefined) {
    out.identityFiles = (Array.isArray(ids) ? ids : [ids]).filter((f) => f.toLowerCase() !== 'none').map((f) => expandSshPath(f, tokens));
  }
  const jump = first(c['proxyjump']);
  if (jump !== undefined && jump.toLowerCase() !== 'none') out.proxyJump = jump;
  const ct = seconds(first(c['connecttimeout']));
  if (ct !== undefined) out.connectTimeoutMs = ct;
  const sai = seconds(first(c['serveraliveinterval']));
  if (sai !== undefined) out.serverAliveIntervalMs = sai;
  const sacm = first(c['serveralivecountmax']);
  if (sacm !== undefined && /^\d+$/.test(sacm)) out.serverAliveCountMax = Number(sacm);
  const alias = first(c['hostkeyalias']);
  if (alias !== undefined) out.hostKeyAlias = alias;
  const hkh = first(c['hashknownhosts']);
  if (hkh !== undefined) out.hashKnownHosts = hkh.toLowerCase() === 'yes';
  const ukh = first(c['userknownhostsfile']);
  if (ukh !== undefined) {
    const f = ukh.split(/\s+/)[0];
    if (f) out.userKnownHostsFile = expandSshPath(f, tokens);
  }
  const algorithms: NonNullable<SshConfigHost['algorithms']> = {};
  const kex = first(c['kexalgorithms']);
  if (kex !== undefined) algorithms.kex = kex;
  const hka = first(c['hostkeyalgorithms']);
  if (hka !== undefined) algorithms.serverHostKey = hka;
  const ciphers = first(c['ciphers']);
  if (ciphers !== undefined) algorithms.cipher = ciphers;
  const macs = first(c['macs']);
  if (macs !== undefined) algorithms.hmac = macs;
  if (Object.keys(algorithms).length > 0) out.algorithms = algorithms;
  return out;
}

/** One hop of a `ProxyJump` / `jumpHost` value. */
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/**
 * Parses a ProxyJump value: comma-separated `[user@]host[:port]` or `ssh://[user@]host[:port]`
 * hops, first hop first; IPv6 addresses in brackets. Source: ssh_config(5), ProxyJump.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for an empty or malformed hop.
 */
export function parseProxyJump(value: string): JumpHop[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(s);
      if (!m || !m[2]) throw new ConvergeError('CONVERGE_OPTIONS', `invalid jump host ${JSON.stringify(s)}`, { hint: 'write jump hosts as [user@]host[:port], several separated by commas' });
      const hop: JumpHop = { host: m[2].replace(/^\[|\]$/g, '') };
      if (m[1]) hop.user = m[1];
      if (m[3]) hop.port = Number(m[3]);
      return hop;
    });
}
