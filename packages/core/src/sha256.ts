import { createHash } from 'node:crypto';

/**
 * Hex SHA-256 (FIPS 180-4) of bytes, or of a text's UTF-8 bytes, as sha256sum(1) prints it: how a
 * file's content is compared with the `sha256` its `file.state` fact reports (so that an
 * unchanged file costs one hash and no transfer), and the one digest converge computes for
 * archives, synchronised trees and cache keys.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
