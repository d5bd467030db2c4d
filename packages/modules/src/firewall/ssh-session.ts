import { defineFact, raw } from '@converge/core';

/** The SSH connection a task's commands run over, as sshd(8) sets SSH_CONNECTION. */
export interface SshSession {
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
}

/**
 * Shell text that sets `cv_ssh` to SSH_CONNECTION of the session running it: from its own
 * environment, or (after sudo, which resets it) from the nearest ancestor process that has it,
 * read from /proc/PID/environ. Empty when the commands do not run over SSH.
 */
export const FIND_SSH_CONNECTION = String.raw`cv_ssh=\${SSH_CONNECTION-} cv_pid=$$
while [ -z "$cv_ssh" ] && [ -n "$cv_pid" ] && [ "$cv_pid" -gt 1 ]; do
  cv_ssh=$(tr '\0' '\n' < "/proc/$cv_pid/environ" 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
  cv_pid=$(sed 's/^.*) //' "/proc/$cv_pid/stat" 2>/dev/null | cut -d ' ' -f 2)
done`.replace(/\\\$/g, '$');

/**
 * Fact `ssh.session`: the SSH connection converge runs over on this host (client address and
 * port, server address and port as the host sees them: behind NAT, the translated ones), or
 * `null` for a local connection. What the firewall modules keep open. Source: sshd(8),
 * ENVIRONMENT ("SSH_CONNECTION Identifies the client and server ends of the connection").
 */
export const sshSession = defineFact<Record<string, never>, SshSession | null>({
  name: 'ssh.session',
  description: 'The SSH connection of this run as the host sees it (SSH_CONNECTION).',
  command: () => raw(`${FIND_SSH_CONNECTION}\necho "ssh $cv_ssh"`),
  parse: (stdout) => parseSshSession(stdout),
  resources: () => ['ssh-session'],
});

/** Pure parser of the `ssh.session` probe (exported for fact tests). */
export function parseSshSession(stdout: string): SshSession | null {
  const line = stdout.split('\n').find((l) => l.startsWith('ssh '));
  const f = (line ?? '').slice(4).trim().split(/\s+/);
  if (f.length !== 4) return null;
  return { clientAddress: f[0] as string, clientPort: Number(f[1]), serverAddress: f[2] as string, serverPort: Number(f[3]) };
}
