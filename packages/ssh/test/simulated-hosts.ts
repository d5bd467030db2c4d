import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inventory hosts simulated by light SSH servers on loopback (simulated-sshd.mjs). */
export interface SimulatedHosts {
  /** The servers' ports, one per server process. */
  ports: number[];
  /** Temporary directory of the servers, the keys and the hosts' directories; removed by `stop`. */
  dir: string;
  clientKeyFile: string;
  /** `[127.0.0.1]:port` with the servers' host key, one line per server. */
  knownHostsFile: string;
  /** Every host: its inventory name (`s0001`, ...), the port of the server it is on, and the directory its state lives in. */
  hosts: { name: string; port: number; root: string }[];
  /**
   * The INI inventory of the hosts: `NAME ansible_host=127.0.0.1 ansible_port=PORT w50_root=ROOT`,
   * then `[all:vars]` with the user, the key and `ansible_timeout=120`.
   */
  inventory(): string;
  /** Connections authenticated and exec requests (each starts a `/bin/sh -c`) so far, over every server. */
  counts(): { logins: number; execs: number };
  /**
   * CPU milliseconds (user + system) the servers and the processes they waited for have used so
   * far, summed over every server process, from /proc (proc(5)).
   */
  cpuMs(): number;
  /**
   * Resolves once every shell an exec request started has exited and been waited for, so that
   * its CPU counts in `cpuMs`; rejects after `timeoutMs` (default 60 s) with the number still running.
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Hosts one server process serves at most. Every session holds its socket and three pipes to its
 * shell for as long as the client keeps the connection (converge keeps it until its run ends):
 * about four descriptors per host, so 1,500 hosts take ~6,000, well under a usual `ulimit -n`
 * of 20,000 or more (a process that reaches its limit fails with EMFILE).
 */
export const HOSTS_PER_SERVER = 1500;

/**
 * Starts the light SSH servers and lays out `count` simulated hosts: every host is 127.0.0.1 on
 * the port of one of `ceil(count / hostsPerServer)` server processes (hosts dealt to the servers
 * in turn), with a directory of its own (its `w50_root`). A login costs a server a key exchange
 * and no process; commands run in `/bin/sh` as this user. The servers share one host key. Needs
 * `ssh-keygen`. Throws when a server does not start within 10 s.
 */
export async function startSimulatedHosts(count: number, options: { prefix?: string; hostsPerServer?: number } = {}): Promise<SimulatedHosts> {
  const dir = mkdtempSync(join(tmpdir(), 'converge-simulated-'));
  const keygen = (file: string, comment: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
  const hostKey = join(dir, 'host_ed25519');
  const clientKeyFile = join(dir, 'client_ed25519');
  keygen(hostKey, 'converge-simulated-host');
  keygen(clientKeyFile, 'converge-simulated-client');
  const home = join(dir, 'home');
  mkdirSync(home);
  const script = fileURLToPath(new URL('./simulated-sshd.mjs', import.meta.url));
  const counts = { logins: 0, execs: 0 };
  let exits = 0;
  const servers = Math.max(1, Math.ceil(count / (options.hostsPerServer ?? HOSTS_PER_SERVER)));
  const children: ChildProcess[] = [];
  const start = async (): Promise<number> => {
    const child = spawn(process.execPath, [script, hostKey, `${clientKeyFile}.pub`, home], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise<number>((resolve, reject) => {
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
          else if (line === 'exit') exits += 1;
        }
      });
      child.once('exit', (code) => reject(new Error(`the simulated SSH server exited with ${code}`)));
    });
  };
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  let ports: number[];
  try {
    ports = await Promise.all(Array.from({ length: servers }, start));
  } catch (err) {
    await stop();
    throw err;
  }
  const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, ports.map((port) => `[127.0.0.1]:${port} ${type} ${key}\n`).join(''));
  const prefix = options.prefix ?? 's';
  const hosts = Array.from({ length: count }, (_v, i) => {
    const name = `${prefix}${String(i + 1).padStart(4, '0')}`;
    return { name, port: ports[i % servers] as number, root: join(dir, 'hosts', name) };
  });
  mkdirSync(join(dir, 'hosts'));
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  return {
    ports,
    dir,
    clientKeyFile,
    knownHostsFile,
    hosts,
    inventory: () =>
      `${hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} w50_root=${h.root}`).join('\n')}\n\n[all:vars]\nansible_user=${user}\nansible_ssh_private_key_file=${clientKeyFile}\nansible_timeout=120\n`,
    counts: () => ({ ...counts }),
    cpuMs: () =>
      children.reduce((sum, child) => {
        // Fields 14-17 after the command name: utime, stime, cutime, cstime, in clock ticks (100 Hz on Linux).
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return sum + [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i] ?? 0), 0) * 10;
      }, 0),
    settled: async (timeoutMs = 60_000) => {
      const until = Date.now() + timeoutMs;
      while (exits < counts.execs) {
        if (Date.now() > until) throw new Error(`${counts.execs - exits} simulated hosts' shells still run after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop,
  };
}
