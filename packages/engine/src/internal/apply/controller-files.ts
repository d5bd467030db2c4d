import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { ConvergeError, isControllerFile, sh } from '@converge/core';
import type { BecomeSpec, Command, ControllerFile, Transport } from '@converge/core';

/** The part of a controller file read, hashed and sent at once: memory stays bounded by it. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Size and sha256 of a controller file, read part by part (what `PrepareContext.describeFile`
 * gives modules).
 *
 * @throws the file system's error (`code` ENOENT, EACCES, EISDIR, EIO, ...), also for a directory.
 */
export async function describeControllerFile(path: string): Promise<ControllerFile> {
  const st = await stat(path);
  if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
  // Every host's task reads the same source: hash it once per version of the file.
  const version = `${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  let described = described_.get(version);
  if (!described) {
    described = hashFile(path);
    described_.set(version, described);
    described.catch(() => described_.delete(version));
  }
  return described;
}

const described_ = new Map<string, Promise<ControllerFile>>();

async function hashFile(path: string): Promise<ControllerFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of parts(path)) {
    hash.update(part);
    size += part.length;
  }
  return { controllerFile: path, size, sha256: hash.digest('hex') };
}

async function* parts(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(PART_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, PART_BYTES, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Sends the controller files that steps read as stdin ({@link ControllerFile}) to temporary files
 * on the host (mktemp, mode 0600, as the steps' user), one round trip per 8 MiB part, so neither
 * side holds a file whole; the steps then read them (see `stepsScript`). Each file must still
 * have the sha256 it was planned with, and the host's copy must have it too.
 *
 * @returns the host path of each such step's file, to be removed with {@link removeUploads}.
 * @throws ConvergeError `CONVERGE_APPLY` when the controller file cannot be read or changed since
 * it was planned, or the host's copy differs; the files sent so far are removed.
 */
export async function uploadControllerFiles(transport: Transport, steps: readonly Command[], become: BecomeSpec | undefined): Promise<Map<Command, string>> {
  const uploads = new Map<Command, string>();
  const opts = become ? { become } : {};
  try {
    for (const step of steps) {
      const source = step.stdin;
      if (!isControllerFile(source)) continue;
      const made = await transport.exec('umask 077 && mktemp "${TMPDIR:-/tmp}/converge-upload.XXXXXXXX"', opts);
      const remote = made.stdout.trim();
      if (made.exitCode !== 0 || remote === '') throw new ConvergeError('CONVERGE_APPLY', `cannot make a temporary file on the host for ${source.controllerFile}`, { detail: made.stderr });
      uploads.set(step, remote);
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const part of parts(source.controllerFile)) {
          hash.update(part);
          size += part.length;
          const r = await transport.exec(sh`cat >> ${remote}`, { ...opts, stdin: part });
          if (r.exitCode !== 0) throw new ConvergeError('CONVERGE_APPLY', `sending ${source.controllerFile} to ${remote} failed after ${size - part.length} bytes`, { detail: r.stderr });
        }
      } catch (e) {
        if (e instanceof ConvergeError) throw e;
        throw new ConvergeError('CONVERGE_APPLY', `cannot read ${source.controllerFile}: ${(e as Error).message}`, { cause: e });
      }
      const sha = hash.digest('hex');
      if (sha !== source.sha256 || size !== source.size) {
        throw new ConvergeError('CONVERGE_APPLY', `${source.controllerFile} changed since the task was planned (${source.size} bytes, sha256 ${source.sha256}; now ${size} bytes, sha256 ${sha})`, {
          hint: 'run again: the file is read again and compared with the host',
        });
      }
      const check = await transport.exec(sh`sha256sum -- ${remote}`, opts);
      const there = check.stdout.split(' ')[0];
      if (check.exitCode !== 0 || there !== sha) throw new ConvergeError('CONVERGE_APPLY', `the copy of ${source.controllerFile} on the host differs from the controller's (sha256 ${there ?? '?'}, sent ${sha})`, { detail: check.stderr });
    }
    return uploads;
  } catch (e) {
    await removeUploads(transport, uploads, become);
    throw e;
  }
}

/** Removes the temporary files {@link uploadControllerFiles} made (in one round trip; errors are ignored). */
export async function removeUploads(transport: Transport, uploads: ReadonlyMap<Command, string>, become: BecomeSpec | undefined): Promise<void> {
  if (uploads.size === 0) return;
  await transport.exec(sh`rm -f -- ${[...uploads.values()]}`, become ? { become } : {}).catch(() => undefined);
}
