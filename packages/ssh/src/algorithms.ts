import { ConvergeError } from '@converge/core';

/** The algorithm lists offered in the SSH handshake, most preferred first. Source: RFC 4253 section 7.1. */
export interface SshAlgorithms {
  /** Key exchange (`KexAlgorithms`). */
  kex: string[];
  /** Host key signature algorithms accepted from the server (`HostKeyAlgorithms`). */
  serverHostKey: string[];
  /** Ciphers (`Ciphers`). */
  cipher: string[];
  /** Message authentication codes (`MACs`); unused with the AEAD ciphers (chacha20-poly1305, AES-GCM). */
  hmac: string[];
}

/**
 * The algorithms converge offers by default: the modern subset of OpenSSH 9's defaults that ssh2
 * implements. Nothing here relies on SHA-1 or CBC mode.
 *
 * - kex: curve25519-sha256 (RFC 8731), ECDH over NIST curves (RFC 5656), finite-field
 *   Diffie-Hellman with SHA-2 only (RFC 8268, RFC 4419 group exchange with SHA-256). The SHA-1
 *   exchanges are refused: RFC 9142 section 3.
 * - host keys: ssh-ed25519 (RFC 8709), ECDSA (RFC 5656), RSA with SHA-2 signatures rsa-sha2-512
 *   and rsa-sha2-256 (RFC 8332). `ssh-rsa` (RSA with SHA-1 signatures) is refused, as OpenSSH
 *   8.8 does by default (release notes, 2021-09-26); `ssh-dss` was removed from OpenSSH's
 *   defaults in 7.0.
 * - ciphers: chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305), AES-GCM
 *   (RFC 5647, OpenSSH PROTOCOL), AES-CTR (RFC 4344). CBC modes and 3DES are refused: CBC in
 *   SSH allows plaintext recovery (CVE-2008-5161), and OpenSSH 6.7 dropped the CBC ciphers from
 *   sshd's defaults (release notes, 2014-10-06).
 * - MACs: encrypt-then-MAC and plain HMAC-SHA2 (RFC 6668); hmac-sha1, hmac-md5 and the
 *   truncated `-96` variants are refused.
 *
 * ssh2 (1.15 and later) also implements OpenSSH's strict key exchange
 * (`kex-strict-c-v00@openssh.com`), the fix for the Terrapin attack (CVE-2023-48795; OpenSSH
 * 9.6 release notes), which protects chacha20-poly1305 and the `-etm` MACs.
 */
export const DEFAULT_ALGORITHMS: Readonly<SshAlgorithms> = Object.freeze({
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group-exchange-sha256',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
  cipher: ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
});

/**
 * Every algorithm ssh2 1.17 implements, per list: what a per-host setting may add to the
 * defaults (the legacy ones exist for old devices that offer nothing better).
 */
export const SUPPORTED_ALGORITHMS: Readonly<SshAlgorithms> = Object.freeze({
  kex: [
    ...DEFAULT_ALGORITHMS.kex,
    'diffie-hellman-group15-sha512',
    'diffie-hellman-group17-sha512',
    'diffie-hellman-group-exchange-sha1',
    'diffie-hellman-group14-sha1',
    'diffie-hellman-group1-sha1',
  ],
  serverHostKey: [...DEFAULT_ALGORITHMS.serverHostKey, 'ssh-rsa', 'ssh-dss'],
  cipher: [...DEFAULT_ALGORITHMS.cipher, 'aes128-gcm', 'aes256-gcm', 'aes256-cbc', 'aes192-cbc', 'aes128-cbc', '3des-cbc'],
  hmac: [
    ...DEFAULT_ALGORITHMS.hmac,
    'hmac-sha1-etm@openssh.com',
    'hmac-sha1',
    'hmac-md5',
    'hmac-sha2-256-96',
    'hmac-sha2-512-96',
    'hmac-ripemd160',
    'hmac-sha1-96',
    'hmac-md5-96',
  ],
});

/** The ssh_config(5) keyword and the inventory var of each list, for settings and messages. */
export const ALGORITHM_SETTINGS: Readonly<Record<keyof SshAlgorithms, { keyword: string; option: string }>> = Object.freeze({
  kex: { keyword: 'KexAlgorithms', option: 'kex_algorithms' },
  serverHostKey: { keyword: 'HostKeyAlgorithms', option: 'host_key_algorithms' },
  cipher: { keyword: 'Ciphers', option: 'ciphers' },
  hmac: { keyword: 'MACs', option: 'macs' },
});

/**
 * Applies one setting to a default list with ssh_config(5)'s syntax: `a,b` replaces the list,
 * `+a,b` appends, `-a,b` removes, `^a,b` puts them first. A list value (array) replaces.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` naming `where` for an algorithm ssh2 does not
 * implement or a list left empty.
 */
export function applyAlgorithmSetting(list: keyof SshAlgorithms, base: readonly string[], setting: string | readonly string[], where: string): string[] {
  let op = '';
  let names: string[];
  if (typeof setting === 'string') {
    const text = setting.trim();
    op = /^[-+^]/.test(text) ? text[0] as string : '';
    names = (op ? text.slice(1) : text).split(',').map((s) => s.trim()).filter(Boolean);
  } else names = [...setting].map(String);
  const supported = SUPPORTED_ALGORITHMS[list];
  const unknown = names.filter((n) => !supported.includes(n));
  const { keyword } = ALGORITHM_SETTINGS[list];
  if (unknown.length > 0) {
    throw new ConvergeError('CONVERGE_INVENTORY', `${where}: ${keyword} ${unknown.map((n) => JSON.stringify(n)).join(', ')} is not an algorithm converge's SSH client implements`, {
      hint: `choose among ${supported.join(', ')}`,
    });
  }
  let out: string[];
  if (op === '+') out = [...base, ...names.filter((n) => !base.includes(n))];
  else if (op === '-') out = base.filter((n) => !names.includes(n));
  else if (op === '^') out = [...names, ...base.filter((n) => !names.includes(n))];
  else out = [...new Set(names)];
  if (out.length === 0) throw new ConvergeError('CONVERGE_INVENTORY', `${where}: ${keyword} leaves no algorithm to offer`);
  return out;
}

/** The algorithms that are supported but not offered by default, for messages about weak servers. */
export function isLegacyAlgorithm(list: keyof SshAlgorithms, name: string): boolean {
  return SUPPORTED_ALGORITHMS[list].includes(name) && !DEFAULT_ALGORITHMS[list].includes(name);
}

/**
 * The ciphers to offer a jump host: its own list, less chacha20-poly1305@openssh.com when ssh2
 * runs without its native crypto binding (`sshcrypto.node`, built by `pnpm install` for one Node
 * version, absent when install scripts did not run). ssh2's JavaScript chacha20-poly1305 keeps
 * the nonce and the Poly1305 result in buffers shared by every connection of the process, and a
 * connection tunnelled through the jump host writes into the jump host's channel halfway through
 * encrypting its own packet: with both on that cipher, each overwrites the other's nonce and the
 * server sees a corrupt packet (ssh2 1.17, `lib/protocol/crypto.js`, `ChaChaPolyCipherNative`).
 * The jump host then negotiates the next cipher of its list; the tunnelled hop keeps its own.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` naming `where` when chacha20-poly1305 is the only
 * cipher allowed for the jump host.
 */
export function jumpHostCiphers(ciphers: readonly string[], nativeCrypto: boolean, where: string): string[] {
  if (nativeCrypto) return [...ciphers];
  const out = ciphers.filter((c) => c !== 'chacha20-poly1305@openssh.com');
  if (out.length === 0) {
    throw new ConvergeError('CONVERGE_INVENTORY', `${where}: Ciphers allows only chacha20-poly1305@openssh.com for a jump host, which converge's SSH client cannot use for a jump host without its native crypto binding`, {
      hint: 'allow another cipher for the jump host (converge_ssh_ciphers or Ciphers, e.g. "+aes128-gcm@openssh.com"), or reinstall so that ssh2 builds its binding for this Node (pnpm rebuild ssh2)',
    });
  }
  return out;
}
