import { lstatSync, mkdirSync } from 'node:fs';

/**
 * Makes `dir` (mode 0700, with its parents) when it is missing, and says what keeps it from being
 * private to this user: not a directory (a link, a file), another user's, or open to group or
 * others. For directories whose contents converge trusts (code it loads, a socket it talks to):
 * what others can write there could be theirs.
 *
 * @returns undefined when the directory is private, else the problem, e.g. `has mode 0755: group
 * and others must have no permission on it`.
 * @throws the file system's error when the directory cannot be made or read.
 */
export function privateDirProblem(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) return 'is not a directory';
  if (uid !== undefined && st.uid !== uid) return `belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: group and others must have no permission on it`;
  return undefined;
}
