import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH key pair in OpenSSH's own file formats. */
export interface OpenSshKeyPair {
  /** The private key file: `-----BEGIN OPENSSH PRIVATE KEY-----`, unencrypted. */
  privateKey: string;
  /** The public key line: `ssh-ed25519 <base64> <comment>` followed by a newline. */
  publicKey: string;
}

/**
 * Generates an ed25519 key pair in OpenSSH's formats with Node's crypto alone, so that no
 * `ssh-keygen` is needed on the controller.
 *
 * Format: PROTOCOL.key and PROTOCOL (ssh-ed25519 public key blob, RFC 8709) in the OpenSSH source;
 * the private section holds the 32-byte seed followed by the 32-byte public key.
 *
 * @example
 * const { privateKey, publicKey } = generateEd25519KeyPair('converge-test');
 */
export function generateEd25519KeyPair(comment: string): OpenSshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error('ed25519 JWK without d or x');
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');

  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let privateSection = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (privateSection.length % 8)) % 8 }, (_, i) => i + 1));
  privateSection = Buffer.concat([privateSection, padding]);

  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(privateSection),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}\n`,
  };
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** An SSH wire-format `string` (RFC 4251 §5): uint32 length, then the bytes. */
function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}
