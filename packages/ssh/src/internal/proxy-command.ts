import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { maskText } from '@converge/core';

/** A running ProxyCommand: the stream to speak SSH over, and what it said on stderr. */
export interface ProxyProcess {
  stream: Duplex;
  /** The command's stderr so far (masked, last 4 KiB), for messages. */
  stderr(): string;
  /** `exit 255`, `signal SIGTERM`, or undefined while it runs. */
  exit(): string | undefined;
  /** Ends the command (SIGTERM; a no-op once it has exited). */
  kill(): void;
  /** Resolves once the command has exited, or after `ms` milliseconds. */
  ended(ms: number): Promise<void>;
}

/**
 * Starts an ssh_config(5) `ProxyCommand` (tokens already expanded) the way ssh(1) does: with
 * the user's shell (`$SHELL`, else `/bin/sh`) and its `exec` directive, so that no shell
 * lingers; SSH is spoken over its stdin and stdout, its stderr is kept for messages.
 */
export function startProxyCommand(command: string): ProxyProcess {
  const shell = process.env['SHELL'] || '/bin/sh';
  const child = spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let exit: string | undefined;
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit ${code}`;
      resolve();
    });
  });
  // A command that cannot start (no shell) surfaces as the stream's end; keep the reason.
  child.on('error', (e) => {
    err += `${e.message}\n`;
    exit ??= 'not started';
  });
  child.stdin.on('error', () => undefined);
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  stream.on('close', () => {
    if (exit === undefined) child.kill('SIGTERM');
  });
  return {
    stream,
    stderr: () => maskText(err.trim()),
    exit: () => exit,
    kill: () => {
      if (exit === undefined) child.kill('SIGTERM');
    },
    ended: (ms) => Promise.race([exited, new Promise<void>((r) => setTimeout(r, ms).unref())]),
  };
}
