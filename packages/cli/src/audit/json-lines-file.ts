import { closeSync, constants, fstatSync, fsync, fsyncSync, mkdirSync, openSync, readSync, realpathSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConvergeError } from '@converge/core';

/**
 * An append-only JSON-lines file: each {@link JsonLinesFile.append} writes one complete line
 * with a single `write(2)` on a descriptor opened `O_APPEND`, so a
 * crash of converge mid-run leaves every record written so far whole in the file. The lines are
 * flushed to disk with `fsync(2)` in the background (one flush covers every line written before
 * it started; at most one is in flight) and synchronously by {@link JsonLinesFile.close}: a run
 * of thousands of changed tasks does not stall the event loop (and the SSH timers of every host)
 * on one synchronous flush per line. converge never truncates or rewrites the file. A file whose
 * last line was cut short (a power loss before the flush) gets a newline before the first new
 * record, so the torn line stays one unreadable line and the new records stay whole. New files are
 * created with mode 0600 (they name hosts and changes); missing parent directories are created.
 * Records are written as given: the caller masks their data (secrets), and only their data, so
 * that a secret which is a common word cannot replace a record's type or status.
 *
 * @throws ConvergeError `CONVERGE_STATE` when the file cannot be opened or written.
 * @example
 * const log = JsonLinesFile.open('.converge/audit.jsonl');
 * log.append({ type: 'run-start', time: new Date().toISOString() });
 * log.close();
 */
export class JsonLinesFile {
  readonly path: string;
  #fd: number | undefined;
  /** A background fsync is running; `#dirty`: lines were written since it started. */
  #flushing = false;
  #dirty = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /**
   * Opens (creating when missing) `path` for appending. Only a regular file will do: a path in
   * /proc, /sys or /dev, a FIFO, a device or a directory is refused at once (the open is
   * non-blocking, so a FIFO without a reader cannot hang the run).
   */
  static open(path: string): JsonLinesFile {
    const refuse = (why: string) =>
      new ConvergeError('CONVERGE_OPTIONS', `the log file ${path} ${why}; converge appends its logs to regular files only`, { hint: 'choose a file in a normal directory with --log / --audit-log' });
    const special = (p: string) => /^\/(proc|sys|dev)(\/|$)/.test(p);
    if (special(resolve(path))) throw refuse('is in /proc, /sys or /dev');
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (special(realpathSync(dirname(path)))) throw refuse('is in /proc, /sys or /dev');
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
    } catch (e) {
      if (e instanceof ConvergeError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw refuse('is a FIFO or socket');
      throw new ConvergeError('CONVERGE_STATE', `cannot open the log file ${path}: ${(e as Error).message}`, { cause: e, hint: 'check the path and its permissions, or choose another with --log / --audit-log' });
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw refuse('is not a regular file');
    }
    const file = new JsonLinesFile(path, fd);
    const { size } = fstatSync(fd);
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) file.#write('\n');
    }
    return file;
  }

  /**
   * Appends one record as one line and starts flushing it to disk. A no-op after {@link close}.
   * @returns the line written (JSON, without the newline), or `undefined` after close.
   */
  append(record: Record<string, unknown>): string | undefined {
    if (this.#fd === undefined) return undefined;
    const line = JSON.stringify(record);
    this.#write(`${line}\n`);
    return line;
  }

  /** One `write(2)` of `text`, then a background flush. */
  #write(text: string): void {
    if (this.#fd === undefined) return;
    try {
      writeSync(this.#fd, text);
    } catch (e) {
      throw new ConvergeError('CONVERGE_STATE', `cannot write to the log file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    this.#dirty = true;
    this.#flush();
  }

  #flush(): void {
    const fd = this.#fd;
    if (this.#flushing || !this.#dirty || fd === undefined) return;
    this.#flushing = true;
    this.#dirty = false;
    // A failed background flush is retried by the next append and by close(), which throws.
    fsync(fd, () => {
      this.#flushing = false;
      if (this.#fd === fd) this.#flush();
    });
  }

  /** Flushes the file to disk and closes it; later appends are ignored. Safe to call twice. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } catch (e) {
      throw new ConvergeError('CONVERGE_STATE', `cannot write to the log file ${this.path}: ${(e as Error).message}`, { cause: e });
    } finally {
      closeSync(fd);
    }
  }
}
