import { ConvergeError, defineFact, raw, sh } from '@converge/core';

/** One entry below a directory, as find(1) reports it. */
export interface TreeEntry {
  type: 'file' | 'directory' | 'link' | 'other';
  /** Permission bits, 4-digit octal. */
  mode: string;
  size: number;
  /** A symlink's text. */
  linkTarget?: string;
  /** Hex sha256 of a regular file (when hashed). */
  sha256?: string;
}

/** What is at a directory path and below it, keyed by path relative to it (`a/b.txt`). */
export interface TreeState {
  root: 'directory' | 'absent' | 'other';
  parentExists: boolean;
  entries: Record<string, TreeEntry>;
}

/** Arguments of {@link treeState}. */
export interface TreeStateArgs {
  path: string;
  /** Hash only these files (relative paths); all regular files when absent. */
  hash?: string[];
}

const TYPES: Record<string, TreeEntry['type']> = { f: 'file', d: 'directory', l: 'link' };

/** Undoes sha256sum's escaping of a name holding `\` or a newline (the line then starts with `\`). */
function unescapeName(line: string): [string, string] | undefined {
  const escaped = line.startsWith('\\');
  const m = /^\\?([0-9a-f]{64}) [ *](.*)$/s.exec(line);
  if (!m) return undefined;
  const name = escaped ? (m[2] ?? '').replace(/\\(\\|n)/g, (_a, c: string) => (c === 'n' ? '\n' : '\\')) : (m[2] ?? '');
  return [m[1] as string, name.replace(/^\.\//, '')];
}

/**
 * Fact `tree.state`: every entry below a directory with its type, mode, size and symlink text
 * (one find(1) with `-printf`, NUL-separated so any name survives), and the sha256 of its
 * regular files (one sha256sum for all, or for the `hash` list only): what a tree copy or an
 * archive extraction compares against, in one probe.
 */
export const treeState = defineFact<TreeStateArgs, TreeState>({
  name: 'tree.state',
  description: 'Every entry below a directory with type, mode, size and sha256.',
  command: ({ path, hash }) => {
    const sums =
      hash === undefined
        ? raw("find . -type f -exec sha256sum -- {} +")
        : hash.length === 0
          ? raw(':')
          : sh`for f in ${hash}; do if [ -f "./$f" ] && [ ! -L "./$f" ]; then printf '%s\\0' "./$f"; fi; done | xargs -0 -r sha256sum --`;
    return sh`d=${path}
case $d in */*) up=\${d%/*} ;; *) up=. ;; esac
if [ -d "\${up:-/}" ]; then echo 'parent yes'; fi
if [ -L "$d" ] || [ ! -e "$d" ]; then echo 'root absent'; exit 0; fi
if [ ! -d "$d" ]; then echo 'root other'; exit 0; fi
cd -- "$d" || exit 1
echo 'root directory'
echo '@@entries'
find . -mindepth 1 -printf '%y %m %s %P\\0%l\\0'
echo
echo '@@sha'
${sums}`;
  },
  parse: (stdout, { args }) => {
    const root = /^root (directory|absent|other)$/m.exec(stdout)?.[1] as TreeState['root'] | undefined;
    if (root === undefined) throw new ConvergeError('CONVERGE_FACT', `tree.state ${args.path}: unexpected output`, { detail: stdout.slice(0, 500) });
    const state: TreeState = { root, parentExists: /^parent yes$/m.test(stdout), entries: {} };
    const e = stdout.indexOf('@@entries\n');
    const s = stdout.indexOf('\n@@sha\n');
    if (e < 0 || s < 0) return state;
    const fields = stdout.slice(e + '@@entries\n'.length, s).split('\0');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const m = /^(\S) (\d+) (\d+) ([\s\S]*)$/.exec(fields[i] ?? '');
      if (!m) continue;
      const type = TYPES[m[1] as string] ?? 'other';
      state.entries[m[4] as string] = { type, mode: (m[2] as string).padStart(4, '0'), size: Number(m[3]), ...(type === 'link' ? { linkTarget: fields[i + 1] ?? '' } : {}) };
    }
    // sha256sum lines; a name with a newline is one escaped line, so split on lines that start a record.
    for (const line of stdout.slice(s + '\n@@sha\n'.length).split('\n')) {
      const r = unescapeName(line);
      if (!r) continue;
      const entry = state.entries[r[1]];
      if (entry) entry.sha256 = r[0];
    }
    return state;
  },
  resources: ({ path }) => [path],
});
