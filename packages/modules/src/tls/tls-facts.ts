import { createPublicKey } from 'node:crypto';
import { defineFact, raw, sh } from '@converge/core';

/** A private key file as the TLS modules see it, without its secret part ever leaving the host. */
export interface KeyFileState {
  state: 'absent' | 'unreadable' | 'ok';
  /** The public key (`openssl pkey -pubout`), PEM. */
  publicKeyPem?: string;
}

/**
 * Fact `tls.key`: whether a private key file exists and, if openssl can read it (unencrypted),
 * its public key. Only the public key is printed: the private key never leaves the host. The
 * passphrase is given as empty on purpose, so that an encrypted key fails at once instead of
 * waiting for a prompt. openssl(1).
 */
export const keyFile = defineFact<{ path: string }, KeyFileState>({
  name: 'tls.key',
  description: 'A private key file: present, readable, and its public key (never the key itself).',
  command: ({ path }) => sh`p=${path}
if [ ! -e "$p" ]; then echo 'state absent'; exit 0; fi
if pub=$(openssl pkey -in "$p" -passin pass: -pubout 2>/dev/null); then printf 'pub %s\\n' "$(printf '%s\\n' "$pub" | base64 -w0)"; else echo 'state unreadable'; fi`,
  parse: (stdout) => parseKeyFile(stdout),
  resources: ({ path }) => [path],
});

/** Pure parser of the `tls.key` probe (exported for fact tests). */
export function parseKeyFile(stdout: string): KeyFileState {
  const pub = stdout.split('\n').find((l) => l.startsWith('pub '));
  if (pub) return { state: 'ok', publicKeyPem: Buffer.from(pub.slice(4), 'base64').toString('utf8') };
  return { state: stdout.includes('state unreadable') ? 'unreadable' : 'absent' };
}

/** A key's algorithm as the TLS modules name it: `RSA 4096`, `ECC secp384r1`, `Ed25519`. */
export function describeKey(publicKeyPem: string): string {
  const k = createPublicKey(publicKeyPem);
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === 'rsa') return `RSA ${d.modulusLength}`;
  if (k.asymmetricKeyType === 'ec') return `ECC ${d.namedCurve === 'prime256v1' ? 'secp256r1' : d.namedCurve}`;
  if (k.asymmetricKeyType === 'ed25519') return 'Ed25519';
  return String(k.asymmetricKeyType);
}

/** Fact `tls.clock`: the host's time in seconds since the epoch (date(1)), against which expiry is judged. */
export const hostClock = defineFact<Record<string, never>, number>({
  name: 'tls.clock',
  description: 'The time on the host (date +%s).',
  command: () => raw('date -u +%s'),
  parse: (stdout) => Number(stdout.trim()),
  resources: () => [],
});

/** What the parts of a bundle hold together, by hash: the key they include never leaves the host. */
export interface BundleParts {
  /** The first part that is missing or unreadable. */
  missing?: string;
  /** sha256 of the parts concatenated in order. */
  sha256?: string;
}

/**
 * Fact `tls.bundle_parts`: the sha256 of files concatenated in order (`cat … | sha256sum`), or
 * the first one missing: compared with the bundle's own sha256, so the private key a bundle
 * holds is never read by the controller.
 */
export const bundleParts = defineFact<{ parts: string[] }, BundleParts>({
  name: 'tls.bundle_parts',
  description: 'sha256 of the parts of a PEM bundle, concatenated.',
  command: ({ parts }) => sh`for f in ${parts}; do [ -r "$f" ] || { printf 'missing %s\\n' "$f"; exit 0; }; done
printf 'sha256 %s\\n' "$(cat ${parts} | sha256sum | cut -d ' ' -f 1)"`,
  parse: (stdout) => {
    const line = stdout.split('\n')[0] ?? '';
    if (line.startsWith('missing ')) return { missing: line.slice(8) };
    return line.startsWith('sha256 ') ? { sha256: line.slice(7) } : {};
  },
  resources: ({ parts }) => parts,
});
