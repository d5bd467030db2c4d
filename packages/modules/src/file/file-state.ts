import { ConvergeError, defineFact, raw, sh } from '@converge/core';
import type { RawShell } from '@converge/core';

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
  /** Owner and group of the symlink itself. */
  linkOwner?: string;
  linkGroup?: string;
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
  recurse?: { owner?: string; group?: string; mode?: string };
}

/** Largest file whose content the probe returns (a diff of a bigger file is useless). */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;

// The parent directory as dirname(1) computes it, by parameter expansion: no process per path.
const PROBE = String.raw`
d=$p
while [ "$d" != / ] && [ "${"${"}d%/}" != "$d" ]; do d=${"${"}d%/}; done
case $d in */*) d=${"${"}d%/*} ;; *) d=. ;; esac
while [ "$d" != / ] && [ "${"${"}d%/}" != "$d" ]; do d=${"${"}d%/}; done
[ -n "$d" ] || d=/
if [ -d "$d" ]; then echo 'parent yes'; else echo 'parent no'; fi
t=
if [ -L "$p" ]; then
  echo "type link"
  l=$(readlink -- "$p"); echo "link $(printf '%s' "$l" | base64 -w0)"
  echo "self $(stat -c '%U|%G' -- "$p")"
  r=$(readlink -f -- "$p") && [ -n "$r" ] && echo "real $(printf '%s' "$r" | base64 -w0)"
  if [ -e "$p" ]; then t=$r; fi
elif [ -e "$p" ]; then
  t=$p
else
  echo 'type absent'
fi
if [ -n "$t" ]; then
  echo "stat $(stat -L -c '%F|%a|%U|%G|%u|%g|%s|%d:%i' -- "$t")"
  if [ -f "$t" ]; then
    if h=$(sha256sum < "$t" 2>/dev/null); then h=${"${"}h%% *}; echo "sha256 $h"; else h=; fi
    if [ "$full" = 1 ] || { [ -n "$want" ] && [ "$want" != "$h" ]; }; then
      s=$(stat -L -c %s -- "$t")
      if [ "$s" -le "$max" ]; then printf 'content '; base64 -w0 < "$t"; echo; else echo 'content toolarge'; fi
    fi
  fi
fi
`;

/**
 * Probes one path: its type without following links, the followed object's stat (mode, owner,
 * group, size, inode), the sha256 of a regular file, a symlink's text and real path, and the
 * content when asked (binary-safe, base64 on the wire). POSIX sh + GNU coreutils (stat, sha256sum,
 * base64, readlink); `find` only with `recurse`.
 *
 * Parsed from `key value` lines; see {@link FileState}.
 */
export const fileState = defineFact<FileStateArgs, FileState>({
  name: 'file.state',
  description: 'Type, mode, owner, group, sha256 and (when asked) content of a path.',
  command: (args) => {
    const head = sh`p=${args.path}; want=${args.contentUnlessSha256 ?? ''}; full=${args.content ? '1' : '0'}; max=${MAX_CONTENT_BYTES}`;
    return sh`${head}${raw(PROBE)}${recurseProbe(args.recurse)}`;
  },
  parse: (stdout, { args }) => parseFileState(stdout, args.path),
  resources: (args) => [args.path],
});

function recurseProbe(r: FileStateArgs['recurse']): RawShell {
  if (!r || (r.owner === undefined && r.group === undefined && r.mode === undefined)) return raw('');
  const tests: unknown[] = [];
  if (r.owner !== undefined) tests.push(sh`! -user ${r.owner}`);
  if (r.group !== undefined) tests.push(sh`! -group ${r.group}`);
  if (r.mode !== undefined) tests.push(sh`! -perm ${r.mode}`);
  const joined = tests.map((t) => String(t)).join(' -o ');
  return sh`if [ -n "$t" ] && [ -d "$t" ] && [ -n "$(find "$t" -mindepth 1 \\( ${raw(joined)} \\) -print 2>/dev/null | head -n 1)" ]; then echo 'recurse differs'; fi
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
        const [owner, group] = value.split('|');
        state.linkOwner = owner ?? '';
        state.linkGroup = group ?? '';
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
