import { lstat } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { ConvergeError } from '@converge/core';
import type { ConnectionSpec, ExecOptions, ExecResult, RawShell, Transport, TransportStats } from '@converge/core';
import { controlSocketPath, encodeMessage, ensureControlDir, errorFromMessage, readMessages } from './control-protocol.js';
import type { ControlReply, ControlRequest, ControlSshOptions } from './control-protocol.js';

/** Options of {@link ControlledTransport} and {@link controlRequest}. */
export interface ControlClientOptions {
  /** The control directory ({@link defaultControlDir}). */
  dir: string;
  /** Starts the control process when none answers (the CLI runs `converge control serve` detached). */
  start?: () => void;
  /** How long to wait for a control process it started to answer, in ms; default 5000. */
  startTimeoutMs?: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onStdout?: (chunk: string) => void };

/** A socket to the control process with request/answer pairing. */
class ControlChannel {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #closed: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    readMessages<ControlReply>(socket, (m) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      if ('stdout' in m) return p.onStdout?.(m.stdout);
      this.#pending.delete(m.id);
      if ('error' in m) p.reject(errorFromMessage(m.error));
      else p.resolve(m.value);
    });
    const fail = () => {
      this.#closed ??= new ConvergeError('CONVERGE_TRANSPORT', 'the control process closed the connection', { hint: 'see `converge control status`; run without --control-persist to connect directly' });
      for (const p of this.#pending.values()) p.reject(this.#closed);
      this.#pending.clear();
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  request<T>(req: Omit<ControlRequest, 'id'> & Record<string, unknown>, onStdout?: (chunk: string) => void): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onStdout ? { onStdout } : {}) });
      this.#socket.write(encodeMessage({ ...req, id } as ControlRequest));
    });
  }

  end(): void {
    this.#socket.end();
  }
}

function connectSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * A socket to the control process of `dir`, starting one with `start` when none answers.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` when the directory or the socket is not private to this
 * user; `CONVERGE_TRANSPORT` when no control process answers.
 */
async function openChannel(options: ControlClientOptions): Promise<ControlChannel> {
  ensureControlDir(options.dir);
  const path = controlSocketPath(options.dir);
  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  let started = false;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    try {
      // Not lstatSync: a synchronous stat of a socket leaves it in the stat buffer that Node's
      // realpathSync reads for a cached path, and the next require() then stops resolving
      // symlinks (nodejs/node#51142): under pnpm's symlinked node_modules, a module's own
      // dependencies were not found. The promise API fills a buffer of its own.
      const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      const uid = process.getuid?.();
      if (st && (!st.isSocket() || (uid !== undefined && st.uid !== uid))) {
        throw new ConvergeError('CONVERGE_OPTIONS', `${path} is not a socket of this user; refusing to use it`, { hint: `remove it, or set CONVERGE_CONTROL_DIR to a private directory` });
      }
      return new ControlChannel(await connectSocket(path));
    } catch (e) {
      if (e instanceof ConvergeError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw e;
      if (!started && options.start) {
        started = true;
        options.start();
      }
      if (!options.start || Date.now() > deadline) {
        throw new ConvergeError('CONVERGE_TRANSPORT', `no control process answers on ${path}`, { cause: e, hint: 'run without --control-persist to connect directly; the control process logs to control.log in that directory' });
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Sends one request (`status`, `stop`) to the control process of `dir`, if one answers; undefined when none does. */
export async function controlRequest<T>(op: 'status' | 'stop', options: ControlClientOptions): Promise<T | undefined> {
  let channel: ControlChannel;
  try {
    channel = await openChannel({ dir: options.dir });
  } catch (e) {
    if (e instanceof ConvergeError && e.code === 'CONVERGE_TRANSPORT') return undefined;
    throw e;
  }
  try {
    return await channel.request<T>({ op });
  } finally {
    channel.end();
  }
}

/**
 * A transport whose SSH connection is kept by the control process between runs (the CLI's
 * `--control-persist`): `connect` attaches to the host's kept connection (the control process
 * makes it on first use, and starts with `options.start` when none runs), `exec` runs the command
 * on the kept login shell, `close` detaches and leaves the connection open for `persistMs`.
 * A run that finds its host's connection kept costs one round trip per command and no handshake.
 *
 * Errors are those of {@link SshTransport}, made by the control process; a kept connection whose
 * host key known_hosts no longer lists fails `connect` with `CONVERGE_HOST_KEY`.
 */
export class ControlledTransport implements Transport {
  readonly host: string;
  readonly stats: TransportStats = { roundTrips: 0 };
  /** Whether `connect` found the connection kept from an earlier run. */
  reused = false;
  readonly #spec: ConnectionSpec;
  readonly #ssh: ControlSshOptions;
  readonly #persistMs: number;
  readonly #client: ControlClientOptions;
  #channel: Promise<ControlChannel> | undefined;
  #loginUser: string;

  constructor(spec: ConnectionSpec, ssh: ControlSshOptions, persistMs: number, client: ControlClientOptions) {
    this.host = spec.host;
    this.#spec = spec;
    this.#ssh = ssh;
    this.#persistMs = persistMs;
    this.#client = client;
    this.#loginUser = spec.user ?? '';
  }

  get loginUser(): string {
    return this.#loginUser;
  }

  /** Attaches to the host's kept connection, made by the control process when there is none. */
  connect(): Promise<void> {
    this.#channel ??= (async () => {
      const channel = await openChannel(this.#client);
      try {
        const r = await channel.request<{ loginUser: string; reused: boolean }>({ op: 'attach', spec: this.#spec, options: this.#ssh, persistMs: this.#persistMs });
        this.#loginUser = r.loginUser;
        this.reused = r.reused;
        return channel;
      } catch (e) {
        channel.end();
        throw e;
      }
    })();
    this.#channel.catch(() => {
      this.#channel = undefined;
    });
    return this.#channel.then(() => undefined);
  }

  /** Attaches ahead of the first command: the kept login shell is already open. */
  openShell(): Promise<void> {
    return this.connect();
  }

  async exec(command: string | RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    await this.connect();
    const channel = await (this.#channel as Promise<ControlChannel>);
    this.stats.roundTrips += 1;
    const { stdin, onStdout, ...rest } = options;
    return channel.request<ExecResult>(
      {
        op: 'exec',
        command: String(command),
        options: { ...rest, ...(stdin !== undefined ? { stdin: Buffer.from(stdin).toString('base64') } : {}), ...(onStdout ? { progress: true } : {}) },
      },
      onStdout,
    );
  }

  /** Detaches: the control process keeps the connection for `persistMs`. Never throws. */
  async close(): Promise<void> {
    const p = this.#channel;
    this.#channel = undefined;
    if (!p) return;
    try {
      const channel = await p;
      await channel.request({ op: 'release' }).catch(() => undefined);
      channel.end();
    } catch {
      /* never attached */
    }
  }
}
