import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { ConvergeError } from './errors.js';
import type { ExecOptions, ExecResult } from './transport.js';
import { maskText } from './secret.js';
import { quote } from './sh.js';

/** The three streams of a long-lived `/bin/sh` on the target, however it was started. */
export interface ShellStreams {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Ends the shell (close the channel, kill the process). */
  kill(): void;
}

interface Pending {
  nonce: string;
  resolve(r: ExecResult): void;
  reject(e: Error): void;
  started: number;
  timer?: NodeJS.Timeout;
  outMark?: Buffer;
  errMark?: Buffer;
  /** Where the markers were found, once found (the rest of the frame may still be on its way). */
  outAt?: number;
  errAt?: number;
  onStdout?(chunk: string): void;
}

const RS = 0x1e;

/** The state of in-band stderr: the session's token and marker, the shell variable naming the stderr file, and bytes not sorted yet. */
interface InBand {
  token: string;
  mark: Buffer;
  file: string;
  raw: Inbox;
  inErr: boolean;
}

/** Options of {@link ShellSession}. */
export interface ShellSessionOptions {
  /**
   * `stream` (default): the shell's stderr is its own stream. `in-band`: stdout and stderr arrive
   * merged (a pseudo-terminal); each command's stderr is then written to a private temporary
   * file on the host and sent after the command on stdout, base64-encoded between markers only
   * this session knows.
   */
  stderr?: 'stream' | 'in-band';
}

/**
 * Bytes read from one stream of the shell: chunks are copied into a buffer that grows by
 * doubling, and `scanned` remembers how far a marker was already looked for, so output that
 * arrives in many small chunks costs linear time, not a copy of everything per chunk.
 */
class Inbox {
  buf: Buffer = Buffer.alloc(0);
  len = 0;
  /** Offset before which no marker starts (the search resumes here, less a marker's length). */
  scanned = 0;

  push(d: Buffer): void {
    if (this.len + d.length > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + d.length, 4096));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    d.copy(this.buf, this.len);
    this.len += d.length;
  }

  /** The first occurrence of `mark` not yet searched for; -1 when none. */
  find(mark: Buffer): number {
    const from = Math.max(0, this.scanned - mark.length + 1);
    const i = this.view().indexOf(mark, from);
    this.scanned = i < 0 ? this.len : i;
    return i;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Drops the first `n` bytes. */
  consume(n: number): void {
    this.buf.copy(this.buf, 0, n, this.len);
    this.len -= n;
    this.scanned = 0;
    // Do not hold on to the room a large output (a file read through the shell) needed.
    if (this.len === 0 && this.buf.length > 1 << 20) this.buf = Buffer.alloc(0);
  }

  text(end = this.len): string {
    return this.buf.toString('utf8', 0, end);
  }
}

/**
 * Runs commands one after another over one long-lived POSIX shell, with framing: each command's
 * stdout, stderr and exit status are delimited by per-command random markers, so no command
 * output can forge the end of another. Each command runs in a subshell through `eval`, so `exit`,
 * `cd` or a syntax error cannot harm the session. stdin, when given, travels base64-encoded in a
 * here-document (needs `base64` from coreutils), never on a command line.
 *
 * Used by the local transport over a child process and by the SSH transport over an exec
 * channel running `/bin/sh`.
 */
export class ShellSession {
  #streams: ShellStreams;
  #out = new Inbox();
  #err = new Inbox();
  #pending: Pending | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closeReason = '';
  readonly label: string;
  /** In-band stderr: the marker around each command's stderr, the shell variable naming its file, and the bytes not sorted yet. */
  readonly #inBand: InBand | undefined;

  constructor(streams: ShellStreams, label: string, options: ShellSessionOptions = {}) {
    this.#streams = streams;
    this.label = label;
    if (options.stderr === 'in-band') {
      const token = randomBytes(12).toString('hex');
      this.#inBand = { token, mark: Buffer.from(`\x1d${token}\x1d\n`), file: `__converge_stderr_${token}`, raw: new Inbox(), inErr: false };
      const f = this.#inBand.file;
      streams.stdin.write(`${f}=$(mktemp) || exit 1; trap 'rm -f "$${f}"' EXIT; trap 'exit 129' HUP; trap 'exit 143' TERM\n`);
    }
    streams.stdout.on('data', (d: Buffer) => {
      if (this.#inBand) this.#sort(d);
      else {
        this.#out.push(d);
        this.#pending?.onStdout?.(d.toString('utf8'));
      }
      this.#check();
    });
    streams.stderr.on('data', (d: Buffer) => {
      this.#err.push(d);
      this.#check();
    });
    const onEnd = (why: string) => () => this.#fail(why);
    streams.stdout.on('close', onEnd('the shell closed its output'));
    streams.stdout.on('end', onEnd('the shell ended'));
    streams.stdin.on('error', (e: Error) => this.#fail(`cannot write to the shell: ${e.message}`));
  }

  /** True once the shell has ended; a closed session runs nothing more. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `script` with `/bin/sh` semantics and resolves with its output and exit status.
   * Commands are queued: one runs at a time.
   *
   * @throws ConvergeError `CONVERGE_TIMEOUT` after `timeoutMs` (the session is then closed) and
   * `CONVERGE_TRANSPORT` when the shell ends.
   */
  run(script: string, options: Omit<ExecOptions, 'become'> = {}): Promise<ExecResult> {
    const next = this.#queue.then(() => this.#runNow(script, options));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the shell. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = 'the session was closed';
    try {
      this.#streams.stdin.end('exit 0\n');
    } catch {
      /* already gone */
    }
    this.#streams.kill();
  }

  #runNow(script: string, options: Omit<ExecOptions, 'become'>): Promise<ExecResult> {
    if (this.#closed) {
      return Promise.reject(new ConvergeError('CONVERGE_TRANSPORT', `${this.label}: ${this.#closeReason}`));
    }
    const nonce = randomBytes(12).toString('hex');
    return new Promise<ExecResult>((resolve, reject) => {
      const pending: Pending = { nonce, resolve, reject, started: performance.now(), ...(options.onStdout ? { onStdout: options.onStdout } : {}) };
      this.#pending = pending;
      if (options.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.#fail(`a command did not finish within ${options.timeoutMs} ms`, 'CONVERGE_TIMEOUT');
        }, options.timeoutMs);
      }
      const text = frame(script, nonce, options);
      const b = this.#inBand;
      this.#streams.stdin.write(
        b ? `{ ${text}} 2>"$${b.file}"\nprintf '\\035%s\\035\\n' ${b.token}; base64 < "$${b.file}"; printf '\\035%s\\035\\n' ${b.token}\n` : text,
      );
    });
  }

  #stdout(d: Buffer): void {
    this.#out.push(d);
    this.#pending?.onStdout?.(d.toString('utf8'));
  }

  /** Sorts merged output into stdout and the stderr blocks sent between in-band markers. */
  #sort(d: Buffer): void {
    const b = this.#inBand as InBand;
    b.raw.push(d);
    for (;;) {
      const i = b.raw.find(b.mark);
      if (i < 0) {
        // Keep a tail that may be the start of a marker; stdout bytes before it can go on.
        if (!b.inErr) {
          const n = b.raw.len - (b.mark.length - 1);
          if (n > 0) {
            this.#stdout(Buffer.from(b.raw.view().subarray(0, n)));
            b.raw.consume(n);
          }
        }
        return;
      }
      if (b.inErr) this.#err.push(Buffer.from(b.raw.text(i).replace(/\s+/g, ''), 'base64'));
      else this.#stdout(Buffer.from(b.raw.view().subarray(0, i)));
      b.raw.consume(i + b.mark.length);
      b.inErr = !b.inErr;
    }
  }

  #check(): void {
    const p = this.#pending;
    if (!p) return;
    p.outMark ??= Buffer.from(`\x1e${p.nonce}:`);
    p.errMark ??= Buffer.from(`\x1e${p.nonce}\x1e\n`);
    const out = this.#out;
    const oi = p.outAt ?? out.find(p.outMark);
    if (oi < 0) return;
    p.outAt = oi;
    const buf = out.view();
    const end = buf.indexOf(RS, oi + p.outMark.length);
    if (end < 0 || buf.length < end + 2) return;
    const ei = p.errAt ?? this.#err.find(p.errMark);
    if (ei < 0) return;
    p.errAt = ei;
    const exitCode = Number(buf.subarray(oi + p.outMark.length, end).toString('latin1'));
    const stdout = out.text(oi);
    const stderr = this.#err.text(ei);
    out.consume(end + 2);
    this.#err.consume(ei + p.errMark.length);
    this.#pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    p.resolve({ stdout, stderr, exitCode, durationMs: performance.now() - p.started });
  }

  #fail(why: string, code: 'CONVERGE_TRANSPORT' | 'CONVERGE_TIMEOUT' = 'CONVERGE_TRANSPORT'): void {
    const wasClosed = this.#closed;
    this.#closed = true;
    if (!wasClosed) this.#closeReason = why;
    const p = this.#pending;
    this.#pending = undefined;
    if (p) {
      if (p.timer) clearTimeout(p.timer);
      const stderr = maskText(this.#err.text()).trim();
      p.reject(
        new ConvergeError(code, `${this.label}: ${why}`, stderr ? { detail: stderr } : {}),
      );
    }
    if (!wasClosed) this.#streams.kill();
  }
}

/** Builds the framed shell text for one command (exported for tests). */
export function frame(script: string, nonce: string, options: Omit<ExecOptions, 'become'> = {}): string {
  const parts: string[] = [];
  if (options.cwd !== undefined) parts.push(`cd -- ${quote(options.cwd)} || exit 1`);
  if (options.env) {
    for (const [k, v] of Object.entries(options.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new ConvergeError('CONVERGE_PARAMS', `invalid environment variable name ${JSON.stringify(k)}`);
      parts.push(`export ${k}=${quote(v)}`);
    }
  }
  parts.push(`eval ${quote(script)}`);
  // One logical line: a here-document starts at the first newline token after its operator.
  const body = `( ${parts.join('; ')} )`;
  let text: string;
  if (options.stdin !== undefined) {
    const b64 = Buffer.from(options.stdin).toString('base64').replace(/.{1,76}/g, '$&\n');
    const eof = `CONVERGE_EOF_${nonce}`;
    text = `base64 -d <<'${eof}' | ${body}\n${b64}${eof}\n`;
  } else {
    text = `${body} </dev/null\n`;
  }
  return `${text}printf '\\036%s:%d\\036\\n' ${nonce} "$?"; printf '\\036%s\\036\\n' ${nonce} >&2\n`;
}
