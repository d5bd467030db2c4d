import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConvergeError } from '../errors.js';
import { maskValue } from '../secret.js';

/**
 * An append-only JSON-lines file: each {@link JsonLinesFile.append} writes one complete line
 * (secrets masked, by value too) with a single `write(2)` on a descriptor opened `O_APPEND`, then
 * `fsync(2)`, so a crash mid-run leaves every record written so far whole. converge never
 * truncates or rewrites the file. New files are created with mode 0600 (they name hosts and
 * changes); missing parent directories are created.
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

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens (creating when missing) `path` for appending. */
  static open(path: string): JsonLinesFile {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      return new JsonLinesFile(path, openSync(path, 'a', 0o600));
    } catch (e) {
      throw new ConvergeError('CONVERGE_STATE', `cannot open the log file ${path}: ${(e as Error).message}`, { cause: e, hint: 'check the path and its permissions, or choose another with --log / --audit-log' });
    }
  }

  /** Appends one record as one line and flushes it to disk. A no-op after {@link close}. */
  append(record: Record<string, unknown>): void {
    if (this.#fd === undefined) return;
    const line = `${JSON.stringify(maskValue(record))}\n`;
    try {
      writeSync(this.#fd, line);
      fsyncSync(this.#fd);
    } catch (e) {
      throw new ConvergeError('CONVERGE_STATE', `cannot write to the log file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Closes the file; later appends are ignored. Safe to call twice. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
