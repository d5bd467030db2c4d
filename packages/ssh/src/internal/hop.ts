import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Algorithms, AnyAuthMethod, AuthenticationType, Client as ClientType, ConnectConfig } from 'ssh2';
import { ConvergeError, maskText } from '@converge/core';
import type { Secret } from '@converge/core';
import { ALGORITHM_SETTINGS, isLegacyAlgorithm } from '../algorithms.js';
import type { SshAlgorithms } from '../algorithms.js';
import type { HostKeyPins } from '../host-key-pins.js';
import { appendKnownHost, checkHostKey, hostKeyFingerprint, hostKeyType, knownKeyTypes, readKnownHosts } from '../known-hosts.js';

// ssh2 (25 files and a native binding, ~100 ms of CPU to load) is loaded on the first
// connection, so that a run that contacts no host over SSH does not pay for it.
let ssh2Module: typeof import('ssh2') | undefined;
const ssh2 = (): typeof import('ssh2') => (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));

/** Everything needed to open one SSH connection: the target or one jump host. */
export interface Hop {
  /** `user@address:port`, for messages. */
  label: string;
  address: string;
  port: number;
  user: string;
  /** Key files in the order to try; `explicit` ones must exist. */
  identityFiles: { file: string; explicit: boolean }[];
  password?: Secret;
  /** ssh-agent socket path; empty or absent: no agent. */
  agent?: string;
  knownHostsFile: string;
  /** Names the host key may be recorded under. */
  knownHostsNames: string[];
  hashKnownHosts: boolean;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Algorithms to offer, most preferred first. */
  algorithms: SshAlgorithms;
  /** Forward the ssh-agent (`agent`) to this hop's sessions. */
  forwardAgent: boolean;
}

/** Host key policy shared by all hops of a transport. */
export interface HostKeyPolicy {
  acceptNewHostKeys: boolean;
  onHostKeyAccepted?: (host: string, fingerprint: string) => void;
  /** Host keys seen so far in this run; a different key for the same host is refused. */
  pins: HostKeyPins;
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
  kind: AuthenticationType;
  method: AnyAuthMethod;
}

function authCandidates(hop: Hop): { candidates: Candidate[]; skipped: string[] } {
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const { file, explicit } of hop.identityFiles) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      if (explicit) {
        throw new ConvergeError('CONVERGE_AUTH', `${hop.label}: private key file ${file} does not exist`, {
          hint: 'check ansible_ssh_private_key_file / IdentityFile for this host',
        });
      }
      continue;
    }
    let key;
    try {
      key = ssh2().utils.parseKey(readFileSync(file));
    } catch (cause) {
      if (explicit) throw new ConvergeError('CONVERGE_AUTH', `${hop.label}: cannot read private key file ${file}`, { cause });
      skipped.push(`${file} (unreadable)`);
      continue;
    }
    if (key instanceof Error) {
      if (/passphrase|encrypted/i.test(key.message)) {
        skipped.push(`${file} (encrypted: load it into ssh-agent)`);
        continue;
      }
      if (explicit) throw new ConvergeError('CONVERGE_AUTH', `${hop.label}: ${file} is not a usable private key: ${key.message}`, { cause: key });
      skipped.push(`${file} (${key.message})`);
      continue;
    }
    candidates.push({ label: `publickey ${file}`, kind: 'publickey', method: { type: 'publickey', username: hop.user, key } });
  }
  if (hop.agent && existsSync(hop.agent)) {
    // Agent keys go after explicit key files, so that sshd's MaxAuthTries (6) is not spent on them.
    const explicitCount = candidates.length;
    candidates.splice(explicitCount, 0, {
      label: `ssh-agent ${hop.agent}`,
      kind: 'publickey',
      method: { type: 'agent', username: hop.user, agent: hop.agent },
    });
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
  return { candidates, skipped };
}

function hostKeyError(hop: Hop, policy: HostKeyPolicy, blob: Buffer): ConvergeError | undefined {
  const entries = readKnownHosts(hop.knownHostsFile);
  const verdict = checkHostKey(entries, hop.knownHostsNames, blob);
  const fp = hostKeyFingerprint(blob);
  const type = hostKeyType(blob);
  const where = `${hop.address}:${hop.port}`;
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
        { hint: `if the change is expected, remove the old key with: ssh-keygen -R ${JSON.stringify(hop.knownHostsNames[0] ?? hop.address)} -f ${hop.knownHostsFile}` },
      );
    case 'cert-authority-only':
      return new ConvergeError(
        'CONVERGE_HOST_KEY',
        `${where}: known_hosts trusts this host only through @cert-authority, and converge's SSH client (ssh2) does not support host certificates; the server presents ${type} ${fp}`,
        { hint: `add the host's own key to ${hop.knownHostsFile} (check ${fp} out of band), or run with --accept-new-host-keys` },
      );
    case 'unknown': {
      if (policy.acceptNewHostKeys) {
        const name = hop.knownHostsNames[0] ?? hop.address;
        appendKnownHost(hop.knownHostsFile, name, blob, hop.hashKnownHosts);
        policy.onHostKeyAccepted?.(name, fp);
        return undefined;
      }
      const others = verdict.otherTypes.length > 0 ? ` (known_hosts has only ${verdict.otherTypes.join(', ')} keys for it)` : '';
      return new ConvergeError('CONVERGE_HOST_KEY', `${where}: unknown host key ${type} ${fp}${others}; not in ${hop.knownHostsFile}`, {
        hint: 'check the fingerprint out of band, then run with --accept-new-host-keys to record it (or add it with ssh-keyscan)',
      });
    }
  }
}

/**
 * Opens one authenticated SSH connection (over `sock` when it goes through a jump host),
 * verifying the host key against known_hosts first.
 *
 * @throws ConvergeError `CONVERGE_CONNECT`, `CONVERGE_HOST_KEY` or `CONVERGE_AUTH`.
 */
export function connectHop(hop: Hop, policy: HostKeyPolicy, sock?: Duplex): Promise<ClientType> {
  const { candidates, skipped } = authCandidates(hop);
  const tried: string[] = [];
  let serverMethods: string[] = [];
  let next = 0;
  let hostKeyFailure: ConvergeError | undefined;
  const knownTypes = knownKeyTypes(readKnownHosts(hop.knownHostsFile), hop.knownHostsNames);
  if (hop.forwardAgent && !(hop.agent && existsSync(hop.agent))) {
    throw new ConvergeError('CONVERGE_OPTIONS', `${hop.label}: agent forwarding is asked for (converge_ssh_forward_agent) but no ssh-agent socket is available`, {
      hint: 'start ssh-agent and export SSH_AUTH_SOCK, or drop converge_ssh_forward_agent for this host',
    });
  }
  const pinName = hop.knownHostsNames[0] ?? `${hop.address}:${hop.port}`;
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
    algorithms: {
      kex: hop.algorithms.kex,
      serverHostKey: hostKeyAlgorithms(hop.algorithms.serverHostKey, knownTypes),
      cipher: hop.algorithms.cipher,
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
          `${hop.address}:${hop.port}: the host key CHANGED during this run: the first connection saw ${hostKeyType(pinned)} ${hostKeyFingerprint(pinned)}, this one presents ${hostKeyType(key)} ${hostKeyFingerprint(key)}; refusing to reconnect`,
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
  if (sock) config.sock = sock;

  return new Promise<ClientType>((resolve, reject) => {
    let settled = false;
    const fail = (e: ConvergeError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(e);
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
          new ConvergeError('CONVERGE_AUTH', `${hop.label}: authentication failed; tried ${triedText}${skippedText}; the server accepts ${serverMethods.join(', ') || 'nothing'}`, {
            cause: err,
            hint: 'set ansible_ssh_private_key_file or ansible_password for this host, add an IdentityFile in ~/.ssh/config, or load the key into ssh-agent',
          }),
        );
      }
      const algo = err.level === 'handshake' ? noCommonAlgorithm(hop, err.message, remoteLists, err) : undefined;
      if (algo) return fail(algo);
      if (err.level === 'client-timeout') {
        return fail(new ConvergeError('CONVERGE_CONNECT', `${hop.address}:${hop.port}: no SSH handshake within ${hop.readyTimeoutMs} ms`, { cause: err, hint: 'check that the host is up and the address and port are right' }));
      }
      const sys = err.code ? ` (${err.code})` : '';
      const e = new ConvergeError('CONVERGE_CONNECT', `cannot connect to ${hop.address}:${hop.port}: ${msg}${err.code && msg.includes(err.code) ? '' : sys}`, { cause: err, hint: 'check that the host is up and the address and port are right' });
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') transient.add(e);
      fail(e);
    });
    client.on('close', () => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      const e = new ConvergeError('CONVERGE_CONNECT', `${hop.address}:${hop.port}: the connection closed during the SSH handshake`);
      transient.add(e);
      fail(e);
    });
    try {
      client.connect(config);
    } catch (cause) {
      fail(new ConvergeError('CONVERGE_CONNECT', `cannot connect to ${hop.address}:${hop.port}: ${(cause as Error).message}`, { cause }));
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
 * hop's socket (ssh -J). Source: RFC 4254 section 7.2.
 *
 * @throws ConvergeError `CONVERGE_CONNECT` when the jump host cannot reach the next hop.
 */
export function forwardTo(via: ClientType, viaLabel: string, address: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
      if (err) {
        reject(new ConvergeError('CONVERGE_CONNECT', `cannot reach ${address}:${port} through jump host ${viaLabel}: ${err.message}`, { cause: err }));
        return;
      }
      resolve(stream);
    });
  });
}
