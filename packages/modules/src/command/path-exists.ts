import { defineFact, raw, sh } from '@converge/core';
import { placeInNewDirectories } from '../file/file-state.js';

/** Arguments of {@link commandPathExists}. */
export interface PathExistsArgs {
  /** Path or glob pattern (`*`, `?`, `[...]`); relative paths resolve against `chdir`. */
  path: string;
  chdir?: string;
}

/** Whether a `creates`/`removes` path exists, and the first match when it is a glob. */
export interface PathExists {
  exists: boolean;
  /** The first existing path (the glob's first match), when one exists. */
  match?: string;
}

/** Characters that make a path a glob pattern (POSIX.1-2017 XCU 2.13). */
const GLOB = /[*?[]/;

/**
 * Fact `command.path_exists`: whether a path (or any match of a glob) exists on the host,
 * symlinks included even when dangling. This is how Ansible's `command` and `shell` decide
 * `creates` and `removes` (Python `glob.glob`, relative to `chdir`).
 *
 * The probe expands the pattern with the shell's pathname expansion only: the value is quoted
 * into a variable and expanded with an empty IFS, so no word splitting and no command
 * substitution can happen.
 *
 * @example commandPathExists({ path: '/var/lib/app/.installed' })
 */
export const commandPathExists = defineFact<PathExistsArgs, PathExists>({
  name: 'command.path_exists',
  description: 'Whether a path or glob exists (for creates/removes).',
  command: ({ path, chdir }) => {
    const cd = chdir !== undefined && !path.startsWith('/') ? sh`cd -- ${chdir} 2>/dev/null || { echo no; exit 0; }; ` : raw('');
    return sh`${cd}IFS=; p=${path}; set -- $p; if [ -e "$1" ] || [ -L "$1" ]; then printf 'yes\\t%s\\n' "$1"; else echo no; fi`;
  },
  parse: (stdout) => {
    const line = stdout.split('\n')[0] ?? '';
    if (line.startsWith('yes\t')) return { exists: true, match: line.slice(4) };
    return { exists: false };
  },
  resources: ({ path }) => {
    if (!path.startsWith('/')) return ['*'];
    if (!GLOB.test(path)) return [path];
    const fixed = path.slice(0, path.search(GLOB));
    const dir = fixed.slice(0, fixed.lastIndexOf('/')) || '/';
    return [dir];
  },
},
{
  // Nothing exists inside a directory that was just made (a glob or relative path: probe again).
  afterNewDirectories: (value, { path }, dirs) => (!value.exists && !GLOB.test(path) && placeInNewDirectories(path, dirs) !== undefined ? value : undefined),
});
