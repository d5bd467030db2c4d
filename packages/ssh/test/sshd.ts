import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private sshd started for tests: its port, keys and files, and how to stop it. */
export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  /** Temporary directory holding everything below; removed by {@link TestSshd.stop}. */
  dir: string;
  /** Client private key (ed25519, no passphrase) authorised for every user. */
  clientKeyFile: string;
  /** The server's host public keys as `type base64` (one per type: ed25519, ecdsa). */
  hostKeys: { type: string; key: string }[];
  /** A known_hosts file (plain `[127.0.0.1]:port type key` lines) trusting this server. */
  knownHostsFile: string;
  /** Everything sshd logged so far (`-e`: logs on stderr). */
  log(): string;
  /**
   * Replaces the host keys with new ones of the same types and makes sshd reload (SIGHUP);
   * open connections keep running. Resolves with the new keys once sshd listens again.
   * known_hosts is left as it was.
   */
  rotateHostKeys(): Promise<{ type: string; key: string }[]>;
  /** Stops sshd and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startSshd}. */
export interface StartSshdOptions {
  /** Extra sshd_config lines, appended (sshd keeps the first value of a keyword: use them for keywords not set here). */
  extraConfig?: string;
  /** Host key types to generate; default ed25519 and ecdsa. */
  hostKeyTypes?: string[];
  /** `AllowAgentForwarding`; default false. */
  allowAgentForwarding?: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Path of Debian's sshd, or undefined when openssh-server is not installed. */
export function sshdPath(): string | undefined {
  return ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));
}

/**
 * Starts `sshd -D -e -f <generated config>` on 127.0.0.1 with a free high port, its own host keys
 * and an ed25519 client key authorised for every user (`AuthorizedKeysFile` in the temporary
 * directory, `StrictModes no`, `UsePAM no`). Needs root and Debian's `openssh-server`.
 * Resolves once sshd listens.
 *
 * @throws Error when sshd is missing or does not start within 10 s (with its log).
 */
export async function startSshd(options: StartSshdOptions = {}): Promise<TestSshd> {
  const sshd = sshdPath();
  if (!sshd) throw new Error('sshd not found: apt-get install -y openssh-server');
  const dir = mkdtempSync(join(tmpdir(), 'converge-sshd-'));
  // sshd reads AuthorizedKeysFile as the logging-in user: the directory must be traversable.
  chmodSync(dir, 0o755);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const keygen = (file: string, type: string, comment: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
  const hostKeyFiles = (options.hostKeyTypes ?? ['ed25519', 'ecdsa']).map((t) => {
    const f = join(dir, `ssh_host_${t}_key`);
    keygen(f, t, `converge-test-host-${t}`);
    return f;
  });
  const clientKeyFile = join(dir, 'client_ed25519');
  keygen(clientKeyFile, 'ed25519', 'converge-test-client');
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKeyFile}.pub`), { mode: 0o644 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeyFiles.map((f) => `HostKey ${f}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      `AllowAgentForwarding ${options.allowAgentForwarding ? 'yes' : 'no'}`,
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      options.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  const readHostKeys = () =>
    hostKeyFiles.map((f) => {
      const [type, key] = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/);
      return { type: type as string, key: key as string };
    });
  const hostKeys = readHostKeys();
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, hostKeys.map((k) => `[127.0.0.1]:${port} ${k.type} ${k.key}\n`).join(''));

  let log = '';
  const child: ChildProcess = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s:\n${log}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString('utf8');
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log}`));
    });
  });

  return {
    host: '127.0.0.1',
    port,
    dir,
    clientKeyFile,
    hostKeys,
    knownHostsFile,
    log: () => log,
    rotateHostKeys: async () => {
      const listening = (text: string) => text.split(`Server listening on 127.0.0.1 port ${port}`).length - 1;
      const before = listening(log);
      for (const [i, f] of hostKeyFiles.entries()) {
        rmSync(f, { force: true });
        rmSync(`${f}.pub`, { force: true });
        keygen(f, (options.hostKeyTypes ?? ['ed25519', 'ecdsa'])[i] as string, 'converge-test-host-rotated');
      }
      child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (listening(log) <= before) {
        if (Date.now() > deadline) throw new Error(`sshd did not restart within 10 s:\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const keys = readHostKeys();
      hostKeys.splice(0, hostKeys.length, ...keys);
      return keys;
    },
    stop: async () => {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private ssh-agent for tests: its socket, and how to load a key into it and stop it. */
export interface TestAgent {
  sock: string;
  /** `ssh-add` of a key file (its passphrase, when encrypted). */
  add(keyFile: string, passphrase?: string): void;
  /** `ssh-add -d` of a key (by its `.pub` file). */
  remove(pubFile: string): void;
  stop(): void;
}

/** Starts `ssh-agent -D -a <socket>` in a temporary directory; resolves once the socket exists. */
export async function startAgent(): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'converge-agent-'));
  const sock = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  const env = { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: '/bin/false' };
  return {
    sock,
    add: (keyFile, passphrase) => execFileSync('ssh-add', ['-q', keyFile], { env, input: passphrase === undefined ? '' : `${passphrase}\n`, stdio: ['pipe', 'ignore', 'ignore'] }),
    remove: (pubFile) => execFileSync('ssh-add', ['-q', '-d', pubFile], { env, stdio: 'ignore' }),
    stop: () => {
      agent.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
