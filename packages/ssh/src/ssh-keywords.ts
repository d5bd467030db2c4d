import { ConvergeError } from '@converge/core';
import type { ErrorCode } from '@converge/core';
import { matchSshPatterns } from './ssh-patterns.js';

/**
 * What converge does with one ssh_config(5) keyword, whether it comes from an ssh config file
 * or from an `-o` option of `ansible_ssh_common_args`, `ansible_ssh_extra_args`,
 * `ansible_ssh_args` (`ANSIBLE_SSH_ARGS`) or `--ssh-common-args`/`--ssh-extra-args`:
 *
 * - `implemented`: read and acted on, with OpenSSH's meaning.
 * - `ignored`: harmless to leave out (it changes nothing converge does, or only makes OpenSSH
 *   less strict than converge); `why` says so.
 * - `only`: accepted with the values listed (those that describe what converge does anyway),
 *   or those `accepts` says yes to, refused with any other value.
 *
 * A keyword that is not in {@link SSH_KEYWORDS} is refused, with `refused` as the reason where
 * one is known. Source of the keywords: ssh_config(5) of OpenSSH 9.2 (Debian 12).
 */
export type SshKeywordHandling =
  | { kind: 'implemented' }
  | { kind: 'ignored'; why: string }
  | { kind: 'only'; values: readonly string[]; why: string; accepts?: (value: string) => boolean };

const implemented = { kind: 'implemented' } as const;
const ignored = (why: string): SshKeywordHandling => ({ kind: 'ignored', why });
const only = (values: string[], why: string, accepts?: (value: string) => boolean): SshKeywordHandling => ({ kind: 'only', values, why, ...(accepts ? { accepts } : {}) });

const NO_FORWARDING = 'converge forwards no ports, sockets or X11';
const NO_SESSION = 'converge opens no interactive session';
const REMOVED = 'no longer an OpenSSH option: ssh 9.2 ignores it too';
const PUBKEY_ALGORITHMS = 'converge signs with the algorithm of each key that the server accepts (RSA: rsa-sha2 where the server names it, else ssh-rsa); it cannot leave algorithms out';

/**
 * Every ssh_config(5) keyword converge accepts, by its canonical spelling. The `ignored`
 * entries are the documented list of keywords that are harmless to ignore.
 */
export const SSH_KEYWORDS: Readonly<Record<string, SshKeywordHandling>> = Object.freeze({
  // Sections and files.
  Host: implemented,
  Match: implemented,
  Include: implemented,
  IgnoreUnknown: implemented,
  // Where to connect and as whom.
  HostName: implemented,
  Port: implemented,
  User: implemented,
  AddressFamily: implemented,
  BindAddress: implemented,
  ProxyJump: implemented,
  ProxyCommand: implemented,
  ConnectTimeout: implemented,
  ConnectionAttempts: implemented,
  ServerAliveInterval: implemented,
  ServerAliveCountMax: implemented,
  // Host keys.
  StrictHostKeyChecking: implemented,
  UserKnownHostsFile: implemented,
  GlobalKnownHostsFile: only(['/dev/null', 'none'], 'converge reads no global known_hosts file (/etc/ssh/ssh_known_hosts); put the keys in the user known_hosts file or --known-hosts'),
  HostKeyAlias: implemented,
  HashKnownHosts: implemented,
  HostKeyAlgorithms: implemented,
  KexAlgorithms: implemented,
  Ciphers: implemented,
  MACs: implemented,
  // Authentication.
  IdentityFile: implemented,
  IdentitiesOnly: implemented,
  IdentityAgent: implemented,
  PubkeyAuthentication: implemented,
  PasswordAuthentication: implemented,
  KbdInteractiveAuthentication: implemented,
  ChallengeResponseAuthentication: implemented,
  PreferredAuthentications: implemented,
  NumberOfPasswordPrompts: implemented,
  BatchMode: implemented,
  ForwardAgent: implemented,
  RequestTTY: implemented,
  // Harmless to ignore.
  AddKeysToAgent: ignored('converge never adds keys to the agent'),
  CheckHostIP: ignored('converge checks host keys by host name and alias (OpenSSH 8.5 and later default to no)'),
  Compression: ignored('compression changes only the bandwidth used'),
  ControlMaster: ignored('converge keeps one connection per host for the whole run by itself'),
  ControlPath: ignored('converge keeps one connection per host for the whole run by itself'),
  ControlPersist: ignored('converge keeps one connection per host for the whole run by itself'),
  EscapeChar: ignored(NO_SESSION),
  EnableEscapeCommandline: ignored(NO_SESSION),
  ExitOnForwardFailure: ignored(NO_FORWARDING),
  ClearAllForwardings: ignored(NO_FORWARDING),
  PermitRemoteOpen: ignored(NO_FORWARDING),
  StreamLocalBindMask: ignored(NO_FORWARDING),
  StreamLocalBindUnlink: ignored(NO_FORWARDING),
  ForwardX11Timeout: ignored(NO_FORWARDING),
  ForwardX11Trusted: ignored(NO_FORWARDING),
  XAuthLocation: ignored(NO_FORWARDING),
  TunnelDevice: ignored(NO_FORWARDING),
  FingerprintHash: ignored('converge shows host key fingerprints as SHA256'),
  VisualHostKey: ignored('converge shows host key fingerprints as SHA256 text'),
  LogLevel: ignored("it sets the verbosity of the ssh program's own messages"),
  LogVerbose: ignored("it sets the verbosity of the ssh program's own messages"),
  SyslogFacility: ignored("it sets where the ssh program's own messages go"),
  TCPKeepAlive: ignored('converge detects dead connections with SSH keepalives (ServerAliveInterval)'),
  UpdateHostKeys: ignored('converge learns no extra host keys from servers'),
  UseKeychain: ignored('a macOS keychain setting'),
  IPQoS: ignored('it sets only the IP type-of-service field'),
  SendEnv: ignored('converge sends no environment variables; commands get the environment converge sets'),
  GSSAPIAuthentication: ignored('converge does not authenticate with GSSAPI (Kerberos); keys, the agent and passwords are tried'),
  GSSAPIDelegateCredentials: ignored('converge does not authenticate with GSSAPI'),
  GSSAPIKeyExchange: ignored('converge does not authenticate with GSSAPI'),
  GSSAPITrustDns: ignored('converge does not authenticate with GSSAPI'),
  GSSAPIRenewalForcesRekey: ignored('converge does not authenticate with GSSAPI'),
  GSSAPIKexAlgorithms: ignored('converge does not authenticate with GSSAPI'),
  GSSAPIClientIdentity: ignored('converge does not authenticate with GSSAPI'),
  GSSAPIServerIdentity: ignored('converge does not authenticate with GSSAPI'),
  HostbasedAcceptedAlgorithms: ignored('converge does not use host-based authentication'),
  CASignatureAlgorithms: ignored('converge uses no certificates'),
  NoHostAuthenticationForLocalhost: ignored("converge checks localhost's host key like any other (stricter)"),
  VerifyHostKeyDNS: ignored('converge trusts host keys from known_hosts only, never from DNS (stricter)'),
  CanonicalDomains: ignored('only used with CanonicalizeHostname, which converge does not do'),
  CanonicalizeFallbackLocal: ignored('only used with CanonicalizeHostname, which converge does not do'),
  CanonicalizeMaxDots: ignored('only used with CanonicalizeHostname, which converge does not do'),
  CanonicalizePermittedCNAMEs: ignored('only used with CanonicalizeHostname, which converge does not do'),
  Tag: ignored('converge evaluates no Match tagged blocks'),
  // Removed from OpenSSH over the years; ssh 9.2 still accepts them in old config files and ignores them.
  UseRoaming: ignored(REMOVED),
  UsePrivilegedPort: ignored(REMOVED),
  FallBackToRsh: ignored(REMOVED),
  UseRsh: ignored(REMOVED),
  Cipher: ignored(REMOVED),
  CompressionLevel: ignored(REMOVED),
  RSAAuthentication: ignored(REMOVED),
  RhostsAuthentication: ignored(REMOVED),
  RhostsRSAAuthentication: ignored(REMOVED),
  DSAAuthentication: ignored(REMOVED),
  GlobalKnownHostsFile2: ignored(REMOVED),
  UserKnownHostsFile2: ignored(REMOVED),
  SmartcardDevice: ignored(REMOVED),
  KeepAlive: ignored('the old name of TCPKeepAlive: converge detects dead connections with SSH keepalives'),
  // Accepted only where they describe what converge does anyway.
  CanonicalizeHostname: only(['no', 'false'], 'converge connects to the names as given (no CanonicalizeHostname)'),
  ForwardX11: only(['no', 'false'], NO_FORWARDING),
  GatewayPorts: only(['no', 'false'], NO_FORWARDING),
  Tunnel: only(['no', 'false'], NO_FORWARDING),
  HostbasedAuthentication: only(['no', 'false'], 'converge does not use host-based authentication'),
  EnableSSHKeysign: only(['no', 'false'], 'converge does not use host-based authentication'),
  PermitLocalCommand: only(['no', 'false'], 'converge runs no LocalCommand'),
  ProxyUseFdpass: only(['no', 'false'], 'converge speaks SSH over the ProxyCommand stdio'),
  SessionType: only(['default'], 'converge opens its own sessions'),
  StdinNull: only(['no', 'false'], 'converge opens its own sessions'),
  ForkAfterAuthentication: only(['no', 'false'], 'converge opens its own sessions'),
  Protocol: only(['2'], 'SSH protocol 2 is the only one'),
  // Adding algorithms ("+ssh-rsa") describes what converge's client does anyway: it signs with
  // rsa-sha2 where the server names it, else with ssh-rsa. A list that leaves some out cannot be honoured.
  PubkeyAcceptedAlgorithms: only(['+ssh-rsa'], PUBKEY_ALGORITHMS, (v) => v.startsWith('+')),
  PubkeyAcceptedKeyTypes: only(['+ssh-rsa'], PUBKEY_ALGORITHMS, (v) => v.startsWith('+')),
});

/** Why a keyword OpenSSH knows is refused, where there is more to say than "not implemented". */
const REFUSED_BECAUSE: Readonly<Record<string, string>> = {
  LocalForward: NO_FORWARDING,
  RemoteForward: NO_FORWARDING,
  DynamicForward: NO_FORWARDING,
  LocalCommand: 'converge runs no local command after connecting',
  RemoteCommand: 'converge runs its own commands',
  SetEnv: 'converge sends no environment variables; set them in the task (command/shell env)',
  CertificateFile: "converge's SSH client (ssh2) does not support user certificates",
  PKCS11Provider: 'converge does not use PKCS#11 tokens; load the key into ssh-agent instead',
  SecurityKeyProvider: 'converge does not use FIDO security keys directly; load the key into ssh-agent instead',
  KnownHostsCommand: 'converge runs no command to find host keys; use a known_hosts file',
  RevokedHostKeys: 'converge does not read key revocation lists; mark revoked keys with @revoked in known_hosts',
  RekeyLimit: "converge's SSH client (ssh2) rekeys by its own rules",
  RequiredRSASize: "converge's SSH client (ssh2) has no minimum RSA key size setting",
  BindInterface: 'use BindAddress with the address of the interface',
  KbdInteractiveDevices: 'converge answers keyboard-interactive password prompts only',
};

const CANONICAL = new Map<string, string>(
  [...Object.keys(SSH_KEYWORDS), ...Object.keys(REFUSED_BECAUSE)].map((k) => [k.toLowerCase(), k]),
);

/** Where a setting was written, for messages: a file and line, or a var or flag of a host. */
export interface SshSettingSource {
  /** e.g. `/home/me/.ssh/config line 12`, or `ansible_ssh_common_args of host web1`. */
  where: string;
  /** The error code for a refusal: `CONVERGE_OPTIONS` for files and flags, `CONVERGE_INVENTORY` for inventory vars. */
  code: ErrorCode;
  /** An ssh config file, or ssh's command line (`-o` and the other flags, and what the inventory says). */
  origin: 'config-file' | 'command-line';
}

/** One keyword setting as written: canonical keyword (when known), arguments, and where it was written. */
export interface SshDirective {
  keyword: string;
  /** The arguments, quotes removed (ssh_config(5) and ssh(1) `-o` splitting). */
  args: string[];
  /** The text after the keyword as written (what ProxyCommand and the like run). */
  raw: string;
  source: SshSettingSource;
}

/** The canonical spelling of a keyword (`proxycommand` -> `ProxyCommand`), or the keyword as written when unknown. */
export function canonicalKeyword(keyword: string): string {
  return CANONICAL.get(keyword.toLowerCase()) ?? keyword;
}

/**
 * Checks one setting against {@link SSH_KEYWORDS}: returns normally when converge implements
 * the keyword or may ignore it (or `ignoreUnknown`, the patterns of `IgnoreUnknown`, covers a
 * keyword OpenSSH does not know either), and throws otherwise.
 *
 * @throws ConvergeError with `source.code`, naming the keyword, its value, where it was written
 * and why it is refused.
 */
export function checkSshDirective(d: SshDirective, ignoreUnknown: readonly string[] = []): void {
  const handling = SSH_KEYWORDS[d.keyword];
  const shown = `${d.keyword} ${d.raw}`.trim();
  if (handling?.kind === 'implemented' || handling?.kind === 'ignored') return;
  if (handling?.kind === 'only') {
    const value = (d.args[0] ?? '').toLowerCase();
    if (handling.values.includes(value) || handling.accepts?.(value)) return;
    throw new ConvergeError(d.source.code, `${d.source.where}: ssh option "${shown}" is not supported: ${handling.why}`, {
      hint: `remove it, or set ${d.keyword} ${handling.values[0]}`,
    });
  }
  const known = CANONICAL.has(d.keyword.toLowerCase());
  if (!known && matchSshPatterns(d.keyword, ignoreUnknown)) return;
  const why = REFUSED_BECAUSE[d.keyword] ?? (known ? 'converge does not implement it' : 'neither converge nor OpenSSH 9.2 knows it');
  throw new ConvergeError(d.source.code, `${d.source.where}: ssh option "${shown}" is not supported: ${why}`, {
    hint: 'remove it; the README (SSH section) lists the ssh options converge implements and those it ignores as harmless',
  });
}
