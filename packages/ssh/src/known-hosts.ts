import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchSshPatterns } from './ssh-patterns.js';

/**
 * One line of a known_hosts file: an optional marker, the host patterns (plain, negated with
 * `!`, wildcards `*` and `?`, or one hashed `|1|salt|hash` entry), the key type and the
 * base64 key blob. Source: sshd(8), section "SSH_KNOWN_HOSTS FILE FORMAT".
 */
export interface KnownHostsEntry {
  marker?: 'cert-authority' | 'revoked';
  /** The host field as written: comma-separated patterns or a hashed entry. */
  hosts: string;
  keyType: string;
  /** The key blob, base64 as written in the file. */
  key: string;
  /** 1-based line number, for messages. */
  line: number;
}

/**
 * What known_hosts says about a host key presented by a server.
 *
 * - `known`: a plain entry for this host holds exactly this key.
 * - `revoked`: an `@revoked` entry holds this key (refuse, whatever else the file says).
 * - `changed`: entries for this host hold other keys of the same type (refuse: possible
 *   man-in-the-middle); `expected` lists their fingerprints.
 * - `cert-authority-only`: the host is only covered by `@cert-authority` lines, which converge
 *   cannot use (ssh2 does not negotiate host certificates).
 * - `unknown`: no entry for this host with this key type; `otherTypes` lists key types that are
 *   recorded for the host.
 */
export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'revoked'; line: number }
  | { status: 'changed'; expected: string[]; lines: number[] }
  | { status: 'cert-authority-only' }
  | { status: 'unknown'; otherTypes: string[] };

/**
 * The name a host is recorded under in known_hosts: the host itself on port 22, else
 * `[host]:port`. Source: sshd(8), SSH_KNOWN_HOSTS FILE FORMAT.
 *
 * @example knownHostsName('db1', 2222) // '[db1]:2222'
 */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The OpenSSH SHA256 fingerprint of a public key blob (SSH wire format), as `ssh-keygen -lf`
 * prints it: `SHA256:` and the unpadded base64 of the digest.
 *
 * @example hostKeyFingerprint(blob) // 'SHA256:uO5S...'
 */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The key type named inside a public key blob (its first SSH string), e.g. `ssh-ed25519`.
 *
 * @throws Error when the blob is malformed.
 */
export function hostKeyType(blob: Buffer): string {
  if (blob.length < 4) throw new Error('malformed public key blob');
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4) throw new Error('malformed public key blob');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/**
 * Parses known_hosts text. Comments, blank and malformed lines are skipped.
 * Source: sshd(8), SSH_KNOWN_HOSTS FILE FORMAT.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@cert-authority') marker = 'cert-authority';
      else if (m === '@revoked') marker = 'revoked';
      else return;
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 });
  });
  return out;
}

/**
 * True when a known_hosts host field matches `name` (the result of {@link knownHostsName}).
 * Hashed fields compare HMAC-SHA1(salt, name); pattern lists match when one pattern matches and
 * no negated pattern does.
 */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  return matchSshPatterns(name, [field]);
}

/**
 * Judges a presented host key against known_hosts entries, the way ssh(1) does with
 * `StrictHostKeyChecking`. `names` are the names the host may be recorded under (usually one:
 * {@link knownHostsName} of the address, or of `HostKeyAlias`).
 *
 * An `@revoked` key is refused whichever host it is recorded for.
 */
export function checkHostKey(entries: KnownHostsEntry[], names: string[], blob: Buffer): HostKeyVerdict {
  const type = hostKeyType(blob);
  const b64 = blob.toString('base64');
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === b64);
  if (revoked) return { status: 'revoked', line: revoked.line };
  const forHost = entries.filter((e) => names.some((n) => hostFieldMatches(e.hosts, n)));
  const plain = forHost.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.keyType === type && e.key === b64);
  if (same) return { status: 'known', line: same.line };
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length > 0) {
    return {
      status: 'changed',
      expected: sameType.map((e) => hostKeyFingerprint(Buffer.from(e.key, 'base64'))),
      lines: sameType.map((e) => e.line),
    };
  }
  if (plain.length === 0 && forHost.some((e) => e.marker === 'cert-authority')) return { status: 'cert-authority-only' };
  return { status: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/**
 * The key types recorded for a host, so that key exchange can prefer them (as ssh(1) does) and a
 * host with a known ed25519 key is not judged by its RSA key.
 */
export function knownKeyTypes(entries: KnownHostsEntry[], names: string[]): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && names.some((n) => hostFieldMatches(e.hosts, n)))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** Reads and parses a known_hosts file; a missing file is an empty one. */
export function readKnownHosts(file: string): KnownHostsEntry[] {
  if (!existsSync(file)) return [];
  return parseKnownHosts(readFileSync(file, 'utf8'));
}

/**
 * The known_hosts line recording `blob` for `name`: plain (`name keytype base64`, OpenSSH's
 * default) or hashed (`|1|salt|hash keytype base64`, as with `HashKnownHosts yes`).
 */
export function knownHostsLine(name: string, blob: Buffer, hashed = false): string {
  let field = name;
  if (hashed) {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest();
    field = `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
  }
  return `${field} ${hostKeyType(blob)} ${blob.toString('base64')}`;
}

/**
 * Appends a host key to a known_hosts file (creating the file, mode 0600, and its directory,
 * mode 0700, when missing). Does nothing when the same key is already recorded for `name`.
 */
export function appendKnownHost(file: string, name: string, blob: Buffer, hashed = false): void {
  let text = '';
  if (existsSync(file)) {
    text = readFileSync(file, 'utf8');
    if (checkHostKey(parseKnownHosts(text), [name], blob).status === 'known') return;
  } else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(file, `${sep}${knownHostsLine(name, blob, hashed)}\n`, { mode: 0o600 });
}
