import type { RawShell } from './sh.js';
import type { Secret } from './secret.js';

/** The ways converge can become another user: sudo(8) or su(1). */
export type BecomeMethod = 'sudo' | 'su';

/**
 * How to run a command as another user on the target, with `sudo` (the login user's password,
 * if sudoers asks) or `su` (the become user's password; util-linux su). Either way the password
 * travels on the command's stdin after the prompt appears, never on a command line.
 */
export interface BecomeSpec {
  method: BecomeMethod;
  /** Target user; default `root`. */
  user: string;
  password?: Secret;
  /** Extra sudo or su flags, e.g. `-H` (sudo) or `-l` (su). */
  flags?: string[];
}

/** Options of {@link Transport.exec}. */
export interface ExecOptions {
  /** Bytes given to the command's stdin (never shown in a process list). */
  stdin?: string | Uint8Array;
  /** Run as another user. Absent: run as the login user. */
  become?: BecomeSpec;
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the command after this many milliseconds (the session is then reopened). */
  timeoutMs?: number;
  /**
   * Called with the command's stdout as it arrives, in chunks (markers may be split between
   * two), for progress; the result still holds all of it.
   */
  onStdout?(chunk: string): void;
}

/** What a remote command did. `stdout` and `stderr` are UTF-8 decoded. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** Counters a transport keeps for the run report. */
export interface TransportStats {
  /** Remote command round trips after the connection was set up (become set-up excluded). */
  roundTrips: number;
}

/**
 * A connection to one host. Implementations: `LocalTransport` (core) and `SshTransport`
 * (`@converge/ssh`). One transport serves one host for the whole run; commands are run one at a
 * time per become user, in call order.
 *
 * Errors: `connect` throws `ConvergeError` with `CONVERGE_CONNECT`, `CONVERGE_HOST_KEY` or
 * `CONVERGE_AUTH`; `exec` throws `CONVERGE_BECOME` when become fails, `CONVERGE_TIMEOUT` and
 * `CONVERGE_TRANSPORT` when the session breaks. A command that exits non-zero is not an error:
 * its exit code is in the result.
 */
export interface Transport {
  readonly host: string;
  /** The user commands run as without become (known after `connect`). */
  readonly loginUser: string;
  readonly stats: TransportStats;
  connect(): Promise<void>;
  exec(command: string | RawShell, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

/** How to reach one host: what an inventory says once vars are resolved. */
export interface ConnectionSpec {
  /** Inventory host name. */
  host: string;
  connection: 'ssh' | 'local';
  /** Address to connect to (`ansible_host`, else the host name). */
  address: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  password?: Secret;
  /** `[user@]host[:port]` of a bastion, as ssh's ProxyJump. */
  jumpHost?: string;
  /** Extra options for the transport, from vars prefixed `converge_ssh_` or `ansible_ssh_`. */
  options: Record<string, unknown>;
  connectTimeoutMs: number;
}
