import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Algorithms, AnyAuthMethod, BaseAgent as BaseAgentType, Client as ClientType, ConnectConfig, ParsedKey } from 'ssh2';
import { ConvergeError, maskText } from '@converge/core';
import type { Secret } from '@converge/core';
import { ALGORITHM_SETTINGS, isLegacyAlgorithm, jumpHostCiphers } from '../algorithms.js';
import type { SshAlgorithms } from '../algorithms.js';
import type { HostKeyPins } from '../host-key-pins.js';
import { appendKnownHost, checkHostKey, hostKeyFingerprint, hostKeyType, knownKeyTypes, readKnownHosts } from '../known-hosts.js';
import type { KeyPassphrases } from '../key-passphrases.js';
import type { ProxyProcess } from './proxy-command.js';

// ssh2 (25 files and a native binding, ~100 ms of CPU to load) is loaded on the first
// connection, so that a run that contacts no host over SSH does not pay for it.
let ssh2Module: typeof import('ssh2') | undefined;
const ssh2 = (): typeof import('ssh2') => (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));
/** Whether ssh2 loaded its native crypto binding, which `pnpm install` builds for the Node that ran it. */
const ssh2NativeCrypto = (): boolean => (createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable === true;

/** Authentication methods converge can use, by their SSH names (RFC 4252, RFC 4256). */
export type AuthKind = 'publickey' | 'password' | 'keyboard-interactive';

/** Everything needed to open one SSH connection: the target or one jump host. */
export interface Hop {
  /** `user@address:port`, for messages. */
  label: string;
  address: string;
  port: number;
  user: string;
  /** The target, or a jump host on the way. */
  role: 'target' | 'jump';
  /** How the hop is reached when not directly, for messages: `jump host u@b:22` or `ProxyCommand ...`. */
  via?: string;
  /** Key files in the order to try; `explicit` ones must exist. */
  identityFiles: { file: string; explicit: boolean }[];
  /** `IdentitiesOnly`: offer only the keys of `identityFiles`, also when the agent holds others. */
  identitiesOnly: boolean;
  password?: Secret;
  /** The host's passphrase for encrypted key files (`converge_ssh_private_key_passphrase`). */
  keyPassphrase?: Secret;
  /** ssh-agent socket path; empty or absent: no agent. */
  agent?: string;
  knownHostsFile: string;
  /** Names the host key may be recorded under. */
  knownHostsNames: string[];
  hashKnownHosts: boolean;
  /** Record an unknown host key (StrictHostKeyChecking accept-new or no, `--accept-new-host-keys`); a changed key is refused regardless. */
  acceptNewHostKeys: boolean;
  /** Milliseconds for each step of reaching this hop: TCP and handshake and authentication together, and the jump channel to the next hop. */
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Algorithms to offer, most preferred first. */
  algorithms: SshAlgorithms;
  /** Forward the ssh-agent (`agent`) to this hop's sessions. */
  forwardAgent: boolean;
  /** Authentication methods allowed, in the order to try them (PreferredAuthentications, *Authentication no). */
  methods: AuthKind[];
  /** `AddressFamily inet`/`inet6`. */
  addressFamily?: 'inet' | 'inet6';
  /** `BindAddress`. */
  bindAddress?: string;
  /** `ProxyCommand` with its tokens expanded: speak SSH over its stdio instead of a TCP connection. */
  proxyCommand?: string;
  /** Ask passphrases of encrypted keys on the terminal (false with `BatchMode yes`). */
  mayAskPassphrase: boolean;
  /** `NumberOfPasswordPrompts`: questions per key passphrase. */
  passphraseTries: number;
}

/** Host key policy and key passphrases shared by all hops of a transport. */
export interface HostKeyPolicy {
  onHostKeyAccepted?: (host: string, fingerprint: string) => void;
  /** Host keys seen so far in this run; a different key for the same host is refused. */
  pins: HostKeyPins;
  /** Passphrases of encrypted key files, asked at most once per key per run. */
  passphrases: KeyPassphrases;
}

/** The name a hop's host key is pinned under in {@link HostKeyPins}: its first known_hosts name. */
export function hostKeyPinName(hop: Hop): string {
  return hop.knownHostsNames[0] ?? `${hop.address}:${hop.port}`;
}

/**
 * Checks a key a hop already authenticated against its known_hosts file as it is now: undefined
 * while the file still lists it for the hop's names, else the error refusing the connection
 * (the key is now changed, revoked, or no longer listed). Reads the file only; records nothing.
 */
export function recheckHostKey(hop: Hop, blob: Buffer): ConvergeError | undefined {
  const verdict = checkHostKey(readKnownHosts(hop.knownHostsFile), hop.knownHostsNames, blob);
  if (verdict.status === 'known') return undefined;
  const why = verdict.status === 'changed' ? 'now lists another key for it' : verdict.status === 'revoked' ? 'marks it @revoked' : 'no longer lists it';
  return new ConvergeError(
    'CONVERGE_HOST_KEY',
    `${hop.role === 'jump' ? 'jump host ' : ''}${hop.address}:${hop.port}: the kept connection was authenticated with the host key ${hostKeyType(blob)} ${hostKeyFingerprint(blob)}, and ${hop.knownHostsFile} ${why}; refusing the host`,
    { hint: 'if the host was given a new key on purpose, record it in known_hosts and end the kept connections with `converge control stop`; otherwise check the host' },
  );
}

/** How a hop is named in messages: `jump host u@b:22`, or the target with the way it is reached. */
export function hopName(hop: Hop): string {
  if (hop.role === 'jump') return `jump host ${hop.label}${hop.via ? ` (through ${hop.via})` : ''}`;
  return hop.via ? `${hop.label} through ${hop.via}` : hop.label;
}

/** The allowed host key algorithms with the types known for this host first, as ssh(1) orders them. */
function hostKeyAlgorithms(allowed: string[], knownTypes: string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) {
    // An RSA key is one type with three signature algorithms (RFC 8332).
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    first.push(...algos.filter((a) => allowed.includes(a)));
  }
  return [...new Set([...first, ...allowed])];
}

const HANDSHAKE_LISTS: { pattern: RegExp; list: keyof SshAlgorithms; remote: RegExp }[] = [
  { pattern: /no matching key exchange/i, list: 'kex', remote: /^Handshake: \(remote\) KEX method: (.*)$/ },
  { pattern: /no matching host key/i, list: 'serverHostKey', remote: /^Handshake: \(remote\) Host key format: (.*)$/ },
  { pattern: /no matching C->S cipher/i, list: 'cipher', remote: /^Handshake: \(remote\) C->S cipher: (.*)$/ },
  { pattern: /no matching S->C cipher/i, list: 'cipher', remote: /^Handshake: \(remote\) S->C cipher: (.*)$/ },
  { pattern: /no matching C->S MAC/i, list: 'hmac', remote: /^Handshake: \(remote\) C->S MAC: (.*)$/ },
  { pattern: /no matching S->C MAC/i, list: 'hmac', remote: /^Handshake: \(remote\) S->C MAC: (.*)$/ },
];

/** A clear error for a handshake that found no common algorithm, naming what the server offers and the per-host escape. */
function noCommonAlgorithm(hop: Hop, message: string, remoteLines: string[], cause: Error): ConvergeError | undefined {
  const h = HANDSHAKE_LISTS.find((x) => x.pattern.test(message));
  if (!h) return undefined;
  let offered: string[] = [];
  for (const line of remoteLines) {
    const m = h.remote.exec(line);
    if (m?.[1] !== undefined) offered = m[1].split(',').filter(Boolean);
  }
  const { keyword, option } = ALGORITHM_SETTINGS[h.list];
  const legacy = offered.filter((a) => isLegacyAlgorithm(h.list, a));
  const hint =
    legacy.length > 0
      ? `${legacy.join(', ')} ${legacy.length > 1 ? 'are' : 'is'} refused by default as weak; upgrade the server, or allow it for this host only with the inventory var converge_ssh_${option}: "+${legacy[0]}" (or ${keyword} +${legacy[0]} in ~/.ssh/config)`
      : `set converge_ssh_${option} for this host (ssh_config syntax: "+name" appends to the defaults)`;
  return new ConvergeError(
    'CONVERGE_CONNECT',
    `${hop.address}:${hop.port}: no common ${keyword} algorithm: the server offers ${offered.length > 0 ? offered.join(', ') : 'none converge knows'}; converge offers ${hop.algorithms[h.list].join(', ')}`,
    { cause, hint },
  );
}

interface Candidate {
  label: string;
  /** The server's name for the method, to skip what it does not accept. */
  kind: AuthKind;
  method: AnyAuthMethod;
}

/**
 * The public key blob of a key file without decrypting it: from `FILE.pub`, else from the
 * unencrypted header of an OpenSSH-format key (PROTOCOL.key: magic, cipher, kdf, kdf options,
 * count, then the public keys), else from the key itself when it is not encrypted.
 */
export function publicKeyBlob(file: string, data: Buffer): Buffer | undefined {
  try {
    const pub = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/)[1];
    if (pub) return Buffer.from(pub, 'base64');
  } catch {
    /* no .pub file */
  }
  const pem = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(data.toString('latin1'));
  if (pem?.[1]) {
    const raw = Buffer.from(pem[1].replace(/\s+/g, ''), 'base64');
    const magic = 'openssh-key-v1\0';
    if (raw.subarray(0, magic.length).toString('latin1') === magic) {
      let at = magic.length;
      const str = (): Buffer | undefined => {
        if (at + 4 > raw.length) return undefined;
        const len = raw.readUInt32BE(at);
        const out = raw.subarray(at + 4, at + 4 + len);
        at += 4 + len;
        return out;
      };
      str();
      str();
      str();
      at += 4;
      const blob = str();
      if (blob && blob.length > 0) return Buffer.from(blob);
    }
  }
  const k = ssh2().utils.parseKey(data);
  if (k instanceof Error) return undefined;
  return (Array.isArray(k) ? (k[0] as ParsedKey) : k).getPublicSSH();
}

/** The keys an ssh-agent holds; empty when there is none or it does not answer. */
function agentKeys(agent: string | undefined): Promise<{ agent?: InstanceType<typeof import('ssh2').OpenSSHAgent>; keys: ParsedKey[]; error?: string }> {
  if (!agent || !existsSync(agent)) return Promise.resolve({ keys: [] });
  const a = new (ssh2().OpenSSHAgent)(agent);
  return new Promise((resolve) => {
    a.getIdentities((err, keys) => resolve(err ? { keys: [], error: err.message } : { agent: a, keys: (keys ?? []) as ParsedKey[] }));
  });
}

/** An agent that offers only some of another agent's keys and signs with it (IdentitiesOnly, one identity file). */
function agentSubset(inner: InstanceType<typeof import('ssh2').OpenSSHAgent>, keys: ParsedKey[]): BaseAgentType<ParsedKey> {
  const Base = ssh2().BaseAgent as unknown as new () => BaseAgentType<ParsedKey>;
  class Subset extends Base {
    getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
      cb(undefined, keys);
    }
    sign(pubKey: ParsedKey, data: Buffer, options: unknown, cb?: (err: Error | undefined, signature?: Buffer) => void): void {
      (inner.sign as (...a: unknown[]) => void)(pubKey, data, options, cb);
    }
  }
  return new Subset();
}

/**
 * The authentication attempts for a hop, in order: each identity file (signed by the agent when
 * it holds that key, else read from the file, decrypted with a passphrase when encrypted), then
 * the agent's other keys (not with IdentitiesOnly), then the password (password and
 * keyboard-interactive); only the hop's methods, in their order. Source: ssh(1) and
 * ssh_config(5), IdentityFile, IdentitiesOnly, PreferredAuthentications.
 */
async function authCandidates(hop: Hop, policy: HostKeyPolicy): Promise<{ candidates: Candidate[]; skipped: string[] }> {
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  const usePubkey = hop.methods.includes('publickey');
  const agent = usePubkey ? await agentKeys(hop.agent) : { keys: [] };
  if (agent.error) skipped.push(`ssh-agent ${hop.agent} (${agent.error})`);
  const fromAgent = new Set<ParsedKey>();
  for (const { file, explicit } of usePubkey ? hop.identityFiles : []) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      if (explicit) {
        throw new ConvergeError('CONVERGE_AUTH', `${hopName(hop)}: private key file ${file} does not exist`, {
          hint: 'check ansible_ssh_private_key_file / --private-key / IdentityFile for this host',
        });
      }
      continue;
    }
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (cause) {
      if (explicit) throw new ConvergeError('CONVERGE_AUTH', `${hopName(hop)}: cannot read private key file ${file}`, { cause });
      skipped.push(`${file} (unreadable)`);
      continue;
    }
    const blob = publicKeyBlob(file, data);
    const held = blob && agent.agent ? agent.keys.find((k) => k.getPublicSSH().equals(blob)) : undefined;
    if (held && agent.agent) {
      fromAgent.add(held);
      candidates.push({ label: `publickey ${file} (ssh-agent)`, kind: 'publickey', method: { type: 'agent', username: hop.user, agent: agentSubset(agent.agent, [held]) } as AnyAuthMethod });
      continue;
    }
    const unlocked = await policy.passphrases.unlock(file, data, {
      ...(hop.keyPassphrase ? { passphrase: hop.keyPassphrase } : {}),
      mayAsk: hop.mayAskPassphrase,
      tries: hop.passphraseTries,
    });
    if ('skipped' in unlocked) {
      if (explicit && !unlocked.encrypted) {
        throw new ConvergeError('CONVERGE_AUTH', `${hopName(hop)}: ${file} is not a usable private key: ${unlocked.skipped}`);
      }
      skipped.push(`${file} (${unlocked.skipped})`);
      continue;
    }
    candidates.push({ label: `publickey ${file}`, kind: 'publickey', method: { type: 'publickey', username: hop.user, key: unlocked.key } });
  }
  const others = agent.keys.filter((k) => !fromAgent.has(k));
  if (agent.agent && others.length > 0) {
    if (hop.identitiesOnly) skipped.push(`${others.length} other key(s) of ssh-agent ${hop.agent} (IdentitiesOnly yes)`);
    else candidates.push({ label: `ssh-agent ${hop.agent}`, kind: 'publickey', method: { type: 'agent', username: hop.user, agent: agentSubset(agent.agent, others) } as AnyAuthMethod });
  }
  if (hop.password) {
    const password = hop.password;
    candidates.push({ label: 'password', kind: 'password', method: { type: 'password', username: hop.user, password: password.reveal() } });
    candidates.push({
      label: 'keyboard-interactive (password)',
      kind: 'keyboard-interactive',
      method: {
        type: 'keyboard-interactive',
        username: hop.user,
        prompt: (_name, _instructions, _lang, prompts, finish) => {
          finish(prompts.map((p) => (/password/i.test(p.prompt) ? password.reveal() : '')));
        },
      },
    });
  }
  const rank = (c: Candidate) => hop.methods.indexOf(c.kind);
  return { candidates: candidates.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b)), skipped };
}

function hostKeyError(hop: Hop, policy: HostKeyPolicy, blob: Buffer): ConvergeError | undefined {
  const entries = readKnownHosts(hop.knownHostsFile);
  const verdict = checkHostKey(entries, hop.knownHostsNames, blob);
  const fp = hostKeyFingerprint(blob);
  const type = hostKeyType(blob);
  const where = hop.role === 'jump' ? `jump host ${hop.address}:${hop.port}` : `${hop.address}:${hop.port}${hop.via ? ` (through ${hop.via})` : ''}`;
  const name = hop.knownHostsNames[0] ?? hop.address;
  switch (verdict.status) {
    case 'known':
      return undefined;
    case 'revoked':
      return new ConvergeError('CONVERGE_HOST_KEY', `${where}: the host key ${type} ${fp} is marked @revoked in ${hop.knownHostsFile}:${verdict.line}; refusing to connect`, {
        hint: 'the host must get a new host key; then record it in known_hosts',
      });
    case 'changed':
      return new ConvergeError(
        'CONVERGE_HOST_KEY',
        `${where}: the host key has CHANGED: the server presents ${type} ${fp}, known_hosts expects ${verdict.expected.join(' or ')} (${hop.knownHostsFile} line ${verdict.lines.join(', ')}); someone may be intercepting the connection, or the host was reinstalled`,
        { hint: `if the change is expected, remove the old key with: ssh-keygen -R ${JSON.stringify(name)} -f ${hop.knownHostsFile}` },
      );
    case 'cert-authority-only':
      return new ConvergeError(
        'CONVERGE_HOST_KEY',
        `${where}: known_hosts trusts this host only through @cert-authority, and converge's SSH client (ssh2) does not support host certificates; the server presents ${type} ${fp}`,
        { hint: `add the host's own key to ${hop.knownHostsFile} (check ${fp} out of band), or run with --accept-new-host-keys` },
      );
    case 'unknown': {
      if (hop.acceptNewHostKeys) {
        appendKnownHost(hop.knownHostsFile, name, blob, hop.hashKnownHosts);
        policy.onHostKeyAccepted?.(name, fp);
        return undefined;
      }
      const others = verdict.otherTypes.length > 0 ? ` (known_hosts has only ${verdict.otherTypes.join(', ')} keys for it)` : '';
      return new ConvergeError('CONVERGE_HOST_KEY', `${where}: unknown host key ${type} ${fp}${others}; not in ${hop.knownHostsFile}`, {
        hint: 'check the fingerprint out of band, then run with --accept-new-host-keys to record it, or add the host to the known_hosts file with ssh-keyscan (ssh-keyscan -p PORT HOST >> KNOWN_HOSTS_FILE)',
      });
    }
  }
}

/** How a hop is reached: directly over TCP, over a stream (a jump host's channel), or through a ProxyCommand. */
export type HopSocket = { kind: 'tcp' } | { kind: 'stream'; stream: Duplex } | { kind: 'proxy'; proxy: ProxyProcess };

/**
 * Opens one authenticated SSH connection (over a jump host's channel or a ProxyCommand's stdio
 * when given), verifying the host key against known_hosts first. TCP, handshake and
 * authentication together take at most `hop.readyTimeoutMs`. Messages name the hop and how it
 * is reached ({@link hopName}).
 *
 * @throws ConvergeError `CONVERGE_CONNECT`, `CONVERGE_HOST_KEY` or `CONVERGE_AUTH`.
 */
export async function connectHop(hop: Hop, policy: HostKeyPolicy, socket: HopSocket = { kind: 'tcp' }): Promise<ClientType> {
  if (hop.forwardAgent && !(hop.agent && existsSync(hop.agent))) {
    throw new ConvergeError('CONVERGE_OPTIONS', `${hop.label}: agent forwarding is asked for (converge_ssh_forward_agent) but no ssh-agent socket is available`, {
      hint: 'start ssh-agent and export SSH_AUTH_SOCK, or drop converge_ssh_forward_agent for this host',
    });
  }
  const { candidates, skipped } = await authCandidates(hop, policy);
  const tried: string[] = [];
  let serverMethods: string[] = [];
  let next = 0;
  let hostKeyFailure: ConvergeError | undefined;
  const knownTypes = knownKeyTypes(readKnownHosts(hop.knownHostsFile), hop.knownHostsNames);
  const pinName = hostKeyPinName(hop);
  const name = hopName(hop);
  // What the server offered, to explain a handshake without a common algorithm.
  const remoteLists: string[] = [];
  let handshaking = true;
  const client = new (ssh2().Client)();
  const config: ConnectConfig = {
    host: hop.address,
    port: hop.port,
    username: hop.user,
    readyTimeout: hop.readyTimeoutMs,
    keepaliveInterval: hop.keepaliveIntervalMs,
    keepaliveCountMax: hop.keepaliveCountMax,
    agentForward: hop.forwardAgent,
    ...(hop.forwardAgent && hop.agent ? { agent: hop.agent } : {}),
    ...(hop.addressFamily === 'inet' ? { forceIPv4: true } : hop.addressFamily === 'inet6' ? { forceIPv6: true } : {}),
    ...(hop.bindAddress ? { localAddress: hop.bindAddress } : {}),
    algorithms: {
      kex: hop.algorithms.kex,
      serverHostKey: hostKeyAlgorithms(hop.algorithms.serverHostKey, knownTypes),
      cipher: hop.role === 'jump' ? jumpHostCiphers(hop.algorithms.cipher, ssh2NativeCrypto(), hopName(hop)) : hop.algorithms.cipher,
      hmac: hop.algorithms.hmac,
    } as Algorithms,
    debug: (line: string) => {
      if (handshaking && line.startsWith('Handshake: (remote)')) remoteLists.push(line);
    },
    hostVerifier: (key: Buffer): boolean => {
      const pinned = policy.pins.get(pinName);
      if (pinned && !pinned.equals(key)) {
        hostKeyFailure = new ConvergeError(
          'CONVERGE_HOST_KEY',
          `${hop.role === 'jump' ? 'jump host ' : ''}${hop.address}:${hop.port}${hop.role === 'target' && hop.via ? ` (through ${hop.via})` : ''}: the host key CHANGED during this run: the first connection saw ${hostKeyType(pinned)} ${hostKeyFingerprint(pinned)}, this one presents ${hostKeyType(key)} ${hostKeyFingerprint(key)}; refusing to reconnect`,
          { hint: 'someone may be intercepting the connection, or the host was replaced while converge ran; check the host, then run converge again' },
        );
        return false;
      }
      try {
        hostKeyFailure = hostKeyError(hop, policy, key);
      } catch (cause) {
        hostKeyFailure = new ConvergeError('CONVERGE_HOST_KEY', `${hop.address}:${hop.port}: cannot check the host key: ${(cause as Error).message}`, { cause });
      }
      if (hostKeyFailure === undefined) policy.pins.set(pinName, key);
      return hostKeyFailure === undefined;
    },
    authHandler: (methodsLeft, _partial, cb) => {
      if (methodsLeft === null || methodsLeft === undefined) {
        cb({ type: 'none', username: hop.user });
        return;
      }
      serverMethods = methodsLeft;
      while (next < candidates.length) {
        const c = candidates[next++];
        if (c && methodsLeft.includes(c.kind)) {
          tried.push(c.label);
          cb(c.method);
          return;
        }
      }
      // ssh2 takes `false` for "no more methods"; @types/ssh2 omits it.
      (cb as (next: AnyAuthMethod | false) => void)(false);
    },
  };
  if (socket.kind === 'stream') config.sock = socket.stream as unknown as ConnectConfig['sock'];
  if (socket.kind === 'proxy') config.sock = socket.proxy.stream as unknown as ConnectConfig['sock'];
  const proxyDetail = (): { detail?: string } => {
    if (socket.kind !== 'proxy') return {};
    const err = socket.proxy.stderr();
    const exit = socket.proxy.exit();
    const text = [exit ? `ProxyCommand ended (${exit})` : '', err].filter(Boolean).join('\n');
    return text ? { detail: text } : {};
  };

  return new Promise<ClientType>((resolve, reject) => {
    let settled = false;
    const fail = (e: ConvergeError) => {
      if (settled) return;
      settled = true;
      client.end();
      if (socket.kind !== 'proxy' || e.code !== 'CONVERGE_CONNECT') {
        if (socket.kind === 'proxy') socket.proxy.kill();
        reject(e);
        return;
      }
      // The command's stdout closes before its exit status is known: wait a moment for it, and
      // say what it printed.
      const proxy = socket.proxy;
      void proxy.ended(1000).then(() => {
        proxy.kill();
        reject(new ConvergeError(e.code, e.message, { cause: e.cause, ...(e.hint ? { hint: e.hint } : {}), ...proxyDetail() }));
      });
    };
    client.once('ready', () => {
      handshaking = false;
      remoteLists.length = 0;
      if (settled) return;
      settled = true;
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      const msg = maskText(err.message);
      if (err.level === 'client-authentication') {
        const triedText = tried.length > 0 ? tried.join(', ') : 'nothing (no key file, agent or password available)';
        const skippedText = skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : '';
        return fail(
          new ConvergeError('CONVERGE_AUTH', `${name}: authentication failed; tried ${triedText}${skippedText}; the server accepts ${serverMethods.join(', ') || 'nothing'}`, {
            cause: err,
            hint: 'set ansible_ssh_private_key_file (--private-key) or ansible_password (--ask-pass) for this host, add an IdentityFile in ~/.ssh/config, or load the key into ssh-agent',
          }),
        );
      }
      const algo = err.level === 'handshake' ? noCommonAlgorithm(hop, err.message, remoteLists, err) : undefined;
      if (algo) return fail(algo);
      if (err.level === 'client-timeout') {
        return fail(
          new ConvergeError('CONVERGE_CONNECT', `${name}: no SSH handshake and authentication within ${hop.readyTimeoutMs} ms`, {
            cause: err,
            hint: 'check that the host is up and the address and port are right; ansible_timeout (-T) sets the limit in seconds',
          }),
        );
      }
      const sys = err.code ? ` (${err.code})` : '';
      const e = new ConvergeError('CONVERGE_CONNECT', `${name}: cannot connect to ${hop.address}:${hop.port}: ${msg}${err.code && msg.includes(err.code) ? '' : sys}`, {
        cause: err,
        hint: 'check that the host is up and the address and port are right',
      });
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') transient.add(e);
      fail(e);
    });
    // Over a jump host's channel the server's close arrives as 'end' alone (the channel stays
    // half open until this side ends it), and ssh2 stops its ready timer on 'end'.
    const closed = () => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      if (socket.kind === 'proxy') return fail(new ConvergeError('CONVERGE_CONNECT', `${name}: the ProxyCommand ended the connection during the SSH handshake`));
      const e = new ConvergeError('CONVERGE_CONNECT', `${name}: the connection closed during the SSH handshake`);
      transient.add(e);
      fail(e);
    };
    client.on('end', closed);
    client.on('close', closed);
    try {
      client.connect(config);
      // Each step of the handshake and every command is a small write that waits for the answer:
      // with Nagle's algorithm on, such a write can sit until the peer's delayed ACK (up to 40 ms
      // on Linux, tcp(7)) comes. OpenSSH sets TCP_NODELAY on its connection too
      // (ssh_packet_set_interactive in packet.c). A channel or a ProxyCommand's pipe has no such
      // option; ssh2 skips it there.
      if (socket.kind === 'tcp') client.setNoDelay(true);
    } catch (cause) {
      fail(new ConvergeError('CONVERGE_CONNECT', `${name}: cannot connect to ${hop.address}:${hop.port}: ${(cause as Error).message}`, { cause }));
    }
  });
}

/**
 * Whether a `connectHop` failure is one a new attempt may not meet: the server reset or closed
 * the connection before the handshake finished without refusing anything (what sshd does to
 * connections beyond `MaxStartups`, see sshd_config(5)), as opposed to a timeout, a refused
 * port, a host key or an authentication failure.
 */
export function isTransientConnectError(e: unknown): boolean {
  return transient.has(e as object);
}
const transient = new WeakSet<object>();

/**
 * Opens a `direct-tcpip` channel from a connected jump host to the next hop, for use as that
 * hop's socket (ssh -J), waiting at most `timeoutMs` for the jump host to open it (a dead
 * target behind a live jump host otherwise takes the jump host's TCP timeout, minutes).
 * Source: RFC 4254 section 7.2.
 *
 * @throws ConvergeError `CONVERGE_CONNECT` naming the jump host when it cannot reach the next hop in time.
 */
export function forwardTo(via: ClientType, viaName: string, address: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new ConvergeError('CONVERGE_CONNECT', `cannot reach ${address}:${port} through ${viaName}: the jump host did not open a connection to it within ${timeoutMs} ms`, {
          hint: 'check from the jump host that the target is up and its address and port are right; ansible_timeout (-T) sets the limit in seconds',
        }),
      );
    }, timeoutMs);
    via.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
      if (settled) {
        // Too late: the caller has given up; do not leave the channel open.
        stream?.close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err) {
        reject(new ConvergeError('CONVERGE_CONNECT', `cannot reach ${address}:${port} through ${viaName}: ${err.message}`, { cause: err, hint: 'check from the jump host that the target is up and its address and port are right' }));
        return;
      }
      resolve(stream);
    });
  });
}
