import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { BecomeRefusals, becomeCommand, becomeHandshake } from './become.js';
import type { RawShell } from './sh.js';
import type { ShellStreams } from './shell-session.js';
import { ShellSession } from './shell-session.js';
import type { BecomeSpec, ExecOptions, ExecResult, Transport, TransportStats } from './transport.js';

function spawnShell(command: string | undefined): ShellStreams {
  const child = spawn('/bin/sh', command === undefined ? [] : ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

/**
 * Runs commands on the controller itself (inventory hosts with `ansible_connection=local`, or
 * `localhost` without an address), over the same framed long-lived shell as SSH hosts, so both
 * behave alike. Become uses sudo on the controller.
 */
export class LocalTransport implements Transport {
  readonly host: string;
  readonly loginUser = userInfo().username;
  readonly stats: TransportStats = { roundTrips: 0 };
  #sessions = new Map<string, Promise<ShellSession>>();
  readonly #refusals = new BecomeRefusals();

  constructor(host = 'localhost') {
    this.host = host;
  }

  async connect(): Promise<void> {
    await this.#session(undefined);
  }

  async exec(command: string | RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    const session = await this.#session(options.become);
    this.stats.roundTrips += 1;
    const { become: _b, ...rest } = options;
    return session.run(String(command), rest);
  }

  async close(): Promise<void> {
    for (const s of this.#sessions.values()) {
      try {
        (await s).close();
      } catch {
        /* it never opened */
      }
    }
    this.#sessions.clear();
  }

  #session(become: BecomeSpec | undefined): Promise<ShellSession> {
    // One session per become method and user: `su root` and `sudo -u root` are different shells.
    const user = become && become.user !== this.loginUser ? `${become.method}:${become.user}` : '';
    const existing = this.#sessions.get(user);
    if (existing) {
      // A session whose shell ended (timeout, killed) is replaced by a new one.
      return existing.then((s) => (s.closed ? this.#open(user, become) : s));
    }
    return this.#open(user, become);
  }

  #open(user: string, become: BecomeSpec | undefined): Promise<ShellSession> {
    let p: Promise<ShellSession>;
    if (user === '' || !become) {
      p = Promise.resolve(new ShellSession(spawnShell(undefined), `${this.host} (local)`));
    } else {
      const label = `${this.host} (local)`;
      const earlier = this.#refusals.earlier(become, label);
      if (earlier) return Promise.reject(earlier);
      const b = becomeCommand(become);
      p = becomeHandshake(spawnShell(b.command), become, b, label, { refusals: this.#refusals });
    }
    this.#sessions.set(user, p);
    p.catch(() => this.#sessions.delete(user));
    return p;
  }
}
