import { chmodSync, unlinkSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { sha256Hex } from '@converge/core';
import type { BecomeSpec, ConnectionSpec, ExecOptions } from '@converge/core';
import { HostKeyPins } from './host-key-pins.js';
import { KeyPassphrases } from './key-passphrases.js';
import { SshTransport } from './ssh-transport.js';
import type { SshOptions } from './ssh-transport.js';
import { controlSocketPath, encodeMessage, ensureControlDir, errorMessage, readMessages, revealSecrets } from './control-protocol.js';
import type { ControlReply, ControlRequest, ControlSshOptions } from './control-protocol.js';

/** One kept connection. */
interface Kept {
  key: string;
  host: string;
  transport: SshTransport;
  /** Runs attached to it now. */
  users: Set<Socket>;
  persistMs: number;
  idleSince: number;
  timer: NodeJS.Timeout | undefined;
  connecting: Promise<void> | undefined;
}

/** What {@link ControlServer.status} lists per kept connection. */
export interface KeptConnection {
  host: string;
  connected: boolean;
  runs: number;
  idleMs: number;
  persistMs: number;
}

/** Options of {@link ControlServer.listen}. */
export interface ControlServerOptions {
  /** How long the process stays with no connection kept and no run attached, in ms; default 10000. */
  emptyExitMs?: number;
  /** Called when the server has closed (idle, or asked to stop). */
  onClose?: () => void;
}

/** The identity of a connection: everything that decides how it is made (secrets included, hashed). */
export function connectionKey(spec: unknown, options: ControlSshOptions): string {
  return sha256Hex(JSON.stringify(revealSecrets({ spec, options })));
}

/**
 * The control process's server (`converge control serve`, started by a run with
 * `--control-persist`): keeps each host's authenticated SSH connection and its login shell
 * between runs, like OpenSSH's ControlMaster with ControlPersist, and runs the commands of the
 * runs attached to it on them.
 *
 * A connection is kept for its `persistMs` after the last run using it detached; become shells
 * and SFTP end with each run (a kept connection keeps no shell of another user). Host keys are
 * pinned for the life of the process, and every run that attaches to a kept connection has its
 * keys checked against its known_hosts file again: a host whose key changed is refused.
 * The socket lives in a private directory ({@link ensureControlDir}); the process exits when it
 * has kept nothing for `emptyExitMs`.
 */
export class ControlServer {
  readonly #kept = new Map<string, Kept>();
  readonly #pins = new HostKeyPins();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #emptyTimer: NodeJS.Timeout | undefined;
  #options: ControlServerOptions = {};
  #path = '';

  /**
   * Listens on `<dir>/control.sock`. When another control process already answers there, resolves
   * with false (that one serves); a socket file nobody answers on is replaced.
   *
   * @throws ConvergeError `CONVERGE_OPTIONS` when `dir` is not private ({@link ensureControlDir}).
   */
  async listen(dir: string, options: ControlServerOptions = {}): Promise<boolean> {
    ensureControlDir(dir);
    this.#options = options;
    this.#path = controlSocketPath(dir);
    const server = createServer((socket) => this.#accept(socket));
    const bound = await new Promise<boolean>((resolve, reject) => {
      const tryListen = (retry: boolean) => {
        server.once('error', (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EADDRINUSE' || !retry) return reject(e);
          // Someone answers there (another control process), or a stale file from one that died.
          const probe = netConnect(this.#path);
          probe.once('connect', () => {
            probe.end();
            resolve(false);
          });
          probe.once('error', () => {
            try {
              unlinkSync(this.#path);
            } catch {
              /* gone already */
            }
            tryListen(false);
          });
        });
        const old = process.umask(0o077);
        server.listen(this.#path, () => {
          process.umask(old);
          resolve(true);
        });
      };
      tryListen(true);
    });
    if (!bound) return false;
    chmodSync(this.#path, 0o600);
    this.#server = server;
    this.#armEmptyTimer();
    return true;
  }

  /** The kept connections. */
  status(): KeptConnection[] {
    return [...this.#kept.values()].map((k) => ({ host: k.host, connected: k.transport.connected, runs: k.users.size, idleMs: k.users.size > 0 ? 0 : Date.now() - k.idleSince, persistMs: k.persistMs }));
  }

  /** Ends every kept connection and stops listening. */
  async close(): Promise<void> {
    clearTimeout(this.#emptyTimer);
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await Promise.all([...this.#kept.values()].map((k) => this.#drop(k)));
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.#options.onClose?.();
    }
  }

  #armEmptyTimer(): void {
    clearTimeout(this.#emptyTimer);
    if (this.#kept.size > 0 || this.#sockets.size > 0 || !this.#server) return;
    this.#emptyTimer = setTimeout(() => void this.close(), this.#options.emptyExitMs ?? 10_000);
    this.#emptyTimer.unref?.();
  }

  async #drop(k: Kept): Promise<void> {
    clearTimeout(k.timer);
    if (this.#kept.get(k.key) === k) this.#kept.delete(k.key);
    await k.transport.close();
    this.#armEmptyTimer();
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    clearTimeout(this.#emptyTimer);
    let attached: Kept | undefined;
    /** Resolves once the answer is handed to the socket (or at once on a destroyed one). */
    const send = (m: ControlReply) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else socket.write(encodeMessage(m), () => resolve());
      });
    const detach = async () => {
      const k = attached;
      attached = undefined;
      if (!k || !k.users.delete(socket)) return;
      await k.transport.endRunSessions();
      if (k.users.size > 0) return;
      k.idleSince = Date.now();
      clearTimeout(k.timer);
      k.timer = setTimeout(() => void this.#drop(k), k.persistMs);
      k.timer.unref?.();
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      void detach().finally(() => this.#armEmptyTimer());
    });
    readMessages<ControlRequest>(socket, (req) => {
      void (async () => {
        try {
          switch (req.op) {
            case 'attach': {
              if (attached) await detach();
              const { kept, reused } = await this.#attach(req.spec as ConnectionSpec, req.options, req.persistMs, socket);
              attached = kept;
              send({ id: req.id, ok: true, value: { loginUser: kept.transport.loginUser, reused } });
              return;
            }
            case 'exec': {
              if (!attached) throw new Error('exec before attach');
              const { stdin, progress, become, ...rest } = req.options;
              const options: ExecOptions = {
                ...rest,
                ...(stdin !== undefined ? { stdin: Buffer.from(stdin, 'base64') } : {}),
                ...(become ? { become: become as BecomeSpec } : {}),
                ...(progress ? { onStdout: (chunk: string) => send({ id: req.id, stdout: chunk }) } : {}),
              };
              const result = await attached.transport.exec(req.command, options);
              send({ id: req.id, ok: true, value: result });
              return;
            }
            case 'release':
              await detach();
              send({ id: req.id, ok: true });
              return;
            case 'status':
              send({ id: req.id, ok: true, value: this.status() });
              return;
            case 'stop':
              // The answer carries a value (an answer without one reads as "no control process"),
              // and is out before close() destroys the sockets.
              await send({ id: req.id, ok: true, value: true });
              await this.close();
              return;
          }
        } catch (e) {
          send({ id: req.id, error: errorMessage(e) });
        }
      })();
    });
  }

  async #attach(spec: ConnectionSpec, options: ControlSshOptions, persistMs: number, socket: Socket): Promise<{ kept: Kept; reused: boolean }> {
    const key = connectionKey(spec, options);
    let k = this.#kept.get(key);
    const reused = k !== undefined && k.transport.connected;
    if (!k) {
      const sshOptions: SshOptions = {
        hostKeyPins: this.#pins,
        agent: options.agent ?? '',
        passphrases: new KeyPassphrases(options.passphrase !== undefined ? { passphrase: options.passphrase as never } : {}),
        ...(options.knownHostsFile ? { knownHostsFile: options.knownHostsFile } : {}),
        ...(options.sshConfigFile ? { sshConfigFile: options.sshConfigFile } : {}),
        ...(options.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
        ...(options.hostKeyChecking ? { hostKeyChecking: options.hostKeyChecking } : {}),
      };
      k = { key, host: spec.host, transport: new SshTransport(spec, sshOptions), users: new Set(), persistMs, idleSince: Date.now(), timer: undefined, connecting: undefined };
      this.#kept.set(key, k);
    }
    const kept = k;
    clearTimeout(kept.timer);
    kept.persistMs = persistMs;
    kept.users.add(socket);
    try {
      if (reused) {
        const changed = kept.transport.recheckHostKeys();
        if (changed) throw changed;
      }
      // A lost connection is made again here; the pins refuse a host that now shows another key.
      kept.connecting ??= kept.transport.connect().finally(() => {
        kept.connecting = undefined;
      });
      await kept.connecting;
    } catch (e) {
      kept.users.delete(socket);
      if (kept.users.size === 0) await this.#drop(kept);
      throw e;
    }
    return { kept, reused };
  }
}
