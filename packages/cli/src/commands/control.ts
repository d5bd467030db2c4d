import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConvergeError } from '@converge/core/lean';

/**
 * The seconds of `--control-persist` (or `CONVERGE_CONTROL_PERSIST`) in milliseconds.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for anything but a number of seconds > 0 (an `s` suffix is allowed, as ssh's ControlPersist).
 */
export function controlPersistMs(value: string): number {
  const m = /^(\d+(?:\.\d+)?)s?$/.exec(value.trim());
  const seconds = m ? Number(m[1]) : NaN;
  if (!(seconds > 0)) throw new ConvergeError('CONVERGE_OPTIONS', `--control-persist must be a number of seconds > 0 (got ${JSON.stringify(value)})`);
  return Math.round(seconds * 1000);
}

/**
 * Starts `converge control serve` for the control directory `dir`, detached from this run (it
 * outlives it), its output appended to `<dir>/control.log` (mode 0600).
 */
export function startControlProcess(dir: string): void {
  const bin = fileURLToPath(new URL('../bin/converge.js', import.meta.url));
  const log = openSync(join(dir, 'control.log'), 'a', 0o600);
  const child = spawn(process.execPath, [bin, 'control', 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, CONVERGE_CONTROL_DIR: dir },
  });
  child.unref();
}

/**
 * Registers `converge control status|stop` (and `serve`, which runs started with
 * `--control-persist` start by themselves): the process that keeps SSH connections between runs.
 */
export function registerControl(program: Command, io: { stdout: NodeJS.WritableStream }): void {
  const control = program.command('control').description('the process that keeps SSH connections between runs (--control-persist)');
  control
    .command('status')
    .description('list the kept connections: host, runs attached, idle seconds')
    .action(async () => {
      const { controlRequest, defaultControlDir } = await import('@converge/ssh');
      const dir = defaultControlDir();
      const list = await controlRequest<{ host: string; connected: boolean; runs: number; idleMs: number; persistMs: number }[]>('status', { dir });
      if (list === undefined) {
        io.stdout.write(`no control process runs for ${dir}\n`);
        return;
      }
      io.stdout.write(`control process on ${dir}: ${list.length} connection${list.length === 1 ? '' : 's'} kept\n`);
      for (const k of list) {
        io.stdout.write(`  ${k.host}  ${k.connected ? 'open' : 'lost'}  runs ${k.runs}  idle ${(k.idleMs / 1000).toFixed(0)} s of ${(k.persistMs / 1000).toFixed(0)} s\n`);
      }
    });
  control
    .command('stop')
    .description('end every kept connection and the control process')
    .action(async () => {
      const { controlRequest, defaultControlDir } = await import('@converge/ssh');
      const dir = defaultControlDir();
      const answered = await controlRequest('stop', { dir });
      io.stdout.write(answered === undefined ? `no control process runs for ${dir}\n` : `control process on ${dir} stopped\n`);
    });
  control
    .command('serve', { hidden: true })
    .description('run the control process in the foreground (runs with --control-persist start it)')
    .action(async () => {
      const { ControlServer, defaultControlDir } = await import('@converge/ssh');
      const server = new ControlServer();
      let onClose = (): void => undefined;
      const closed = new Promise<void>((resolve) => (onClose = resolve));
      // Another control process already serves this directory: that one keeps the connections.
      if (!(await server.listen(defaultControlDir(), { onClose }))) return;
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => void server.close());
      await closed;
    });
}
