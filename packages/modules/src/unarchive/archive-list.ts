import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { ConvergeError, sha256Hex } from '@converge/core';
import type TarStream from 'tar-stream';
import type Yauzl from 'yauzl';

// Loaded on first use: playbooks without controller archives do not pay for these libraries
// (and the CommonJS files they require) at start-up.
let archiveLibs: { tarStream: typeof TarStream; yauzl: typeof Yauzl } | undefined;
function libs(): { tarStream: typeof TarStream; yauzl: typeof Yauzl } {
  if (!archiveLibs) {
    const require = createRequire(import.meta.url);
    archiveLibs = { tarStream: require('tar-stream') as typeof TarStream, yauzl: require('yauzl') as typeof Yauzl };
  }
  return archiveLibs;
}

/** Archive formats converge lists on the controller and extracts with tar/unzip on the host. */
export type ArchiveFormat = 'tar' | 'tar.gz' | 'zip';

/** One member of an archive. */
export interface ArchiveMember {
  path: string;
  type: 'file' | 'directory' | 'link';
  /** Permission bits (4-digit octal); undefined when the archive does not say (a zip made elsewhere). */
  mode?: string;
  sha256?: string;
  linkTarget?: string;
}

/** The format of archive bytes, from their magic numbers (gzip RFC 1952, ustar POSIX.1 pax, zip APPNOTE 4.3.7). */
export function archiveFormat(bytes: Uint8Array): ArchiveFormat | undefined {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar.gz';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

/**
 * A member path as it lands below dest: `./` and trailing `/` dropped.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for an absolute path or one that climbs out with `..`
 *   (path traversal: "zip slip").
 */
function memberPath(name: string, archive: string): string {
  const p = posix.normalize(name.replace(/\/+$/, '')).replace(/^(\.\/)+/, '');
  if (p.startsWith('/') || p === '..' || p.startsWith('../')) {
    throw new ConvergeError('CONVERGE_PARAMS', `unarchive: ${archive} holds ${JSON.stringify(name)}, which would land outside dest`);
  }
  return p;
}

/**
 * Lists a tar, tar.gz or zip archive on the controller: each member's path, type, mode, and the
 * sha256 of a file's bytes (tar-stream and yauzl read the formats; nothing is written).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for an unreadable archive, a member outside dest, a
 *   hard link or special file.
 */
export async function listArchive(bytes: Uint8Array, format: ArchiveFormat, name: string): Promise<ArchiveMember[]> {
  try {
    const members = format === 'zip' ? await listZip(Buffer.from(bytes), name) : await listTar(format === 'tar.gz' ? gunzipSync(bytes) : Buffer.from(bytes), name);
    return members.filter((m) => m.path !== '.' && m.path !== '');
  } catch (e) {
    if (e instanceof ConvergeError) throw e;
    throw new ConvergeError('CONVERGE_PARAMS', `unarchive: cannot read ${name} as ${format}: ${(e as Error).message}`, { cause: e });
  }
}

function listTar(bytes: Buffer, name: string): Promise<ArchiveMember[]> {
  return new Promise((resolve, reject) => {
    const out: ArchiveMember[] = [];
    const extract = libs().tarStream.extract();
    extract.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        try {
          const path = memberPath(h.name, name);
          const mode = ((h.mode ?? 0o644) & 0o7777).toString(8).padStart(4, '0');
          if (h.type === 'file' || h.type === 'contiguous-file') out.push({ path, type: 'file', mode, sha256: sha256Hex(Buffer.concat(chunks)) });
          else if (h.type === 'directory') out.push({ path, type: 'directory', mode });
          else if (h.type === 'symlink') out.push({ path, type: 'link', linkTarget: h.linkname ?? '' });
          else throw new ConvergeError('CONVERGE_PARAMS', `unarchive: ${name} holds ${JSON.stringify(h.name)}, a ${h.type ?? 'special'} entry, which converge does not extract`);
          next();
        } catch (e) {
          reject(e);
        }
      });
      stream.resume();
    });
    extract.on('finish', () => resolve(out));
    extract.on('error', reject);
    Readable.from([bytes]).pipe(extract);
  });
}

function listZip(bytes: Buffer, name: string): Promise<ArchiveMember[]> {
  return new Promise((resolve, reject) => {
    libs().yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const out: ArchiveMember[] = [];
      zip.on('entry', (entry: Yauzl.Entry) => {
        try {
          const path = memberPath(entry.fileName, name);
          // The upper 16 bits are the Unix st_mode when the archive was made on Unix (APPNOTE 4.4.2, 4.4.15).
          const unix = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
          const mode = unix ? (unix & 0o7777).toString(8).padStart(4, '0') : undefined;
          if (entry.fileName.endsWith('/')) {
            out.push({ path, type: 'directory', ...(mode ? { mode } : {}) });
            return zip.readEntry();
          }
          zip.openReadStream(entry, (e2, stream) => {
            if (e2 || !stream) return reject(e2 ?? new Error('no stream'));
            const chunks: Buffer[] = [];
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('end', () => {
              const data = Buffer.concat(chunks);
              if ((unix & 0o170000) === 0o120000) out.push({ path, type: 'link', linkTarget: data.toString('utf8') });
              else out.push({ path, type: 'file', ...(mode ? { mode } : {}), sha256: sha256Hex(data) });
              zip.readEntry();
            });
            stream.on('error', reject);
          });
        } catch (e) {
          reject(e);
        }
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
