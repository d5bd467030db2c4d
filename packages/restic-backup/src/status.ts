import { ConvergeError, defineFact, defineModule, raw, sh, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { repositoryName, repositoryPaths } from './location.js';
import { DEFAULT_CONFIG_DIR } from './repository.js';
import { captured, NEED_RESTIC, resticIn, splitCaptured } from './restic-shell.js';

/** Arguments of {@link resticRepositoryStatus}. */
export interface RepositoryStatusArgs {
  name: string;
  config_dir: string;
  /** Count only snapshots with this tag (a job name). */
  tag?: string;
  /** Also run `restic check` (reads every index and tree; `read_data` is not done). */
  check: boolean;
}

/** One repository's health, from `restic snapshots --json` and optionally `restic check`. */
export interface RepositoryStatus {
  repository: string;
  /** Number of snapshots (with the tag, when one is given). */
  snapshots: number;
  /** Time of the newest snapshot (ISO 8601), `null` when there is none. */
  latest: string | null;
  latestId: string | null;
  /** Hours between the newest snapshot and the host's clock at the probe; `null` without snapshots. */
  ageHours: number | null;
  /** `ok`, `failed` (with `checkMessage`), or `skipped` when no check was asked. */
  check: 'ok' | 'failed' | 'skipped';
  checkMessage?: string;
  /** Set when restic could not list the snapshots (unreachable, wrong password, not initialised). */
  error?: string;
}

/**
 * Parses the `restic.repository_status` probe: `now=<epoch>`, then `@snapshots` and `@check`
 * sections of `rc=N` + output (see restic-shell `captured`).
 */
export function parseRepositoryStatus(stdout: string, args: RepositoryStatusArgs): RepositoryStatus {
  const base: RepositoryStatus = { repository: args.name, snapshots: 0, latest: null, latestId: null, ageHours: null, check: 'skipped' };
  if (stdout.trim() === 'no-env') return { ...base, error: `no env file for repository ${args.name} (not managed by restic.repository yet)` };
  const now = Number(/^now=(\d+)$/m.exec(stdout)?.[1]);
  const sections = new Map<string, string>();
  for (const part of stdout.split(/^@(?=snapshots$|check$)/m).slice(1)) {
    const nl = part.indexOf('\n');
    sections.set(part.slice(0, nl), part.slice(nl + 1));
  }
  const snaps = splitCaptured(sections.get('snapshots') ?? stdout);
  if (snaps.rc < 0) throw new ConvergeError('CONVERGE_FACT', 'the restic snapshots probe printed no status', { detail: stdout });
  if (snaps.rc !== 0) return { ...base, error: (snaps.out.split('\n').find((l) => l.startsWith('Fatal:')) ?? snaps.out).trim() };
  let list: { time?: string; id?: string }[];
  try {
    list = JSON.parse(snaps.out) as { time?: string; id?: string }[];
    if (!Array.isArray(list)) throw new Error('not a list');
  } catch (e) {
    throw new ConvergeError('CONVERGE_FACT', 'restic snapshots --json printed no list', { cause: e, detail: snaps.out });
  }
  const times = list.filter((s) => typeof s.time === 'string').sort((a, b) => Date.parse(b.time as string) - Date.parse(a.time as string));
  const newest = times[0];
  const out: RepositoryStatus = { ...base, snapshots: list.length };
  if (newest) {
    out.latest = newest.time as string;
    out.latestId = newest.id ?? null;
    if (Number.isFinite(now)) out.ageHours = Math.round(((now * 1000 - Date.parse(newest.time as string)) / 3_600_000) * 100) / 100;
  }
  const chk = sections.get('check');
  if (chk !== undefined) {
    const c = splitCaptured(chk);
    out.check = c.rc === 0 ? 'ok' : 'failed';
    if (c.rc !== 0) out.checkMessage = c.out.split('\n').filter((l) => /error|Fatal|fail/i.test(l)).slice(0, 10).join('\n') || c.out.slice(-2000);
  }
  return out;
}

/**
 * Fact `restic.repository_status`: snapshot count, newest snapshot and its age, and (when
 * asked) the `restic check` verdict of one repository. Read-only: `snapshots` runs with
 * `--no-lock`; `check` takes restic's usual lock for its duration and removes it.
 */
export const resticRepositoryStatus = defineFact<RepositoryStatusArgs, RepositoryStatus>({
  name: 'restic.repository_status',
  description: 'Snapshots and check result of a restic repository.',
  command: (a) => {
    const paths = repositoryPaths(a.config_dir, a.name);
    const snap = resticIn(paths, a.tag ? sh`--no-lock snapshots --json --tag ${a.tag}` : raw('--no-lock snapshots --json'));
    const check = a.check ? sh`; printf '@check\\n'; ${captured(resticIn(paths, raw('check')))}` : raw('');
    return sh`if [ ! -r ${paths.env} ]; then echo no-env; exit 0; fi; ${NEED_RESTIC}; printf 'now=%s\\n@snapshots\\n' "$(date -u +%s)"; ${captured(snap)}${check}`;
  },
  parse: (stdout, { args }) => parseRepositoryStatus(stdout, args),
  resources: (a) => [`restic:${a.name}`, repositoryPaths(a.config_dir, a.name).dir],
});

/** JSON Schema of the `restic.status` module's params. */
export const StatusParams = Type.Object(
  {
    repository: repositoryName('Name of the repository (a `restic.repository`).'),
    tag: Type.Optional(Type.String({ minLength: 1, description: 'Count only snapshots with this tag (e.g. a job name).' })),
    check: Type.Optional(Type.Boolean({ default: false, description: 'Also run `restic check` and fail when it finds errors.' })),
    max_age_hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Fail when the newest snapshot is older than this (hours), or when there is none.' })),
    config_dir: Type.Optional(Type.String({ pattern: '^/', default: DEFAULT_CONFIG_DIR, description: "Same as the repository's config_dir." })),
  },
  { additionalProperties: false },
);

/** Params of `restic.status`. */
export type StatusParams = Static<typeof StatusParams>;

/**
 * Module `restic.status`: reads a repository's status (fact `restic.repository_status`) and
 * changes nothing. The task's result holds `repository`, `snapshots`, `latest`, `latestId`,
 * `ageHours`, `check` and `checkMessage`, so a playbook can alert with `failedWhen`
 * (e.g. `failedWhen: (r) => (r.ageHours as number) > 26`); `max_age_hours` and `check: true`
 * fail the task by themselves. A repository restic cannot read fails the task.
 *
 * @example resticStatus({ repository: 'ovh', tag: 'www', max_age_hours: 26 })
 */
export const resticStatus = defineModule({
  name: 'restic.status',
  description: 'Report (and optionally require) the freshness and health of a restic repository.',
  params: StatusParams,
  facts: (p) => ({
    status: resticRepositoryStatus({ name: p.repository, config_dir: p.config_dir ?? DEFAULT_CONFIG_DIR, check: p.check ?? false, ...(p.tag ? { tag: p.tag } : {}) }),
  }),
  plan: ({ params: p, facts }) => {
    const s = facts.status;
    if (s.error) throw new ConvergeError('CONVERGE_PLAN', `restic repository ${p.repository}: cannot list snapshots`, { detail: s.error });
    const result: Record<string, unknown> = { ...s };
    const what = s.latest ? `${s.snapshots} snapshot(s), newest ${s.latest} (${s.ageHours ?? '?'} h old)` : 'no snapshot';
    if (p.max_age_hours !== undefined && (s.ageHours === null || s.ageHours > p.max_age_hours)) {
      throw new ConvergeError('CONVERGE_PLAN', `restic repository ${p.repository}${p.tag ? ` (tag ${p.tag})` : ''} is stale: ${what}, allowed ${p.max_age_hours} h`);
    }
    if (s.check === 'failed') throw new ConvergeError('CONVERGE_PLAN', `restic check of ${p.repository} found errors`, { detail: s.checkMessage ?? '' });
    return { changes: [], reason: `${p.repository}: ${what}${s.check === 'ok' ? ', check ok' : ''}`, result };
  },
  apply: () => [],
  resources: () => [],
});
