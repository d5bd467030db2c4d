import { defineFact, raw, sh } from '@converge/core';
import { FILE_STATE_PRELUDE, parseFileState } from '../file/file-state.js';
import type { FileState } from '../file/file-state.js';

/** Arguments of {@link sshUserFile}. */
export interface UserFileArgs {
  user: string;
  /** An absolute path, or a path relative to the user's home (`.ssh/authorized_keys`). */
  path: string;
}

/** A file of a user's SSH setup: the user (null when there is no such user), the resolved path, its directory and the file. */
export interface UserFile {
  user: { name: string; uid: number; gid: number; home: string } | null;
  path: string;
  dir: FileState;
  file: FileState;
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/**
 * Fact `ssh.user_file`: a file under a user's home (or at an absolute path) with the user's
 * uid, gid and home from getent(1) and the `file.state` of the file (with content) and of its
 * directory, in one probe: the path depends on the home, which only the host knows.
 */
export const sshUserFile = defineFact<UserFileArgs, UserFile>({
  name: 'ssh.user_file',
  description: "A user's file (authorized_keys, known_hosts) with the user's ids and home.",
  command: ({ user, path }) =>
    sh`e=$(getent passwd -- ${user}) || { echo 'user absent'; ${path.startsWith('/') ? sh`p=${path}` : raw('exit 0')}; }
if [ -n "$e" ]; then h=$(printf '%s' "$e" | cut -d: -f6); echo "user $(printf '%s' "$e" | cut -d: -f3,4 | tr : ' ') $(printf '%s' "$h" | base64 -w0)"; ${path.startsWith('/') ? sh`p=${path}` : sh`p="$h"/${path}`}; fi
echo "path $(printf '%s' "$p" | base64 -w0)"
echo @@dir; cv_file_state cvfs_none 0 "\${p%/*}"
echo @@file; cv_file_state cvfs_none 1 "$p"`,
  parse: (stdout, { args }) => {
    const [head = '', dirOut = '', fileOut = ''] = stdout.split(/^@@(?:dir|file)$/m);
    const u = /^user (\d+) (\d+) (\S*)$/m.exec(head);
    const path = b64(/^path (\S*)$/m.exec(head)?.[1] ?? '');
    const resolved = path || args.path;
    return {
      user: u ? { name: args.user, uid: Number(u[1]), gid: Number(u[2]), home: b64(u[3] ?? '') } : null,
      path: resolved,
      dir: dirOut.trim() === '' ? { path: resolved.replace(/\/[^/]*$/, ''), type: 'absent', parentExists: false } : parseFileState(dirOut, resolved.replace(/\/[^/]*$/, '')),
      file: fileOut.trim() === '' ? { path: resolved, type: 'absent', parentExists: false } : parseFileState(fileOut, resolved),
    };
  },
  resources: ({ user, path }) => [`user:${user}`, '/etc/passwd', path.startsWith('/') ? path : `ssh-user-file:${path}`],
},
// The command calls file.state's shell function.
{ prelude: FILE_STATE_PRELUDE });
