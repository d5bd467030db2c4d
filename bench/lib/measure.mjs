// Runs one process as a whole and measures it: wall time (controller clock), CPU time (user +
// sys of the process and the descendants it waited for) and peak RSS, from GNU time(1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * Runs `cmd args` under /usr/bin/time and resolves with
 * `{ code, stdout, stderr, wallMs, userMs, sysMs, cpuMs, maxRssMb }`.
 * `maxRssMb` is ru_maxrss: the largest single process of the tree, not their sum.
 */
export async function measure(cmd, args, { env, cwd } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'converge-bench-time-'));
  const out = join(dir, 'time');
  const started = performance.now();
  const child = spawn(TIME, ['-q', '-f', '%U %S %M', '-o', out, cmd, ...args], { env: { ...process.env, ...(env ?? {}) }, ...(cwd ? { cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (d) => stdout.push(d));
  child.stderr.on('data', (d) => stderr.push(d));
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const wallMs = performance.now() - started;
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
  };
}
