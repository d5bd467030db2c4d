import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { ConvergeError, isConvergeError, isSecret, privateDirProblem, secret } from '@converge/core';
import type { ErrorCode } from '@converge/core';

// The control socket's protocol: newline-delimited JSON messages between the `converge` runs
// (clients) and the control process that keeps connections between them. JSON escapes newlines
// inside strings, so a message is exactly one line; bytes travel as base64. A `Secret` crosses as
// `{ "\u0000secret": value }`: the socket is private to the user (see {@link ensureControlDir}), as
// a process's stdin is.

/** The SSH settings of a run that a kept connection must share to be reused (and that make it). */
export interface ControlSshOptions {
  knownHostsFile?: string;
  acceptNewHostKeys?: boolean;
  hostKeyChecking?: { enabled: boolean; source: string };
  /** OpenSSH client config; default `~/.ssh/config`. */
  sshConfigFile?: string;
  /** The run's ssh-agent socket (`SSH_AUTH_SOCK` of the run, not of the control process). */
  agent?: string;
  /** Passphrase of encrypted key files (`--private-key-passphrase-file`); the control process cannot ask on a terminal. */
  passphrase?: unknown;
}

/** A request from a run. `id` pairs it with its answer. */
export type ControlRequest =
  | { id: number; op: 'attach'; spec: unknown; options: ControlSshOptions; persistMs: number }
  | { id: number; op: 'exec'; command: string; options: { stdin?: string; become?: unknown; env?: Record<string, string>; cwd?: string; timeoutMs?: number; progress?: boolean } }
  | { id: number; op: 'release' }
  | { id: number; op: 'status' }
  | { id: number; op: 'stop' };

/** An answer (`ok` or `error`), or a chunk of a command's stdout on its way (`stdout`). */
export type ControlReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; stdout: string }
  | { id: number; error: { code: string; message: string; hint?: string; detail?: string } };

const SECRET_KEY = '\u0000secret';

/**
 * `value` with every `Secret` in it replaced by `{ "\u0000secret": clear text }`. Done before
 * `JSON.stringify`, which would otherwise call the secret's `toJSON` (the mask) before any replacer.
 */
export function revealSecrets(value: unknown): unknown {
  if (isSecret(value)) return { [SECRET_KEY]: value.reveal() };
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  return value;
}

/** One message as its line. */
export function encodeMessage(message: ControlRequest | ControlReply): string {
  return `${JSON.stringify(revealSecrets(message))}\n`;
}

/** One line as its message, with secrets made `Secret` again. */
export function decodeMessage<T>(line: string): T {
  return JSON.parse(line, (_k, v: unknown) => (v && typeof v === 'object' && SECRET_KEY in v ? secret(String((v as Record<string, unknown>)[SECRET_KEY])) : v)) as T;
}

/** Calls `onMessage` with each message arriving on `socket`. */
export function readMessages<T>(socket: Socket, onMessage: (message: T) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line) onMessage(decodeMessage<T>(line));
      nl = buffered.indexOf('\n');
    }
  });
}

/** An error as it crosses the socket. */
export function errorMessage(e: unknown): { code: string; message: string; hint?: string; detail?: string } {
  if (isConvergeError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.detail ? { detail: e.detail } : {}) };
  return { code: 'CONVERGE_TRANSPORT', message: `control process: ${(e as Error)?.message ?? String(e)}` };
}

/** The error again on the run's side. */
export function errorFromMessage(e: { code: string; message: string; hint?: string; detail?: string }): ConvergeError {
  return new ConvergeError(e.code as ErrorCode, e.message, { ...(e.hint ? { hint: e.hint } : {}), ...(e.detail ? { detail: e.detail } : {}) });
}

/**
 * Where the control socket lives: `CONVERGE_CONTROL_DIR`, else `$XDG_RUNTIME_DIR/converge-control`
 * (a per-user tmpfs on systemd machines), else `~/.converge/control`.
 */
export function defaultControlDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CONVERGE_CONTROL_DIR']) return env['CONVERGE_CONTROL_DIR'];
  if (env['XDG_RUNTIME_DIR']) return join(env['XDG_RUNTIME_DIR'], 'converge-control');
  return join(homedir(), '.converge', 'control');
}

/** The socket in a control directory. */
export function controlSocketPath(dir: string): string {
  return join(dir, 'control.sock');
}

/**
 * Makes the control directory (mode 0700) when it is missing, and checks that it is private:
 * a directory (not a link), owned by this user, with no permission for group or others. A
 * socket in a directory others can write to could be theirs, so such a directory is refused.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` naming the directory and what is wrong with it.
 */
export function ensureControlDir(dir: string): void {
  const problem = privateDirProblem(dir);
  if (problem) {
    throw new ConvergeError('CONVERGE_OPTIONS', `the control directory ${dir} ${problem}; refusing to keep connections there`, {
      hint: `use a directory of your own with mode 0700 (chmod 700 ${dir}), or set CONVERGE_CONTROL_DIR`,
    });
  }
}
