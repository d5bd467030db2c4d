import { defineModule, raw, sh, Type } from '@converge/core';
import type { ExecResult, Static } from '@converge/core';
import { repositoryName, repositoryPaths } from './location.js';
import { DEFAULT_CONFIG_DIR } from './repository.js';
import { resticIn } from './restic-shell.js';

/** JSON Schema of the `restic.restore_drill` module's params. */
export const RestoreDrillParams = Type.Object(
  {
    repository: repositoryName('Name of the repository to restore from (a `restic.repository`).'),
    path: Type.String({ pattern: '^/.', description: 'A backed-up directory: the latest snapshot holding it is restored and compared with the live directory.' }),
    tag: Type.Optional(Type.String({ minLength: 1, description: 'Consider only snapshots with this tag (e.g. the job name).' })),
    excludes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: "The job's exclude patterns: live files they match are not expected in the snapshot (`*`, `?`, `**`; a pattern without `/` matches any path component)." }),
    ),
    scratch_dir: Type.Optional(Type.String({ pattern: '^/.', default: '/var/tmp/restic-drill', description: 'Where the snapshot is restored (created 0700, emptied before and removed after the drill).' })),
    config_dir: Type.Optional(Type.String({ pattern: '^/', default: DEFAULT_CONFIG_DIR, description: "Same as the repository's config_dir." })),
  },
  { additionalProperties: false },
);

/** Params of `restic.restore_drill`. */
export type RestoreDrillParams = Static<typeof RestoreDrillParams>;

/** One file whose restored copy does not match the live one. */
export interface DrillMismatch {
  /** Path relative to the drilled directory. */
  path: string;
  /** `missing`: live but not restored; `extra`: restored but no longer live; `differs`: other sha256. */
  kind: 'missing' | 'extra' | 'differs';
}

/** What a drill found. */
export interface DrillResult {
  snapshot: string | null;
  snapshotTime: string | null;
  /** Files compared (restored). */
  files: number;
  mismatches: DrillMismatch[];
}

function sums(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const hit = /^\\?([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (hit) m.set((hit[2] as string).replace(/^\.\//, ''), hit[1] as string);
  }
  return m;
}

function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * True when restic's exclude `pattern` matches `path` (absolute): a pattern with a leading `/`
 * matches from the root, any other pattern matches any run of consecutive path components.
 * Source: restic manual, "Excluding Files".
 */
export function excludeMatches(pattern: string, path: string): boolean {
  const re = globRegex(pattern.replace(/\/+$/, ''));
  const parts = path.split('/').filter(Boolean);
  if (pattern.startsWith('/')) {
    for (let n = 1; n <= parts.length; n++) if (re.test(`/${parts.slice(0, n).join('/')}`)) return true;
    return false;
  }
  for (let start = 0; start < parts.length; start++) {
    for (let end = start + 1; end <= parts.length; end++) if (re.test(parts.slice(start, end).join('/'))) return true;
  }
  return false;
}

/**
 * Parses the drill's output: `@snapshot` (restic snapshots --json), `@live` and `@restored`
 * (sha256sum(1) lines of every regular file, relative paths), and compares the two lists.
 */
export function parseDrill(stdout: string, base = '/', excludes: readonly string[] = []): DrillResult {
  const sec = new Map<string, string>();
  for (const part of stdout.split(/^@(?=snapshot$|live$|restored$)/m).slice(1)) {
    const nl = part.indexOf('\n');
    sec.set(part.slice(0, nl), part.slice(nl + 1));
  }
  let snapshot: string | null = null;
  let snapshotTime: string | null = null;
  try {
    const list = JSON.parse(sec.get('snapshot') ?? '[]') as { id?: string; time?: string }[];
    const s = list.at(-1);
    snapshot = s?.id ?? null;
    snapshotTime = s?.time ?? null;
  } catch {
    // no snapshot JSON: reported as null
  }
  const live = sums(sec.get('live') ?? '');
  const restored = sums(sec.get('restored') ?? '');
  const mismatches: DrillMismatch[] = [];
  const root = base.replace(/\/+$/, '');
  for (const [path, sum] of live) {
    if (excludes.some((x) => excludeMatches(x, `${root}/${path}`))) continue;
    const r = restored.get(path);
    if (r === undefined) mismatches.push({ path, kind: 'missing' });
    else if (r !== sum) mismatches.push({ path, kind: 'differs' });
  }
  for (const path of restored.keys()) if (!live.has(path)) mismatches.push({ path, kind: 'extra' });
  mismatches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { snapshot, snapshotTime, files: restored.size, mismatches };
}

/**
 * Module `restic.restore_drill`: proves a backup can be restored. Restores the latest snapshot
 * that holds `path` (`restic restore latest --path P --include P`) into a scratch directory,
 * computes the sha256 of every regular file there and in the live directory, and reports the
 * mismatches (missing, extra, differing files); live files that the job's `excludes` match are
 * not expected. Any mismatch fails the task. The scratch
 * directory is removed afterwards. An action: it always runs and reports changed (like
 * `command`), and it is not verified.
 *
 * Files that changed since the snapshot are reported too: run it right after a backup, or on
 * data that does not move.
 *
 * @example resticRestoreDrill({ repository: 'scaleway', path: '/srv/www', tag: 'www' })
 */
export const resticRestoreDrill = defineModule({
  name: 'restic.restore_drill',
  description: 'Restore the latest snapshot of a directory into a scratch directory and compare checksums with the live data.',
  params: RestoreDrillParams,
  plan: ({ params: p }) => ({
    changes: [{ path: 'drill', before: null, after: `restore the latest snapshot of ${p.path} from ${p.repository} and compare` }],
  }),
  apply: ({ params: p }) => {
    const paths = repositoryPaths(p.config_dir ?? DEFAULT_CONFIG_DIR, p.repository);
    const scratch = `${(p.scratch_dir ?? '/var/tmp/restic-drill').replace(/\/+$/, '')}/${p.repository}`;
    const path = p.path.replace(/\/+$/, '');
    const filter = p.tag ? sh`--path ${path} --tag ${p.tag}` : sh`--path ${path}`;
    const listing = raw(`find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum`);
    const script = sh`set -e
scratch=${scratch}
rm -rf -- "$scratch"
mkdir -p -m 0700 -- "$scratch"
trap 'rm -rf -- "$scratch"' EXIT
printf '@snapshot\\n'
${resticIn(paths, sh`--no-lock snapshots --json --latest 1 ${filter}`)}
printf '\\n'
${resticIn(paths, sh`restore latest ${filter} --include ${path} --target "$scratch"`)} >/dev/null
printf '@live\\n'
(cd -- ${path} && ${listing})
printf '@restored\\n'
if [ -d "$scratch"${path} ]; then (cd -- "$scratch"${path} && ${listing}); fi`;
    return [{ script, description: `restore drill of ${p.path} from ${p.repository}` }];
  },
  outcome: (out: ExecResult, { params: p }) => {
    if (out.exitCode !== 0) return { failed: true, message: `restore drill failed: ${out.stderr.trim() || `exit ${out.exitCode}`}` };
    const r = parseDrill(out.stdout, p.path, p.excludes ?? []);
    const result: Record<string, unknown> = { ...r };
    if (r.snapshot === null) return { failed: true, result, message: 'restore drill: no snapshot holds this path' };
    if (r.mismatches.length > 0) {
      const shown = r.mismatches.slice(0, 20).map((m) => `${m.kind} ${m.path}`).join(', ');
      return { failed: true, result, message: `restore drill: ${r.mismatches.length} mismatch(es) in ${r.files} restored file(s): ${shown}` };
    }
    return { changed: true, result, message: `restored ${r.files} file(s) from snapshot ${r.snapshot.slice(0, 8)} (${r.snapshotTime ?? '?'}): all checksums match` };
  },
  resources: (p) => [(p.scratch_dir ?? '/var/tmp/restic-drill').replace(/\/+$/, '')],
  verify: false,
});
