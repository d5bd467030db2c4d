import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** Who ran converge, as the audit log records it. */
export interface Operator {
  /** Local user name (`os.userInfo()`), or `$USER` when the passwd entry is missing. */
  user: string;
  uid: number;
  /** Controller host name. */
  host: string;
  /** Present when the playbook is in a git work tree. */
  git?: GitInfo;
}

/** The git state of the playbook's repository. */
export interface GitInfo {
  /** `HEAD` commit id. */
  commit?: string;
  /** Author of `HEAD` (`Name <email>`). */
  author?: string;
  /** The committer identity configured where converge runs (`user.name <user.email>`). */
  user?: string;
  /** True when the work tree has uncommitted changes (`git status --porcelain` not empty). */
  dirty?: boolean;
}

function git(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Whether git could find a repository for `dir`: `GIT_DIR` is set, or `dir` or one of its parents
 * holds a `.git` entry (a repository, or the link file of a worktree or submodule). When not, git
 * would not find one either (gitrepository-layout(5), git(1) `GIT_DIR`), and no process is started.
 */
function mayBeInGitRepository(dir: string): boolean {
  if (process.env.GIT_DIR) return true;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * The git facts of the repository holding `dir` through the `git` command (absent when `dir` is
 * not in a work tree or git is not installed): three git processes at most (two before the first
 * commit), none outside a repository. `git status --porcelain=v2 --branch` gives the work tree
 * check, the `HEAD` commit (`# branch.oid`, `(initial)` before the first commit) and the changes
 * in one process. Source: git-status(1) "Porcelain Format Version 2", git-log(1) `%an <%ae>`,
 * git-config(1) `--get-regexp` (the last value of a key wins, as `git config KEY` reports it),
 * git-rev-parse(1).
 */
export function gitInfo(dir: string): GitInfo | undefined {
  if (!mayBeInGitRepository(dir)) return undefined;
  const info: GitInfo = {};
  const status = git(dir, ['status', '--porcelain=v2', '--branch', '--untracked-files=no']);
  let commit: string | undefined;
  let dirty: boolean | undefined;
  if (status !== undefined) {
    const lines = status.split('\n').filter((l) => l !== '');
    const oid = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
    if (oid && oid !== '(initial)') commit = oid;
    dirty = lines.some((l) => !l.startsWith('#'));
  } else {
    // status fails outside a work tree, and in one whose index it cannot read: tell them apart
    if (git(dir, ['rev-parse', '--is-inside-work-tree']) !== 'true') return undefined;
    commit = git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']) || undefined;
  }
  if (commit) {
    info.commit = commit;
    const author = git(dir, ['log', '-1', '--no-show-signature', '--format=%an <%ae>', commit]);
    if (author) info.author = author;
  }
  const config = new Map<string, string>();
  for (const line of (git(dir, ['config', '--get-regexp', '^user\\.(name|email)$']) ?? '').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) config.set(line.slice(0, sp), line.slice(sp + 1));
  }
  const name = config.get('user.name');
  const email = config.get('user.email');
  if (name || email) info.user = `${name ?? ''}${email ? ` <${email}>` : ''}`.trim();
  if (dirty !== undefined) info.dirty = dirty;
  return info;
}

/** The local user and, when `dir` is in a git work tree, its git facts. */
export function currentOperator(dir: string): Operator {
  let user = process.env.USER ?? 'unknown';
  let uid = -1;
  try {
    const u = userInfo();
    user = u.username;
    uid = u.uid;
  } catch {
    // no passwd entry (containers with arbitrary uids)
  }
  const g = gitInfo(dir);
  return { user, uid, host: hostname(), ...(g ? { git: g } : {}) };
}

/** A file or directory named in the audit log, with the sha256 of its content. */
export interface HashedPath {
  path: string;
  /** Hex sha256 of the file; for a directory, of every file below it (sorted relative path, NUL, content, NUL). Absent when unreadable. */
  sha256?: string;
}

/** Hashes a file or a directory tree (see {@link HashedPath}); `.converge` and `.git` are skipped. */
export function hashPath(path: string): HashedPath {
  const abs = resolve(path);
  try {
    const h = createHash('sha256');
    if (statSync(abs).isDirectory()) {
      for (const f of filesBelow(abs)) {
        h.update(relative(abs, f)).update('\0').update(readFileSync(f)).update('\0');
      }
    } else h.update(readFileSync(abs));
    return { path: abs, sha256: h.digest('hex') };
  } catch {
    return { path: abs };
  }
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n !== '.git' && n !== '.converge' && n !== 'node_modules')
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? filesBelow(p) : [p];
    });
}
