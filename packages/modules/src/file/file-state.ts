import { ConvergeError, defineFact, raw, sh, sha256Hex } from '@converge/core';
import type { RawShell } from '@converge/core';
import { posix } from 'node:path';
import { shellDirname } from './atomic-write.js';

/** Attributes of an existing filesystem object, as stat(1) reports them. */
export interface FileInfo {
  type: 'file' | 'directory' | 'other';
  /** Permission bits as a 4-digit octal string, e.g. `0644`. */
  mode: string;
  owner: string;
  group: string;
  uid: number;
  gid: number;
  /** Size in bytes. */
  size: number;
  /** `device:inode`, to recognise hard links. */
  inode: string;
  /** Hex sha256 of a regular file's bytes (absent when unreadable or not a regular file). */
  sha256?: string;
  /**
   * The file's bytes as a binary string (one char per byte, latin1), when the probe was asked
   * for it (see {@link FileStateArgs}); `undefined` otherwise.
   */
  content?: string;
  /** True when content was asked for but the file is larger than the probe's limit. */
  contentTooLarge?: boolean;
}

/**
 * What is at a path: `type` is the path itself (`link` for a symlink, not followed); `target`
 * describes what the path resolves to (the link's target, or the path itself).
 */
export interface FileState {
  path: string;
  type: 'absent' | 'file' | 'directory' | 'link' | 'other';
  /** True when the directory that would hold the path exists. */
  parentExists: boolean;
  /** A symlink's text, as readlink(1) prints it. */
  linkTarget?: string;
  /** `readlink -f` of a symlink: where an edit that follows links writes. */
  realPath?: string;
  /** Owner and group of the symlink itself, by name and id. */
  linkOwner?: string;
  linkGroup?: string;
  linkUid?: number;
  linkGid?: number;
  /** The followed object; absent when the path (or the link's target) does not exist. */
  target?: FileInfo;
  /** With `recurse`: true when something below the directory differs from the wanted owner, group or mode. */
  recurseDiffers?: boolean;
}

/** Arguments of {@link fileState}. */
export interface FileStateArgs {
  path: string;
  /** Return the content of a regular file (edit modules: lineinfile, blockinfile, ini_file). */
  content?: boolean;
  /**
   * The sha256 the task wants (copy, template): the content is returned only when the file's
   * hash differs, so an unchanged file costs one hash and no transfer.
   */
  contentUnlessSha256?: string;
  /** For `file` with `recurse`: look for an entry below the directory that differs. */
  recurse?: { owner?: string | number; group?: string | number; mode?: string };
}

/** Largest file whose content the probe returns (a diff of a bigger file is useless). */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;

// `@{` stands for `${` (a template literal cannot hold it as text).
const shell = (text: string): string => text.replace(/@\{/g, '${');

/**
 * The probe as a shell function, sent once per probe script: `cv_file_state KEY FULL PATH [WANT]`
 * (FULL 1: print the content; WANT: print it when the sha256 differs). The parent directory is found as dirname(1) computes it, by parameter expansion (no
 * process per path). KEY names the variables `KEY_s` (stat line) and `KEY_h` (sha256) that
 * {@link BATCH} may have set; without them the function runs stat and sha256sum itself.
 */
const PRELUDE = shell(String.raw`cv_file_state() {
cv_fs_p=$3 cv_fs_want=@{4-} cv_fs_full=$2 cv_fs_s= cv_fs_h=
eval "cv_fs_s=\@{$1_s-}; cv_fs_h=\@{$1_h-}"
${shellDirname('cv_fs_p', 'cv_fs_d')}
if [ -d "$cv_fs_d" ]; then echo 'parent yes'; else echo 'parent no'; fi
cv_fs_t=
if [ -L "$cv_fs_p" ]; then
  cv_fs_s= cv_fs_h=
  echo "type link"
  cv_fs_l=$(readlink -- "$cv_fs_p"); echo "link $(printf '%s' "$cv_fs_l" | base64 -w0)"
  echo "self $(stat -c '%U|%G|%u|%g' -- "$cv_fs_p")"
  cv_fs_r=$(readlink -f -- "$cv_fs_p") && [ -n "$cv_fs_r" ] && echo "real $(printf '%s' "$cv_fs_r" | base64 -w0)"
  if [ -e "$cv_fs_p" ]; then cv_fs_t=$cv_fs_r; fi
elif [ -e "$cv_fs_p" ]; then
  cv_fs_t=$cv_fs_p
else
  echo 'type absent'
fi
if [ -n "$cv_fs_t" ]; then
  [ -n "$cv_fs_s" ] || cv_fs_s=$(stat -L -c '%F|%a|%U|%G|%u|%g|%s|%d:%i' -- "$cv_fs_t")
  echo "stat $cv_fs_s"
  if [ -f "$cv_fs_t" ]; then
    if [ -n "$cv_fs_h" ] || { cv_fs_h=$(sha256sum < "$cv_fs_t" 2>/dev/null) && cv_fs_h=@{cv_fs_h%% *}; }; then echo "sha256 $cv_fs_h"; else cv_fs_h=; fi
    if [ "$cv_fs_full" = 1 ] || { [ -n "$cv_fs_want" ] && [ "$cv_fs_want" != "$cv_fs_h" ]; }; then
      cv_fs_z=@{cv_fs_s%|*}; cv_fs_z=@{cv_fs_z##*|}
      if [ "$cv_fs_z" -le ${MAX_CONTENT_BYTES} ]; then printf 'content '; base64 -w0 < "$cv_fs_t"; echo; else echo 'content toolarge'; fi
    fi
  fi
fi
}
`);

/**
 * One stat(1) and one sha256sum(1) for all paths of a probe script: `cv_file_state_batch KEY
 * PATH KEY PATH …` sets `KEY_s` and `KEY_h` for the paths that exist and are not symlinks. Both
 * programs exit non-zero when any operand fails, and then nothing of theirs is used, so a line is
 * never matched with the wrong path (each operand prints exactly one line otherwise; sha256sum
 * escapes names with a backslash or newline and marks the line with a leading backslash).
 */
const BATCH = shell(String.raw`cv_file_state_batch() {
cv_ks= cv_n=$#
while [ "$cv_n" -gt 0 ]; do
  cv_k=$1; cv_p=$2; shift 2; cv_n=$((cv_n - 2))
  case $cv_p in /*) ;; *) cv_p=./$cv_p ;; esac
  if [ ! -L "$cv_p" ] && [ -e "$cv_p" ]; then set -- "$@" "$cv_p"; cv_ks="$cv_ks $cv_k"; fi
done
[ $# -gt 0 ] || return 0
cv_o=$(stat -L -c '%F|%a|%U|%G|%u|%g|%s|%d:%i' -- "$@") || return 0
cv_nl='
'
cv_o=$cv_o$cv_nl; cv_hs=
for cv_k in $cv_ks; do
  cv_l=@{cv_o%%"$cv_nl"*}; cv_o=@{cv_o#*"$cv_nl"}; cv_p=$1; shift
  eval "$cv_k""_s=\$cv_l"
  case $cv_l in regular*) if [ -r "$cv_p" ]; then set -- "$@" "$cv_p"; cv_hs="$cv_hs $cv_k"; fi ;; esac
done
[ $# -gt 0 ] || return 0
cv_o=$(sha256sum -- "$@") || return 0
cv_o=$cv_o$cv_nl
for cv_k in $cv_hs; do
  cv_l=@{cv_o%%"$cv_nl"*}; cv_o=@{cv_o#*"$cv_nl"}; cv_l=@{cv_l#\\}
  eval "$cv_k""_h=\@{cv_l%% *}"
done
}
`);

/**
 * The shell functions of {@link fileState} (`cv_file_state KEY FULL PATH [WANT]`), for facts that
 * resolve a path on the host first (a user's home) and then describe it the same way; their
 * output parses with {@link parseFileState}. KEY `cvfs_none` reads no batched results.
 */
export const FILE_STATE_PRELUDE = `${PRELUDE}${BATCH}`;

/** The shell variable prefix of a path's batched results (hex: safe in a variable name). */
function batchKey(path: string): string {
  return `cvfs_${sha256Hex(path).slice(0, 16)}`;
}

/**
 * Probes one path: its type without following links, the followed object's stat (mode, owner,
 * group, size, inode), the sha256 of a regular file, a symlink's text and real path, and the
 * content when asked (binary-safe, base64 on the wire). POSIX sh + GNU coreutils (stat, sha256sum,
 * base64, readlink); `find` only with `recurse`. In a probe script of several paths, one `stat`
 * and one `sha256sum` serve them all (see the batch); the command alone gives the same value.
 *
 * Parsed from `key value` lines; see {@link FileState}.
 */
export const fileState = defineFact<FileStateArgs, FileState>(
  {
    name: 'file.state',
    description: 'Type, mode, owner, group, sha256 and (when asked) content of a path.',
    command: (args) =>
      sh`cv_file_state ${raw(batchKey(args.path))} ${raw(args.content ? '1' : '0')} ${args.path}${args.contentUnlessSha256 === undefined ? raw('') : sh` ${args.contentUnlessSha256}`}${recurseProbe(args.recurse)}`,
    parse: (stdout, { args }) => parseFileState(stdout, args.path),
    resources: (args) => [args.path],
  },
  {
    prelude: FILE_STATE_PRELUDE,
    // cv_file_state assigns every variable it reads (cv_fs_*) and never exits; the recurse probe reads its cv_fs_t.
    sameShell: true,
    batch: (list) => {
      const paths = [...new Set(list.map((a) => a.path))];
      return paths.length < 2 ? '' : sh`cv_file_state_batch ${paths.flatMap((p) => [batchKey(p), p])}`;
    },
    afterNewDirectories: (value, args, dirs) => {
      if (args.recurse || value.type !== 'absent') return undefined;
      const where = placeInNewDirectories(args.path, dirs);
      if (where === undefined) return undefined;
      return where === 'child' ? { ...value, parentExists: true } : value;
    },
  },
);

/**
 * Where `path` lies relative to new, empty directories `dirs` (outermost first, as a plan's
 * `newDirectories`): `child` for an entry of one of them, `below` for a path deeper inside,
 * `undefined` when it is one of them, outside them, or not a plain absolute path (`.`, `..`,
 * `//` or a trailing `/` resolve through the file system, not by text).
 */
export function placeInNewDirectories(path: string, dirs: readonly string[]): 'child' | 'below' | undefined {
  const top = dirs[0];
  if (top === undefined || !path.startsWith(`${top}/`) || posix.normalize(path) !== path || path.endsWith('/') || dirs.includes(path)) return undefined;
  return dirs.includes(posix.dirname(path)) ? 'child' : 'below';
}

function recurseProbe(r: FileStateArgs['recurse']): RawShell {
  if (!r || (r.owner === undefined && r.group === undefined && r.mode === undefined)) return raw('');
  const tests: unknown[] = [];
  // find(1) looks a name of digits up as a name first: a number given as a number is an id.
  if (r.owner !== undefined) tests.push(typeof r.owner === 'number' ? sh`! -uid ${r.owner}` : sh`! -user ${r.owner}`);
  if (r.group !== undefined) tests.push(typeof r.group === 'number' ? sh`! -gid ${r.group}` : sh`! -group ${r.group}`);
  if (r.mode !== undefined) tests.push(sh`! -perm ${r.mode}`);
  const joined = tests.map((t) => String(t)).join(' -o ');
  return sh`
if [ -n "$cv_fs_t" ] && [ -d "$cv_fs_t" ] && [ -n "$(find "$cv_fs_t" -mindepth 1 \\( ${raw(joined)} \\) -print 2>/dev/null | head -n 1)" ]; then echo 'recurse differs'; fi
`;
}

/** Pure parser of the probe's output (exported for fact tests). */
export function parseFileState(stdout: string, path: string): FileState {
  const state: FileState = { path, type: 'absent', parentExists: false };
  let sawType = false;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    switch (key) {
      case 'parent':
        state.parentExists = value === 'yes';
        break;
      case 'type':
        state.type = value === 'link' ? 'link' : 'absent';
        sawType = true;
        break;
      case 'link':
        state.linkTarget = Buffer.from(value, 'base64').toString('utf8');
        break;
      case 'real':
        state.realPath = Buffer.from(value, 'base64').toString('utf8');
        break;
      case 'self': {
        const [owner, group, uid, gid] = value.split('|');
        state.linkOwner = owner ?? '';
        state.linkGroup = group ?? '';
        if (uid !== undefined && gid !== undefined) {
          state.linkUid = Number(uid);
          state.linkGid = Number(gid);
        }
        break;
      }
      case 'stat': {
        const f = value.split('|');
        if (f.length < 8) throw new ConvergeError('CONVERGE_FACT', `file.state ${path}: unexpected stat output ${JSON.stringify(value)}`);
        const kind = f[0] ?? '';
        const info: FileInfo = {
          type: kind.startsWith('regular') ? 'file' : kind === 'directory' ? 'directory' : 'other',
          mode: (f[1] ?? '0').padStart(4, '0'),
          owner: f[2] ?? '',
          group: f[3] ?? '',
          uid: Number(f[4]),
          gid: Number(f[5]),
          size: Number(f[6]),
          inode: f[7] ?? '',
        };
        state.target = info;
        if (state.type !== 'link') state.type = info.type;
        sawType = true;
        break;
      }
      case 'sha256':
        if (state.target) state.target.sha256 = value;
        break;
      case 'content':
        if (state.target) {
          if (value === 'toolarge') state.target.contentTooLarge = true;
          else state.target.content = Buffer.from(value, 'base64').toString('latin1');
        }
        break;
      case 'recurse':
        state.recurseDiffers = value === 'differs';
        break;
      default:
        break;
    }
  }
  if (!sawType) throw new ConvergeError('CONVERGE_FACT', `file.state ${path}: the probe printed nothing usable`, { detail: stdout });
  return state;
}
