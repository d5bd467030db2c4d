import { createHash } from 'node:crypto';

/** A primary public key found in a keyring. */
export interface OpenPgpPublicKey {
  /** Key packet version (4 for nearly every key in use; 6 for RFC 9580 keys). */
  version: number;
  /** Upper-case hex fingerprint (40 digits for v4, 64 for v5/v6). */
  fingerprint: string;
}

const BEGIN = /^-----BEGIN PGP ([A-Z ]+)-----$/;
const END = /^-----END PGP ([A-Z ]+)-----$/;

/**
 * Decodes an ASCII-armored OpenPGP public key block into its binary packets: the exact bytes
 * `gpg --dearmor` writes (RFC 4880 §6.2 armor; RFC 9580 §6.2). Armor headers (`Version: ...`)
 * are skipped; the CRC-24 checksum line, when present, must match (RFC 4880 §6.1).
 *
 * @throws Error with a one-line reason: no `BEGIN PGP PUBLIC KEY BLOCK` line, a private key
 * block, more than one block, bad base64 or a checksum mismatch.
 */
export function dearmor(text: string): Uint8Array {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim());
  const begins = lines.flatMap((l, i) => (BEGIN.test(l) ? [i] : []));
  if (begins.length === 0) throw new Error('no "-----BEGIN PGP PUBLIC KEY BLOCK-----" line: not an ASCII-armored key');
  if (begins.length > 1) throw new Error('more than one armored block: give one block (gpg --export --armor KEY1 KEY2 makes one)');
  const start = begins[0] as number;
  const kind = BEGIN.exec(lines[start] as string)?.[1];
  if (kind === 'PRIVATE KEY BLOCK') throw new Error('this is a private key block: give the public key (gpg --export --armor)');
  if (kind !== 'PUBLIC KEY BLOCK') throw new Error(`armored "${kind}" is not a public key block`);
  const end = lines.findIndex((l, i) => i > start && END.test(l));
  if (end < 0) throw new Error('no "-----END PGP PUBLIC KEY BLOCK-----" line');
  let i = start + 1;
  // Armor headers run up to the first empty line; armors without headers may omit it.
  while (i < end && /^[A-Za-z0-9-]+: /.test(lines[i] as string)) i++;
  if (i < end && lines[i] === '') i++;
  let body = '';
  let checksum: string | undefined;
  for (; i < end; i++) {
    const l = lines[i] as string;
    if (l === '') continue;
    if (/^=[A-Za-z0-9+/]{4}$/.test(l)) {
      checksum = l.slice(1);
      continue;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(l)) throw new Error(`line ${i + 1} of the key is not base64: ${JSON.stringify(l.slice(0, 40))}`);
    body += l;
  }
  if (body.length % 4 !== 0) throw new Error('the armored key is truncated (base64 length is not a multiple of 4)');
  const bytes = new Uint8Array(Buffer.from(body, 'base64'));
  if (bytes.length === 0) throw new Error('the armored key block is empty');
  if (checksum !== undefined) {
    const want = Buffer.from(checksum, 'base64');
    const crc = crc24(bytes);
    if (want[0] !== (crc >> 16) || want[1] !== ((crc >> 8) & 0xff) || want[2] !== (crc & 0xff)) {
      throw new Error('the armor checksum does not match: the key was damaged in transit');
    }
  }
  return bytes;
}

/** CRC-24 of RFC 4880 §6.1 (init 0xB704CE, polynomial 0x1864CFB). */
export function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let k = 0; k < 8; k++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** True when the text looks like an armored block rather than binary data. */
export function isArmored(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 4096)).toString('latin1').includes('-----BEGIN PGP ');
}

/**
 * Reads the primary public keys of a binary OpenPGP keyring (a transferable public key
 * sequence, RFC 4880 §11.1): walks the packets (§4.2, old and new headers) and computes each
 * primary key's fingerprint (§12.2: SHA-1 over 0x99, a two-octet length and the packet body for
 * v4; RFC 9580 §5.5.4: SHA-256 with 0x9B and a four-octet length for v6, 0x9A for v5).
 *
 * @throws Error when the data is not OpenPGP packets, starts with something other than a
 * public key packet, or holds a secret key.
 */
export function readPublicKeys(bytes: Uint8Array): OpenPgpPublicKey[] {
  const keys: OpenPgpPublicKey[] = [];
  let off = 0;
  let first = true;
  while (off < bytes.length) {
    const h = bytes[off] as number;
    if ((h & 0x80) === 0) throw new Error(`not OpenPGP data (byte ${off} is not a packet header)`);
    let tag: number;
    let len: number;
    let p = off + 1;
    if (h & 0x40) {
      tag = h & 0x3f;
      const o1 = bytes[p++] ?? 0;
      if (o1 < 192) len = o1;
      else if (o1 < 224) len = ((o1 - 192) << 8) + (bytes[p++] ?? 0) + 192;
      else if (o1 === 255) {
        len = ((bytes[p] ?? 0) * 0x1000000) + (((bytes[p + 1] ?? 0) << 16) | ((bytes[p + 2] ?? 0) << 8) | (bytes[p + 3] ?? 0));
        p += 4;
      } else throw new Error('partial-length packets do not occur in keys: not a public keyring');
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 0) len = bytes[p++] ?? 0;
      else if (lt === 1) {
        len = ((bytes[p] ?? 0) << 8) | (bytes[p + 1] ?? 0);
        p += 2;
      } else if (lt === 2) {
        len = ((bytes[p] ?? 0) * 0x1000000) + (((bytes[p + 1] ?? 0) << 16) | ((bytes[p + 2] ?? 0) << 8) | (bytes[p + 3] ?? 0));
        p += 4;
      } else len = bytes.length - p;
    }
    if (p + len > bytes.length) throw new Error('the keyring is truncated (a packet runs past the end)');
    if (tag === 5 || tag === 7) throw new Error('this holds a secret key: give the public key (gpg --export)');
    if (first && tag !== 6) throw new Error(`not a public key (the first OpenPGP packet has tag ${tag}, a public key has 6)`);
    first = false;
    if (tag === 6) {
      const body = bytes.subarray(p, p + len);
      const version = body[0] ?? 0;
      let fingerprint: string;
      if (version === 4) {
        fingerprint = createHash('sha1').update(Uint8Array.of(0x99, len >> 8, len & 0xff)).update(body).digest('hex');
      } else if (version === 5 || version === 6) {
        const prefix = version === 5 ? 0x9a : 0x9b;
        fingerprint = createHash('sha256').update(Uint8Array.of(prefix, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff)).update(body).digest('hex');
      } else {
        throw new Error(`version ${version} keys are not supported by apt (use a v4 or v6 key)`);
      }
      keys.push({ version, fingerprint: fingerprint.toUpperCase() });
    }
    off = p + len;
  }
  if (keys.length === 0) throw new Error('the keyring is empty');
  return keys;
}

/**
 * The binary keyring for given key material: armored text is dearmored, binary data is taken as
 * it is; either way it must parse as public keys.
 *
 * @throws Error with a one-line reason (see {@link dearmor}, {@link readPublicKeys}).
 */
export function keyringOf(material: Uint8Array): { bytes: Uint8Array; keys: OpenPgpPublicKey[] } {
  if (!isArmored(material) && material.length > 0 && ((material[0] as number) & 0x80) === 0) {
    throw new Error('not an ASCII-armored key ("-----BEGIN PGP PUBLIC KEY BLOCK-----") nor a binary OpenPGP keyring');
  }
  const bytes = isArmored(material) ? dearmor(Buffer.from(material).toString('utf8')) : material;
  return { bytes, keys: readPublicKeys(bytes) };
}
