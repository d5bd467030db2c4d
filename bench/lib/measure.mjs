// Runs one process as a whole and measures it: wall time (controller clock), CPU time (user +
// sys of the process and the descendants it waited for) and peak RSS, from GNU time(1); and the
// machine around it: the load average before and after, and how busy all cores were meanwhile.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const TIME = '/usr/bin/time';

/** Installs Debian's `time` package when /usr/bin/time is missing (needs root on Debian). */
export function ensureGnuTime() {
  if (existsSync(TIME)) return;
  process.stderr.write('bench: installing Debian package "time" (for /usr/bin/time)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', 'time'], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', 'time'], { stdio: 'inherit', env });
  }
  if (r.status !== 0 || !existsSync(TIME)) throw new Error('bench: /usr/bin/time is missing and "apt-get install time" failed');
}

/** Busy and total jiffies of all cores so far, from /proc/stat's `cpu` line (proc(5)); undefined where there is none. */
function cpuJiffies() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Waits until the machine is idle: the share of all cores' time that was busy over a 0.5 s window
 * (from /proc/stat) at most `maxBusy`, for at most `maxWaitMs`. The 1-minute load average lags a
 * finished run by a minute; this does not, so a sample does not start while the previous one's
 * processes (on the controller or in the hosts' containers) are still winding down.
 *
 * @returns the busy share of the last window (0..1), or undefined without /proc/stat.
 */
export async function waitIdle({ maxBusy = 0.1, maxWaitMs = 30_000 } = {}) {
  const until = Date.now() + maxWaitMs;
  for (;;) {
    const a = cpuJiffies();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuJiffies();
    if (!a || !b || b.total <= a.total) return undefined;
    const busy = (b.busy - a.busy) / (b.total - a.total);
    if (busy <= maxBusy || Date.now() >= until) return Math.round(busy * 100) / 100;
  }
}

/**
 * Runs `cmd args` under /usr/bin/time and resolves with
 * `{ code, stdout, stderr, wallMs, userMs, sysMs, cpuMs, maxRssMb, load: [before, after], machineBusy }`.
 * `maxRssMb` is ru_maxrss: the largest single process of the tree, not their sum. `load` is the
 * 1-minute load average before and after; `machineBusy` the share (0..1) of all cores' time that
 * was busy during the run (this process and everything else on the machine), from /proc/stat.
 */
export async function measure(cmd, args, { env, cwd } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'converge-bench-time-'));
  const out = join(dir, 'time');
  const loadBefore = loadavg()[0];
  const j0 = cpuJiffies();
  const started = performance.now();
  const child = spawn(TIME, ['-q', '-f', '%U %S %M', '-o', out, cmd, ...args], { env: { ...process.env, ...(env ?? {}) }, ...(cwd ? { cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (d) => stdout.push(d));
  child.stderr.on('data', (d) => stderr.push(d));
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const wallMs = performance.now() - started;
  const j1 = cpuJiffies();
  const machineBusy = j0 && j1 && j1.total > j0.total ? Math.round(((j1.busy - j0.busy) / (j1.total - j0.total)) * 100) / 100 : undefined;
  const line = readFileSync(out, 'utf8').trim().split('\n').at(-1) ?? '';
  rmSync(dir, { recursive: true, force: true });
  const [u, s, m] = line.split(/\s+/).map(Number);
  const userMs = Math.round((u ?? NaN) * 1000);
  const sysMs = Math.round((s ?? NaN) * 1000);
  return {
    code,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    wallMs: Math.round(wallMs),
    userMs,
    sysMs,
    cpuMs: userMs + sysMs,
    maxRssMb: Math.round(((m ?? NaN) / 1024) * 10) / 10,
    load: [Math.round(loadBefore * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
    machineBusy,
  };
}

/** The machine a benchmark ran on: cores, model, memory, Node version, kernel. */
export function machine(nodeVersion = process.version) {
  const c = cpus();
  return { cores: c.length, cpu: c[0]?.model ?? 'unknown', memoryGb: Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024 / 1024), node: nodeVersion, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() };
}
