import { createHash } from 'node:crypto';

/**
 * Hex SHA-256 of bytes, or of a text's UTF-8 bytes: how converge compares a file's content with
 * the `sha256` its `file.state` fact reports (sha256sum(1)'s digest), so that an unchanged file
 * costs one hash and no transfer.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
