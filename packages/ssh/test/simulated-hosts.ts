import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inventory hosts simulated by one light SSH server on loopback (simulated-sshd.mjs). */
export interface SimulatedHosts {
  port: number;
  /** Temporary directory of the server, the keys and the hosts' directories; removed by `stop`. */
  dir: string;
  clientKeyFile: string;
  /** `[127.0.0.1]:port` with the server's host key. */
  knownHostsFile: string;
  /** Every host: its inventory name (`s0001`, ...) and the directory its state lives in. */
  hosts: { name: string; root: string }[];
  /**
   * The INI inventory of the hosts: `NAME ansible_host=127.0.0.1 ansible_port=PORT w50_root=ROOT`,
   * then `[all:vars]` with the user, the key and `ansible_timeout=120`.
   */
  inventory(): string;
  /** Connections authenticated and exec requests (each starts a `/bin/sh -c`) so far. */
  counts(): { logins: number; execs: number };
  /** CPU milliseconds (user + system) the server and the processes it waited for have used so far, from /proc (proc(5)). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts the light SSH server and lays out `count` simulated hosts: every host is 127.0.0.1 on
 * the server's port, with a directory of its own (its `w50_root`). A login costs the server a
 * key exchange and no process; commands run in `/bin/sh` as this user. Needs `ssh-keygen`.
 */
export async function startSimulatedHosts(count: number, options: { prefix?: string } = {}): Promise<SimulatedHosts> {
  const dir = mkdtempSync(join(tmpdir(), 'converge-simulated-'));
  const keygen = (file: string, comment: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
  const hostKey = join(dir, 'host_ed25519');
  const clientKeyFile = join(dir, 'client_ed25519');
  keygen(hostKey, 'converge-simulated-host');
  keygen(clientKeyFile, 'converge-simulated-client');
  const home = join(dir, 'home');
  mkdirSync(home);
  const script = fileURLToPath(new URL('./simulated-sshd.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, hostKey, `${clientKeyFile}.pub`, home], { stdio: ['ignore', 'pipe', 'inherit'] });
  const counts = { logins: 0, execs: 0 };
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the simulated SSH server did not start within 10 s')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^listening (\d+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        } else if (line === 'login') counts.logins += 1;
        else if (line === 'exec') counts.execs += 1;
      }
    });
    child.once('exit', (code) => reject(new Error(`the simulated SSH server exited with ${code}`)));
  });
  const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${type} ${key}\n`);
  const prefix = options.prefix ?? 's';
  const hosts = Array.from({ length: count }, (_v, i) => {
    const name = `${prefix}${String(i + 1).padStart(4, '0')}`;
    return { name, root: join(dir, 'hosts', name) };
  });
  mkdirSync(join(dir, 'hosts'));
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  return {
    port,
    dir,
    clientKeyFile,
    knownHostsFile,
    hosts,
    inventory: () =>
      `${hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${port} w50_root=${h.root}`).join('\n')}\n\n[all:vars]\nansible_user=${user}\nansible_ssh_private_key_file=${clientKeyFile}\nansible_timeout=120\n`,
    counts: () => ({ ...counts }),
    cpuMs: () => {
      // Fields 14-17 after the command name: utime, stime, cutime, cstime, in clock ticks (100 Hz on Linux).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i] ?? 0), 0) * 10;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
