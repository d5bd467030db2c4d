import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Client as ClientType, ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { awaitShellStart, BecomeRefusals, becomeCommand, becomeHandshake, ConvergeError, isConvergeError, maskText, quote, ShellSession } from '@converge/core';
import type { BecomeSpec, ConnectionSpec, ExecOptions, ExecResult, RawShell, ShellStartControl, ShellStreams, Transport, TransportStats } from '@converge/core';
import { connectHop, forwardTo, hopName, hostKeyPinName, isTransientConnectError, recheckHostKey } from './internal/hop.js';
import type { Hop, HopSocket } from './internal/hop.js';
import { startProxyCommand } from './internal/proxy-command.js';
import { resolveRoute } from './internal/route.js';
import type { Route } from './internal/route.js';
import { HostKeyPins } from './host-key-pins.js';
import { KeyPassphrases } from './key-passphrases.js';
import type { SshOptions } from './ssh-options.js';

export type { SshOptions } from './ssh-options.js';

/** Counters of an {@link SshTransport}: `roundTrips` as every transport, plus SSH channels opened. */
export interface SshStats extends TransportStats {
  /** Session channels opened on the connection (shells, become shells, SFTP), reopenings included. */
  channels: number;
}

/** Options of {@link SshTransport.put}. */
export interface PutOptions {
  /** File mode, as a number (`0o640`) or an octal string (`'0640'`); default: the replaced file's mode, else 0644. */
  mode?: number | string;
  /** Owner and group to give the file (needs become root unless they are the login user's); default: the replaced file's. */
  owner?: string;
  group?: string;
  /** Write as this user (sudo). */
  become?: BecomeSpec;
}

/** Options of {@link SshTransport.get}. */
export interface GetOptions {
  /** Read as this user (sudo). */
  become?: BecomeSpec;
}

function parseMode(mode: number | string | undefined): number | undefined {
  if (mode === undefined) return undefined;
  const n = typeof mode === 'number' ? mode : /^[0-7]{3,4}$/.test(mode) ? parseInt(mode, 8) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) throw new ConvergeError('CONVERGE_PARAMS', `invalid file mode ${JSON.stringify(mode)}`, { hint: 'write modes as octal strings, e.g. "0644"' });
  return n;
}

/** Attempts of a handshake that the server dropped before it finished (see {@link isTransientConnectError}). */
const CONNECT_ATTEMPTS = 3;

/**
 * Terminal modes of the pseudo-terminal requested for become: no echo (the password is not sent
 * back), no line editing, signals or flow control characters, no output processing, so that bytes
 * pass unchanged. Source: RFC 4254 section 8 (encoded terminal modes), termios(3).
 */
const RAW_TERMINAL: PseudoTtyOptions = {
  term: 'dumb',
  cols: 80,
  rows: 24,
  modes: { ECHO: 0, ECHOE: 0, ECHOK: 0, ECHONL: 0, ICANON: 0, ISIG: 0, IEXTEN: 0, IXON: 0, IXOFF: 0, ICRNL: 0, INLCR: 0, IGNCR: 0, ISTRIP: 0, OPOST: 0, ONLCR: 0 },
};

/**
 * Checks everything about reaching a host over SSH that can be checked without contacting it:
 * the `-o` options and flags of its ssh argument vars, the ssh config file and its Include
 * files, its `converge_ssh_*` vars. Reads files only.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` (inventory vars) or `CONVERGE_OPTIONS` (ssh config
 * files), naming the option and where it was written.
 */
export function checkSshConnection(spec: ConnectionSpec, options: SshOptions = {}): void {
  resolveRoute(spec, options);
}

function cb<T>(fn: (done: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

/**
 * Waits until a freshly started shell has run one command of ours, discarding whatever the
 * login shell printed before (a chatty `~/.bashrc`, which bash sources for ssh commands), so
 * that it cannot prefix the first command's output.
 */
function syncShell(streams: ShellStreams, label: string, timeoutMs: number): Promise<ShellSession> {
  const mark = `CONVERGE_SYNC_${randomBytes(8).toString('hex')}\n`;
  const fail = (c: ShellStartControl, why: string) => {
    const noise = maskText(`${c.err}${c.out}`.split(mark).join('').trim());
    return new ConvergeError('CONVERGE_TRANSPORT', `${label}: ${why}`, {
      ...(noise ? { detail: noise } : {}),
      hint: 'the login user needs a working login shell (not nologin) and /bin/sh',
    });
  };
  const started = awaitShellStart(
    streams,
    label,
    timeoutMs,
    (c) => {
      if (c.out.endsWith(mark) && c.err.endsWith(mark)) c.ready();
    },
    {
      closed: (c) => fail(c, 'the login shell ended before running a command'),
      timedOut: (c) => fail(c, `the shell did not answer within ${timeoutMs} ms`),
    },
  );
  streams.stdin.write(`printf '%s\\n' ${mark.trim()}; printf '%s\\n' ${mark.trim()} >&2\n`);
  return started;
}

/**
 * The SSH transport: one ssh2 connection per host for the whole run (through jump hosts when
 * configured), commands framed over a long-lived `/bin/sh` exec channel (core's
 * {@link ShellSession}), one more long-lived channel per become user, SFTP for file transfer.
 *
 * How to reach the host is resolved the way ansible-playbook's ssh does (see the internal
 * `resolveRoute`): the ssh arguments of the inventory (`ansible_ssh_args`,
 * `ansible_ssh_common_args`, `ansible_ssh_extra_args`: `-o` options and ssh flags) after the
 * inventory's port, key and user, then the ssh config file (`-F`, else `~/.ssh/config`, with
 * Host, Match and Include); the first value of each setting wins; `converge_ssh_*` vars win over
 * both. ProxyJump (jump hosts) and ProxyCommand (SSH over a command's stdio) are supported. A
 * setting converge does not implement is refused when the transport is made, naming it.
 * Source: ssh_config(5), ssh(1), ansible-core 2.14 `plugins/connection/ssh.py`.
 *
 * Host keys are checked against known_hosts before authentication (plain, hashed, `[host]:port`,
 * `@revoked`); unknown keys are refused unless `acceptNewHostKeys`, changed keys always.
 * Source: sshd(8) SSH_KNOWN_HOSTS FILE FORMAT, ssh(1) VERIFYING HOST KEYS.
 *
 * Authentication tries, in order: the identity files (`spec.privateKeyFile`, `-i`, the
 * config's IdentityFiles; else the default keys `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`), each
 * signed by the agent when it holds that key, else read from the file (an encrypted one
 * decrypted with `options.passphrases`); then the agent's other keys (not with IdentitiesOnly);
 * then `spec.password` (password, keyboard-interactive); as PreferredAuthentications and the
 * `*Authentication` settings allow.
 *
 * Every step of reaching the host (TCP, handshake and authentication of each hop, each jump
 * host's channel, the first shell's channel and start) is bounded by the connect timeout
 * (`spec.connectTimeoutMs`). Become runs on a pseudo-terminal when sudoers requires one; a
 * become password the host refused is not sent again.
 *
 * Hardening: the first verified host key of each host is pinned for the run ({@link HostKeyPins}),
 * so a reconnect that meets another key is refused even if known_hosts lists both; only the
 * modern algorithms of {@link DEFAULT_ALGORITHMS} are offered (no SHA-1, no CBC) unless the host
 * sets `converge_ssh_kex_algorithms`, `_host_key_algorithms`, `_ciphers` or `_macs`; agent
 * forwarding is off unless the host sets `converge_ssh_forward_agent: true`; keepalives every
 * 15 s, 3 unanswered ones end the connection (`converge_ssh_server_alive_interval`,
 * `_server_alive_count_max`); `converge_ssh_command_timeout` bounds every command.
 *
 * Errors: `connect` throws `ConvergeError` `CONVERGE_CONNECT` (unreachable, with the system
 * error), `CONVERGE_HOST_KEY` (with the SHA256 fingerprints) or `CONVERGE_AUTH` (listing the
 * methods tried); `exec` throws `CONVERGE_BECOME`, `CONVERGE_TIMEOUT`, `CONVERGE_TRANSPORT`.
 * Messages never contain a password.
 *
 * @example
 * const t = new SshTransport(spec, { acceptNewHostKeys: false });
 * await t.connect();
 * const r = await t.exec('id -un', { become: { method: 'sudo', user: 'root', password } });
 * const s = await t.exec('id -un', { become: { method: 'su', user: 'postgres', password: postgresPassword } });
 * await t.close();
 */
export class SshTransport implements Transport {
  readonly host: string;
  readonly stats: SshStats = { roundTrips: 0, channels: 0 };
  readonly #spec: ConnectionSpec;
  readonly #options: SshOptions;
  #loginUser: string;
  /** Jump hosts first, the target last. */
  #clients: ClientType[] = [];
  #connected = false;
  #connecting: Promise<void> | undefined;
  #sessions = new Map<string, Promise<ShellSession>>();
  #sftp: Promise<SFTPWrapper> | undefined;
  readonly #pins: HostKeyPins;
  readonly #passphrases: KeyPassphrases;
  #refusals = new BecomeRefusals();
  /** Why the connection was last lost (keepalive timeout, reset), for messages. */
  #lostReason: string | undefined;
  /** How long opening a channel and starting a shell may take: the connect timeout. */
  #shellTimeoutMs = 10_000;
  /** The route, resolved on the first connect (reading config files). */
  #resolved: Route | undefined;
  /** Become shells need a pseudo-terminal on this host (sudoers requiretty, or the host's setting). */
  #becomeTerminal: boolean | undefined;
  #relaxedReported = false;

  /**
   * @throws ConvergeError `CONVERGE_INVENTORY` when the host's `converge_ssh_*` vars have the wrong type.
   */
  constructor(spec: ConnectionSpec, options: SshOptions = {}) {
    this.#spec = spec;
    this.#options = options;
    this.host = spec.host;
    this.#loginUser = spec.user ?? '';
    this.#pins = options.hostKeyPins ?? new HostKeyPins();
    this.#passphrases = options.passphrases ?? new KeyPassphrases();
    // Type errors in converge_ssh_* vars surface at once, as before.
    this.#route();
  }

  /** The user commands run as without become; final after {@link connect}. */
  get loginUser(): string {
    return this.#loginUser;
  }

  /**
   * How the host is reached: the hops, jump hosts first, resolved from the inventory, the ssh
   * arguments and the ssh config file (read once per transport).
   */
  #route(): Route {
    this.#resolved ??= resolveRoute(this.#spec, this.#options);
    return this.#resolved;
  }

  /**
   * Opens the connection (through the jump hosts or the ProxyCommand, if any), authenticates
   * and checks host keys. Idempotent: a second call while connected does nothing; after the
   * connection was lost it reconnects. Each step (TCP, handshake and authentication of each hop,
   * each jump host's channel to the next) is bounded by the connect timeout.
   *
   * @throws ConvergeError `CONVERGE_CONNECT`, `CONVERGE_HOST_KEY`, `CONVERGE_AUTH`,
   * `CONVERGE_OPTIONS`, `CONVERGE_INVENTORY`.
   */
  connect(): Promise<void> {
    if (this.#connected) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const route = this.#route();
    const hops = route.hops;
    this.#shellTimeoutMs = (hops[hops.length - 1] as Hop).readyTimeoutMs;
    if (route.relaxedHostKeyChecking && !this.#relaxedReported) {
      this.#relaxedReported = true;
      this.#options.onHostKeyCheckingRelaxed?.(this.host, route.relaxedHostKeyChecking);
    }
    // A server under a burst of handshakes drops the ones beyond MaxStartups (a reset or a close
    // before the banner): those are tried again after a short, jittered pause. ConnectionAttempts
    // tries other failures to connect once a second, as ssh(1).
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#connectOnce(hops);
        return;
      } catch (e) {
        if (isTransientConnectError(e) && attempt < CONNECT_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, attempt * 500 + Math.random() * 500));
          continue;
        }
        failures += 1;
        if (!(isConvergeError(e) && e.code === 'CONVERGE_CONNECT') || failures >= route.connectionAttempts) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async #connectOnce(hops: Hop[]): Promise<void> {
    const policy = {
      pins: this.#pins,
      passphrases: this.#passphrases,
      ...(this.#options.onHostKeyAccepted ? { onHostKeyAccepted: this.#options.onHostKeyAccepted } : {}),
    };
    const clients: ClientType[] = [];
    const first = hops[0] as Hop;
    const proxy = first.proxyCommand !== undefined ? startProxyCommand(first.proxyCommand) : undefined;
    try {
      let socket: HopSocket = proxy ? { kind: 'proxy', proxy } : { kind: 'tcp' };
      for (const [i, hop] of hops.entries()) {
        const client = await connectHop(hop, policy, socket);
        clients.push(client);
        const nextHop = hops[i + 1];
        if (nextHop) socket = { kind: 'stream', stream: await forwardTo(client, hopName(hop), nextHop.address, nextHop.port, hop.readyTimeoutMs) };
      }
    } catch (e) {
      for (const c of clients.reverse()) c.end();
      proxy?.kill();
      throw e;
    }
    const targetHop = hops[hops.length - 1] as Hop;
    this.#loginUser = targetHop.user;
    this.#clients = clients;
    this.#connected = true;
    this.#lostReason = undefined;
    for (const [i, c] of clients.entries()) {
      // Errors after the handshake surface on the channels that use the connection.
      c.on('error', (err: Error & { level?: string }) => {
        const hop = hops[i] as Hop;
        this.#lostReason =
          err.message === 'Keepalive timeout'
            ? `${hopName(hop)} did not answer ${hop.keepaliveCountMax} keepalives sent every ${hop.keepaliveIntervalMs} ms (converge_ssh_server_alive_interval, converge_ssh_server_alive_count_max)`
            : `${hopName(hop)}: ${maskText(err.message)}`;
      });
      c.on('close', () => {
        this.#lost(clients);
        if (i === 0) proxy?.kill();
      });
    }
  }

  #lost(clients: ClientType[]): void {
    if (this.#clients !== clients) return;
    this.#connected = false;
    this.#clients = [];
    this.#sessions.clear();
    this.#sftp = undefined;
    for (const c of clients) c.end();
  }

  async #target(): Promise<ClientType> {
    await this.connect();
    const c = this.#clients[this.#clients.length - 1];
    if (!c) throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: not connected`);
    return c;
  }

  /**
   * Runs a command with `/bin/sh` semantics on the host and resolves with its output and exit
   * status; counts one round trip. Commands of one become user run one at a time in call order.
   * A non-zero exit status is not an error.
   *
   * @throws ConvergeError `CONVERGE_BECOME` (sudo refused, with sudo's message, masked),
   * `CONVERGE_TIMEOUT` after `timeoutMs` (the shell is then replaced by a new one),
   * `CONVERGE_TRANSPORT` when the channel or connection breaks.
   */
  async exec(command: string | RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    const session = await this.#session(options.become);
    this.stats.roundTrips += 1;
    const { become: _b, ...rest } = options;
    const timeoutMs = rest.timeoutMs ?? this.#options.commandTimeoutMs ?? this.#route().hostOptions.commandTimeoutMs;
    try {
      return await session.run(String(command), timeoutMs !== undefined ? { ...rest, timeoutMs } : rest);
    } catch (e) {
      // A lost connection ends the shell; say why it was lost.
      if (e instanceof ConvergeError && e.code === 'CONVERGE_TRANSPORT' && this.#lostReason && !this.#connected) {
        throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: the connection was lost: ${this.#lostReason}`, { cause: e });
      }
      throw e;
    }
  }

  /**
   * Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename
   * (SFTP `posix-rename@openssh.com`), so readers see the old or the new content, never a part.
   * With `become`, `owner` or `group`, the bytes are staged over SFTP in a private temporary
   * directory (or, for a non-root become user, sent on the shell's stdin) and moved into place by
   * the become shell. Counts one round trip.
   *
   * @throws ConvergeError `CONVERGE_TRANSPORT` naming the path and the server's error;
   * `CONVERGE_PARAMS` for an invalid mode.
   */
  async put(path: string, bytes: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    const data = Buffer.from(bytes);
    const mode = parseMode(options.mode);
    const become = options.become && options.become.user !== this.loginUser ? options.become : undefined;
    this.stats.roundTrips += 1;
    if (!become && options.owner === undefined && options.group === undefined) {
      await this.#putSftp(path, data, mode);
      return;
    }
    await this.#putShell(path, data, mode, options, become);
  }

  /**
   * Reads a whole file: over SFTP, or through the become shell (base64) with `become`.
   * Counts one round trip.
   *
   * @throws ConvergeError `CONVERGE_TRANSPORT` naming the path and the server's error.
   */
  async get(path: string, options: GetOptions = {}): Promise<Buffer> {
    const become = options.become && options.become.user !== this.loginUser ? options.become : undefined;
    if (become) {
      const session = await this.#session(become);
      this.stats.roundTrips += 1;
      const r = await session.run(`base64 < ${quote(path)}`);
      if (r.exitCode !== 0) throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot read ${path} as ${become.user}`, { detail: maskText(r.stderr.trim()) });
      return Buffer.from(r.stdout.replace(/\s+/g, ''), 'base64');
    }
    const sftp = await this.#sftpSession();
    this.stats.roundTrips += 1;
    try {
      return await cb<Buffer>((done) => sftp.readFile(path, done));
    } catch (cause) {
      throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Connects and starts the login shell ahead of the first command (a run opens its connections
   * while it loads the playbook); counts no round trip.
   *
   * @throws what {@link connect} and starting the shell throw.
   */
  async openShell(): Promise<void> {
    await this.#session(undefined);
  }

  /** Whether the connection is open (authenticated, not lost). */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Checks the host keys this open connection was authenticated with (target and jump hosts)
   * against the known_hosts files as they are now: undefined while they still list them, else the
   * `CONVERGE_HOST_KEY` error to refuse the host with. For a connection kept between runs, whose
   * host may have been given another key (and known_hosts updated) since it was opened.
   */
  recheckHostKeys(): ConvergeError | undefined {
    if (!this.#connected) return undefined;
    for (const hop of this.#route().hops) {
      const key = this.#pins.get(hostKeyPinName(hop));
      const error = key ? recheckHostKey(hop, key) : undefined;
      if (error) return error;
    }
    return undefined;
  }

  /**
   * Ends what a run opened beyond the connection and the login shell: the become shells and SFTP,
   * and forgets the become passwords the host refused. A connection kept between runs keeps no
   * shell of another user and no judgement on a password: each run becomes with its own.
   */
  async endRunSessions(): Promise<void> {
    for (const [user, p] of [...this.#sessions]) {
      if (user === '') continue;
      this.#sessions.delete(user);
      try {
        (await p).close();
      } catch {
        /* it never opened */
      }
    }
    if (this.#sftp) {
      const sftp = this.#sftp;
      this.#sftp = undefined;
      try {
        (await sftp).end();
      } catch {
        /* never opened */
      }
    }
    this.#refusals = new BecomeRefusals();
  }

  /** Ends the shells, SFTP and the connection (target first, then jump hosts). Never throws. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of sessions) {
      try {
        (await s).close();
      } catch {
        /* it never opened */
      }
    }
    if (this.#sftp) {
      try {
        (await this.#sftp).end();
      } catch {
        /* never opened */
      }
      this.#sftp = undefined;
    }
    const clients = this.#clients;
    this.#clients = [];
    this.#connected = false;
    await Promise.all(
      [...clients].reverse().map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2000);
            c.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            c.end();
          }),
      ),
    );
  }

  /** Opens an exec channel running `command` (on a pseudo-terminal with `terminal`), within the connect timeout. */
  async #channel(command: string, terminal = false): Promise<ShellStreams> {
    const client = await this.#target();
    this.stats.channels += 1;
    const timeoutMs = this.#shellTimeoutMs;
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: the server opened no session channel within ${timeoutMs} ms`, { hint: 'the host may be overloaded; ansible_timeout (-T) sets the limit in seconds' }));
      }, timeoutMs);
      const done = (err: Error | undefined, ch: ClientChannel) => {
        if (settled) {
          ch?.close();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) {
          reject(
            new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot open a session channel: ${err.message}`, {
              cause: err,
              hint: 'sshd may limit sessions per connection (MaxSessions)',
            }),
          );
          return;
        }
        resolve(ch);
      };
      if (terminal) client.exec(command, { pty: RAW_TERMINAL }, done);
      else client.exec(command, done);
    });
    channel.on('error', () => undefined);
    return {
      stdin: channel,
      stdout: channel,
      stderr: channel.stderr,
      kill: () => {
        channel.signal('KILL');
        channel.close();
      },
    };
  }

  #session(become: BecomeSpec | undefined): Promise<ShellSession> {
    // Before the first connect the login user is not known yet: connect, then decide.
    if (!this.#connected) return this.connect().then(() => this.#session(become));
    // One session per become method and user: `su root` and `sudo -u root` are different shells.
    const user = become && become.user !== this.#loginUser ? `${become.method}:${become.user}` : '';
    const existing = this.#sessions.get(user);
    if (existing) return existing.then((s) => (s.closed ? this.#open(user, become) : s));
    return this.#open(user, become);
  }

  /**
   * Whether become shells get a pseudo-terminal: `ansible_ssh_use_tty`/`converge_ssh_use_tty`
   * first, then `RequestTTY` (`-t`, `-tt`, `-T`); otherwise only once sudo said it needs one.
   */
  #terminalSetting(): boolean | undefined {
    const route = this.#route();
    if (route.hostOptions.useTty !== undefined) return route.hostOptions.useTty;
    const r = route.settings.requestTty;
    return r === 'yes' || r === 'force' ? true : r === 'no' ? false : undefined;
  }

  #open(user: string, become: BecomeSpec | undefined): Promise<ShellSession> {
    let p: Promise<ShellSession>;
    if (user === '' || !become) {
      p = this.#channel('/bin/sh').then((streams) => syncShell(streams, `${this.host} (ssh)`, this.#shellTimeoutMs));
    } else {
      const label = `${this.host} (ssh, become ${become.user} with ${become.method})`;
      const earlier = this.#refusals.earlier(become, label);
      if (earlier) return Promise.reject(earlier);
      const setting = this.#terminalSetting();
      const start = (terminal: boolean): Promise<ShellSession> => {
        let needsTerminal = false;
        const b = becomeCommand(become, { terminal });
        return this.#channel(b.command, terminal)
          .then((streams) =>
            becomeHandshake(streams, become, b, label, {
              terminal,
              refusals: this.#refusals,
              needsTerminal: () => {
                needsTerminal = true;
              },
            }),
          )
          .catch((e: unknown) => {
            // sudoers requiretty: start again on a pseudo-terminal, and from now on at once.
            if (needsTerminal && !terminal && setting === undefined) {
              this.#becomeTerminal = true;
              return start(true);
            }
            throw e;
          });
      };
      p = start(setting ?? this.#becomeTerminal ?? false);
    }
    this.#sessions.set(user, p);
    p.catch(() => {
      if (this.#sessions.get(user) === p) this.#sessions.delete(user);
    });
    return p;
  }

  #sftpSession(): Promise<SFTPWrapper> {
    if (this.#sftp && this.#connected) return this.#sftp;
    const p = this.#target().then(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          this.stats.channels += 1;
          client.sftp((err, sftp) => {
            if (err) {
              reject(new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot start SFTP: ${err.message}`, { cause: err, hint: 'the host needs the sftp subsystem of sshd (Subsystem sftp)' }));
              return;
            }
            sftp.on('close', () => {
              if (this.#sftp === p) this.#sftp = undefined;
            });
            resolve(sftp);
          });
        }),
    );
    this.#sftp = p;
    p.catch(() => {
      if (this.#sftp === p) this.#sftp = undefined;
    });
    return p;
  }

  async #writeTemp(sftp: SFTPWrapper, tmp: string, data: Buffer, mode: number): Promise<void> {
    const handle = await cb<Buffer>((done) => sftp.open(tmp, 'wx', { mode: 0o600 }, done));
    try {
      const chunk = 256 * 1024;
      const offsets: number[] = [];
      for (let off = 0; off < data.length; off += chunk) offsets.push(off);
      // A few writes in flight: throughput over latency, without buffering the whole file twice.
      const lanes = Array.from({ length: Math.min(4, offsets.length) }, async (_v, lane) => {
        for (let i = lane; i < offsets.length; i += 4) {
          const off = offsets[i] as number;
          const len = Math.min(chunk, data.length - off);
          await cb<void>((done) => sftp.write(handle, data, off, len, off, (err) => done(err)));
        }
      });
      await Promise.all(lanes);
      // chmod after open: the mode given to open is filtered by the server's umask.
      await cb<void>((done) => sftp.fchmod(handle, mode, (err) => done(err)));
      await cb<void>((done) => sftp.ext_openssh_fsync(handle, (err) => done(err))).catch(() => undefined);
    } finally {
      await cb<void>((done) => sftp.close(handle, (err) => done(err))).catch(() => undefined);
    }
  }

  async #putSftp(path: string, data: Buffer, mode: number | undefined): Promise<void> {
    const sftp = await this.#sftpSession();
    const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.converge-${randomBytes(6).toString('hex')}`);
    try {
      let m = mode;
      if (m === undefined) {
        m = await cb<{ mode: number }>((done) => sftp.stat(path, done)).then(
          (st) => st.mode & 0o7777,
          () => 0o644,
        );
      }
      await this.#writeTemp(sftp, tmp, data, m);
      await cb<void>((done) => sftp.ext_openssh_rename(tmp, path, (err) => done(err))).catch(async (e: Error) => {
        if (!/not supported|unsupported/i.test(e.message)) throw e;
        await cb<void>((done) => sftp.rename(tmp, path, (err) => done(err)));
      });
    } catch (cause) {
      await cb<void>((done) => sftp.unlink(tmp, (err) => done(err))).catch(() => undefined);
      throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot write ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  async #putShell(path: string, data: Buffer, mode: number | undefined, options: PutOptions, become: BecomeSpec | undefined): Promise<void> {
    const owner = options.owner !== undefined || options.group !== undefined ? `${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}` : '';
    // Stage over SFTP when the become user can read the login user's private files (root).
    let stageDir: string | undefined;
    let sftp: SFTPWrapper | undefined;
    if (!become || become.user === 'root') {
      sftp = await this.#sftpSession();
      const s = sftp;
      stageDir = `/tmp/.converge-put-${randomBytes(8).toString('hex')}`;
      const dir = stageDir;
      try {
        await cb<void>((done) => s.mkdir(dir, { mode: 0o700 }, (err) => done(err)));
        await this.#writeTemp(s, `${dir}/data`, data, 0o600);
      } catch (cause) {
        await this.#cleanStage(s, dir);
        throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot stage ${path}: ${(cause as Error).message}`, { cause });
      }
    }
    const script = [
      'set -e',
      `dst=${quote(path)}`,
      `t=$(mktemp "$(dirname -- "$dst")/.$(basename -- "$dst").converge-XXXXXX")`,
      `trap 'rm -f -- "$t"' EXIT`,
      stageDir ? `cat -- ${quote(`${stageDir}/data`)} > "$t"` : `cat > "$t"`,
      mode !== undefined ? `chmod ${mode.toString(8)} "$t"` : `if [ -e "$dst" ]; then chmod "$(stat -c %a -- "$dst")" "$t"; else chmod 644 "$t"; fi`,
      owner ? `chown ${quote(owner)} "$t"` : `if [ -e "$dst" ] && [ "$(id -u)" = 0 ]; then chown "$(stat -c %u:%g -- "$dst")" "$t"; fi`,
      `mv -f -- "$t" "$dst"`,
      'trap - EXIT',
    ].join('\n');
    try {
      const session = await this.#session(become);
      const r = await session.run(script, stageDir ? {} : { stdin: data });
      if (r.exitCode !== 0) {
        throw new ConvergeError('CONVERGE_TRANSPORT', `${this.host}: cannot write ${path}${become ? ` as ${become.user}` : ''} (exit ${r.exitCode})`, { detail: maskText(r.stderr.trim()) });
      }
    } finally {
      if (sftp && stageDir) await this.#cleanStage(sftp, stageDir);
    }
  }

  async #cleanStage(sftp: SFTPWrapper, dir: string): Promise<void> {
    await cb<void>((done) => sftp.unlink(`${dir}/data`, (err) => done(err))).catch(() => undefined);
    await cb<void>((done) => sftp.rmdir(dir, (err) => done(err))).catch(() => undefined);
  }
}
