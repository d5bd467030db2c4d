import { spawn, type ChildProcess } from 'node:child_process';
import { ConvergeError } from '@converge/core';

/**
 * Where audit records also go: the local syslog socket, or a remote syslog server.
 *
 * - `{ kind: 'local', socket }`: a Unix socket, `/dev/log` by default (read by journald on
 *   systemd machines, or by rsyslog/syslog-ng), in the local BSD format (RFC 3164) those
 *   daemons parse;
 * - `{ kind: 'udp' | 'tcp', host, port }`: RFC 5424 messages, over UDP (RFC 5426) or TCP with
 *   octet-counting framing (RFC 6587 section 3.4.1); port 514 by default.
 */
export type SyslogDestination = { kind: 'local'; socket: string } | { kind: 'udp' | 'tcp'; host: string; port: number };

/** syslog facilities by name (RFC 5424 section 6.2.1; names as in logger(1)). */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** A syslog facility name, e.g. `authpriv` or `local0`. */
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/**
 * Parses a `--audit-syslog` destination: `local` (the `/dev/log` socket), `unix:PATH` (another
 * local socket), `udp://HOST[:PORT]` or `tcp://HOST[:PORT]` (default port 514; an IPv6 address in
 * brackets, `udp://[::1]:514`).
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for anything else, naming the accepted forms.
 */
export function parseSyslogDestination(text: string): SyslogDestination {
  const bad = (why: string) =>
    new ConvergeError('CONVERGE_OPTIONS', `--audit-syslog ${JSON.stringify(text)}: ${why}`, { hint: 'use local, unix:/path/to/socket, udp://HOST[:PORT] or tcp://HOST[:PORT]' });
  if (text === 'local') return { kind: 'local', socket: '/dev/log' };
  if (text.startsWith('unix:')) {
    const socket = text.slice('unix:'.length);
    if (!socket.startsWith('/')) throw bad('the socket path must be absolute');
    return { kind: 'local', socket };
  }
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!m) throw bad(/^tls:/.test(text) ? 'TLS is not supported; relay through a local rsyslog or syslog-ng that forwards with TLS' : 'not a syslog destination');
  const port = m[3] === undefined ? 514 : Number(m[3]);
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range`);
  return { kind: m[1] as 'udp' | 'tcp', host: (m[2] as string).replace(/^\[|\]$/g, ''), port };
}

/** A destination as the user wrote it, for messages. */
export function formatSyslogDestination(d: SyslogDestination): string {
  if (d.kind === 'local') return d.socket === '/dev/log' ? 'local' : `unix:${d.socket}`;
  return `${d.kind}://${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port}`;
}

/** Options of {@link SyslogSink.start}. */
export interface SyslogSinkOptions {
  /** Default `authpriv` (on Debian, rsyslog writes it to the root-only /var/log/auth.log). */
  facility?: SyslogFacility;
  /** PROCID of every message: converge's pid (default `process.pid`). */
  pid?: number;
  /** Called once, at the first failure (logger missing, socket or server unreachable, logger exited). */
  onError: (message: string) => void;
}

/**
 * Sends audit log lines to syslog through one long-running util-linux `logger(1)` process per
 * destination, fed one line per record on its stdin: APP-NAME `converge`, PROCID converge's pid,
 * the priority of each line given by a `<PRI>` prefix (`--prio-prefix`), messages up to 64 KiB
 * (`--size`; a receiver may cut longer ones, e.g. rsyslog's default limit is 8 KiB).
 *
 * A failure never throws: it is reported once through `onError` with logger's own message, and
 * later lines are dropped. The audit log file does not depend on it. TLS is not offered (logger
 * has none): forward through a local rsyslog or syslog-ng with TLS instead.
 *
 * Source: logger(1) from util-linux 2.38 (Debian 12 package bsdutils).
 */
export class SyslogSink {
  readonly destination: SyslogDestination;
  readonly #child: ChildProcess;
  readonly #facility: number;
  readonly #onError: (message: string) => void;
  #failed = false;
  #stderr = '';
  readonly #exited: Promise<void>;

  private constructor(destination: SyslogDestination, options: SyslogSinkOptions) {
    this.destination = destination;
    this.#facility = SYSLOG_FACILITIES[options.facility ?? 'authpriv'];
    this.#onError = options.onError;
    const facility = options.facility ?? 'authpriv';
    const common = ['--tag', 'converge', `--id=${options.pid ?? process.pid}`, '--prio-prefix', '--priority', `${facility}.notice`, '--size', '65536'];
    const target =
      destination.kind === 'local'
        ? ['--socket', destination.socket, '--socket-errors=on']
        : ['--rfc5424', '--server', destination.host, '--port', String(destination.port), destination.kind === 'tcp' ? '--tcp' : '--udp', ...(destination.kind === 'tcp' ? ['--octet-count'] : [])];
    // Own process group: a Ctrl-C at the terminal stops converge, which records the
    // interruption; logger must live on to send that last record, then ends at end of input.
    this.#child = spawn('logger', [...target, ...common], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    this.#child.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.stdin?.on('error', () => undefined); // EPIPE after logger died: reported by 'exit'
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (e: NodeJS.ErrnoException) => {
        this.#fail(e.code === 'ENOENT' ? 'the logger command (util-linux; Debian package bsdutils) is not installed' : `cannot start logger: ${e.message}`);
        resolve();
      });
      this.#child.on('close', (code, signal) => {
        if (code !== 0) this.#fail(`logger ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${this.#stderr.trim() ? `: ${this.#stderr.trim().replace(/\s*\n\s*/g, ' ')}` : ''}`);
        resolve();
      });
    });
    this.#child.unref();
    (this.#child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    (this.#child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** Starts `logger` for `destination`. Never throws: a failure to start is reported through `onError`. */
  static start(destination: SyslogDestination, options: SyslogSinkOptions): SyslogSink {
    return new SyslogSink(destination, options);
  }

  #fail(why: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(`audit records are not reaching syslog ${formatSyslogDestination(this.destination)}: ${why}`);
  }

  /**
   * Sends one line (one masked JSON record, without newline) at severity `severity`
   * (RFC 5424 section 6.2.1: 4 warning, 5 notice, 6 informational).
   */
  send(line: string, severity: number): void {
    if (this.#failed || !this.#child.stdin?.writable) return;
    this.#child.stdin.write(`<${this.#facility * 8 + severity}>${line}\n`);
  }

  /**
   * Ends logger's input and waits (at most `timeoutMs`, default 5000) until it has sent every
   * line and exited; a non-zero exit is reported through `onError`.
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.#child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const r = await Promise.race([this.#exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.#fail(`logger did not finish sending within ${timeoutMs / 1000} s`);
      this.#child.kill('SIGTERM');
    }
  }
}
