import { randomBytes } from 'node:crypto';
import { ConvergeError } from './errors.js';
import { maskText } from './secret.js';
import { sha256Hex } from './sha256.js';
import { quote } from './sh.js';
import type { ShellStreams } from './shell-session.js';
import type { ShellSession } from './shell-session.js';
import { awaitShellStart, type ShellStartControl } from './shell-start.js';
import type { BecomeSpec } from './transport.js';

/**
 * The command line that starts a shell as another user, and the markers the handshake waits for.
 *
 * sudo: the password prompt is converge's own (`-p`), so sudo's lecture or banner cannot be
 * mistaken for it; the password is written to stdin only after the prompt appears (`-S`).
 * Source: sudo(8), options -S, -p, -u.
 *
 * su: `su -s /bin/sh -c '...' -- USER`; util-linux su reads the password from stdin when it is
 * not a terminal, after printing PAM's prompt ("Password: ") on stderr, so `prompt` is absent and
 * the handshake recognises the prompt by its text. `-s /bin/sh` is honoured when the caller is
 * root or the user's login shell is listed in /etc/shells. Source: su(1) (util-linux 2.38).
 *
 * With `terminal` (the command runs on a pseudo-terminal, for sudoers' `requiretty`), the shell's
 * own stderr goes to /dev/null: a shell whose stdin and stderr are terminals would be interactive
 * (prompts, job control; POSIX sh, "Shell Execution Environment"); commands' stderr then travels
 * in-band (see {@link ShellSession}).
 */
export function becomeCommand(spec: BecomeSpec, options: { terminal?: boolean } = {}): { command: string; prompt?: string; ready: string } {
  const nonce = randomBytes(8).toString('hex');
  const ready = `CONVERGE_READY_${nonce}`;
  const flags = (spec.flags ?? []).map(quote).join(' ');
  const inner = `printf '%s\\n' ${ready}; exec /bin/sh${options.terminal ? ' 2>/dev/null' : ''}`;
  if (spec.method === 'su') {
    return { command: `su ${flags} -s /bin/sh -c ${quote(inner)} -- ${quote(spec.user)}`.replace(/ {2,}/g, ' '), ready };
  }
  const prompt = `[converge-sudo@${nonce}] password: `;
  const command = `sudo -S -p ${quote(prompt)} ${flags} -u ${quote(spec.user)} -- /bin/sh -c ${quote(inner)}`.replace(/ {2,}/g, ' ');
  return { command, prompt, ready };
}

/**
 * The become passwords one host refused during a run. Once sudo (or su for a user) refused a
 * password on a host, converge does not send it to that host again in the run: each try costs
 * an authentication failure in the host's logs, and pam_faillock locks the account after a
 * few (`deny=3` by default, faillock.conf(5)). One per transport, i.e. per host and run.
 */
export class BecomeRefusals {
  readonly #refused = new Map<string, Error>();

  #key(spec: BecomeSpec): string {
    // sudo asks for the login user's password, whoever the become user is; su for the become user's.
    const whose = spec.method === 'su' ? `su\u0000${spec.user}` : 'sudo';
    return `${whose}\u0000${spec.password ? sha256Hex(spec.password.reveal()) : ''}`;
  }

  /** The error to fail with at once when this password was refused before in the run, else undefined. */
  earlier(spec: BecomeSpec, label: string): ConvergeError | undefined {
    const first = this.#refused.get(this.#key(spec));
    if (!first) return undefined;
    return new ConvergeError('CONVERGE_BECOME', `${label}: become (${spec.method === 'su' ? `su ${spec.user}` : `sudo -u ${spec.user}`}) not tried: the host refused this password earlier in the run (${first.message})`, {
      cause: first,
      hint: 'fix the become password (ansible_become_password, --ask-become-pass, --become-password-file); converge sends a refused password only once per host and run, so that the account is not locked',
    });
  }

  /** Remembers that the host refused the password of `spec`. */
  refused(spec: BecomeSpec, error: Error): void {
    this.#refused.set(this.#key(spec), error);
  }
}

/** Options of {@link becomeHandshake}. */
export interface BecomeHandshakeOptions {
  /** Milliseconds to wait for the shell; default 30 000. */
  timeoutMs?: number;
  /** stdout and stderr arrive merged on `stdout` (a pseudo-terminal). */
  terminal?: boolean;
  /** Where a refused password is remembered (and then never sent again to this host). */
  refusals?: BecomeRefusals;
  /** Called when sudo refuses to run without a terminal (sudoers `requiretty`), before the handshake fails. */
  needsTerminal?(): void;
}

/** Generic password prompts, for hosts whose sudoers sets `passprompt_override`. */
const FOREIGN_PROMPT = /(password|passwort|mot de passe|contraseña|passphrase)[^\n]*:\s*$/i;

/**
 * Performs the sudo or su handshake on freshly started streams and returns a {@link ShellSession}
 * running as the become user.
 *
 * Recognises converge's own sudo prompt anywhere in stderr (after any lecture), and a foreign
 * prompt (a line ending in "password:" with no newline after it) when sudo's configuration
 * overrides `-p`, and always for su. Fails fast on a wrong password (a second prompt, "Sorry, try
 * again", su's "Authentication failure"), when a password is asked and none is configured, and
 * after `timeoutMs` without an answer. A refused password is remembered in `refusals`. sudo's
 * `sorry, you must have a tty` (sudoers `requiretty`) calls `needsTerminal`.
 *
 * @throws ConvergeError `CONVERGE_BECOME` with sudo's or su's own message (secrets masked).
 */
export function becomeHandshake(
  streams: ShellStreams,
  spec: BecomeSpec,
  markers: { prompt?: string; ready: string },
  label: string,
  options: BecomeHandshakeOptions = {},
): Promise<ShellSession> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let prompts = 0;
  const su = spec.method === 'su';
  const how = su ? `su ${spec.user}` : `sudo -u ${spec.user}`;
  const whose = su ? `${spec.user}'s password (su asks for the become user's own password)` : 'the become password';
  // On a terminal, the prompts and messages arrive on stdout, after the command's echo-less input.
  const errText = (c: ShellStartControl) => (options.terminal ? c.out : c.err);
  const error = (c: ShellStartControl, msg: string, hint?: string) => {
    const text = errText(c).split(markers.ready).join('');
    return new ConvergeError('CONVERGE_BECOME', `${label}: become (${how}) failed: ${msg}`, {
      ...(hint ? { hint } : {}),
      ...(text.trim() ? { detail: maskText((markers.prompt ? text.split(markers.prompt).join('') : text).trim()) } : {}),
    });
  };
  const refused = (c: ShellStartControl) => {
    const e = error(c, `${whose} was refused`, 'check ansible_become_password (or --ask-become-pass / --become-password-file) for this host');
    options.refusals?.refused(spec, e);
    c.fail(e);
  };
  const answerPrompt = (c: ShellStartControl) => {
    prompts += 1;
    if (prompts > 1) return refused(c);
    if (!spec.password) return c.fail(error(c, `${su ? 'su' : 'sudo'} asks for a password and none is configured`, 'set ansible_become_password for this host, or use --ask-become-pass or --become-password-file'));
    streams.stdin.write(`${spec.password.reveal()}\n`);
  };
  const ttyRequired = (c: ShellStartControl) => /you must have a tty/i.test(errText(c));
  // Anything read past the ready marker belongs to nothing: the shell has not run a command yet.
  return awaitShellStart(
    streams,
    label,
    timeoutMs,
    (c) => {
      if (c.out.includes(`${markers.ready}\n`)) return c.ready();
      const err = errText(c);
      if (/Sorry, try again|incorrect password attempt|Authentication failure/i.test(err)) return refused(c);
      const promptCount = markers.prompt ? err.split(markers.prompt).length - 1 : 0;
      if (promptCount > prompts) return answerPrompt(c);
      if (promptCount === 0 && FOREIGN_PROMPT.test(err) && prompts === 0) answerPrompt(c);
    },
    {
      closed: (c) => {
        if (!su && ttyRequired(c)) {
          options.needsTerminal?.();
          return error(c, 'sudo needs a terminal (requiretty in sudoers)', 'converge requests one by itself unless ansible_ssh_use_tty (or RequestTTY) is false for this host');
        }
        const err = errText(c);
        return su
          ? error(c, /does not exist|unknown user/i.test(err) ? `there is no user ${spec.user}` : 'su ended before the shell started')
          : error(c, /not in the sudoers|may not run sudo|is not allowed/i.test(err) ? 'the user may not use sudo' : 'sudo ended before the shell started');
      },
      timedOut: (c) => error(c, `no answer from ${su ? 'su' : 'sudo'} within ${timeoutMs} ms`),
    },
    options.terminal ? { stderr: 'in-band' } : {},
  );
}
