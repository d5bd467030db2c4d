import { randomBytes } from 'node:crypto';
import { ConvergeError } from './errors.js';
import { maskText } from './secret.js';
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
 */
export function becomeCommand(spec: BecomeSpec): { command: string; prompt?: string; ready: string } {
  const nonce = randomBytes(8).toString('hex');
  const ready = `CONVERGE_READY_${nonce}`;
  const flags = (spec.flags ?? []).map(quote).join(' ');
  const inner = `printf '%s\\n' ${ready}; exec /bin/sh`;
  if (spec.method === 'su') {
    return { command: `su ${flags} -s /bin/sh -c ${quote(inner)} -- ${quote(spec.user)}`.replace(/ {2,}/g, ' '), ready };
  }
  const prompt = `[converge-sudo@${nonce}] password: `;
  const command = `sudo -S -p ${quote(prompt)} ${flags} -u ${quote(spec.user)} -- /bin/sh -c ${quote(inner)}`.replace(/ {2,}/g, ' ');
  return { command, prompt, ready };
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
 * after `timeoutMs` without an answer.
 *
 * @throws ConvergeError `CONVERGE_BECOME` with sudo's or su's own message (secrets masked).
 */
export function becomeHandshake(
  streams: ShellStreams,
  spec: BecomeSpec,
  markers: { prompt?: string; ready: string },
  label: string,
  timeoutMs = 30_000,
): Promise<ShellSession> {
  let prompts = 0;
  const su = spec.method === 'su';
  const how = su ? `su ${spec.user}` : `sudo -u ${spec.user}`;
  const whose = su ? `${spec.user}'s password (su asks for the become user's own password)` : 'the become password';
  const error = (c: ShellStartControl, msg: string, hint?: string) =>
    new ConvergeError('CONVERGE_BECOME', `${label}: become (${how}) failed: ${msg}`, {
      ...(hint ? { hint } : {}),
      ...(c.err.trim() ? { detail: maskText((markers.prompt ? c.err.replace(markers.prompt, '') : c.err).trim()) } : {}),
    });
  const refused = (c: ShellStartControl) => c.fail(error(c, `${whose} was refused`, 'check ansible_become_password (or --ask-become-pass / --become-password-file) for this host'));
  const answerPrompt = (c: ShellStartControl) => {
    prompts += 1;
    if (prompts > 1) return refused(c);
    if (!spec.password) return c.fail(error(c, `${su ? 'su' : 'sudo'} asks for a password and none is configured`, 'set ansible_become_password for this host, or use --ask-become-pass or --become-password-file'));
    streams.stdin.write(`${spec.password.reveal()}\n`);
  };
  // Anything read past the ready marker belongs to nothing: the shell has not run a command yet.
  return awaitShellStart(
    streams,
    label,
    timeoutMs,
    (c) => {
      if (c.out.includes(`${markers.ready}\n`)) return c.ready();
      if (/Sorry, try again|incorrect password attempt|Authentication failure/i.test(c.err)) return refused(c);
      const promptCount = markers.prompt ? c.err.split(markers.prompt).length - 1 : 0;
      if (promptCount > prompts) return answerPrompt(c);
      if (promptCount === 0 && FOREIGN_PROMPT.test(c.err) && prompts === 0) answerPrompt(c);
    },
    {
      closed: (c) =>
        su
          ? error(c, /does not exist|unknown user/i.test(c.err) ? `there is no user ${spec.user}` : 'su ended before the shell started')
          : error(c, /not in the sudoers|may not run sudo|is not allowed/i.test(c.err) ? 'the user may not use sudo' : 'sudo ended before the shell started'),
      timedOut: (c) => error(c, `no answer from ${su ? 'su' : 'sudo'} within ${timeoutMs} ms`),
    },
  );
}
