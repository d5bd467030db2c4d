import { defineModule, quote, sh, Type } from '@converge/core';
import type { Command, FactRequest, Static } from '@converge/core';
import { systemdUnit, unitOnceLoaded } from '@converge/modules';
import type { UnitStatus } from '@converge/modules';
import { repositoryName, repositoryPaths } from './location.js';
import { applyRootFiles, planRootFiles, rootFileFacts } from './root-files.js';
import type { RootFileFacts, RootFiles, RootFilesPlan } from './root-files.js';
import { DEFAULT_CONFIG_DIR } from './repository.js';

/** node_exporter's textfile collector directory in Debian's prometheus-node-exporter. */
export const DEFAULT_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

const Tag = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:=@+-]*$', description: 'A snapshot tag.' });
const Keep = (what: string): ReturnType<typeof Type.Integer> => Type.Integer({ minimum: 1, description: `Keep the last N ${what} snapshots (restic forget --keep-${what}).` });

/** JSON Schema of a retention policy: `restic forget --keep-* --prune`. Source: restic manual, "Removing snapshots according to a policy". */
export const RetentionPolicy = Type.Object(
  {
    keep_last: Type.Optional(Type.Integer({ minimum: 1, description: 'Keep the last N snapshots (restic forget --keep-last).' })),
    keep_hourly: Type.Optional(Keep('hourly')),
    keep_daily: Type.Optional(Keep('daily')),
    keep_weekly: Type.Optional(Keep('weekly')),
    keep_monthly: Type.Optional(Keep('monthly')),
    keep_yearly: Type.Optional(Keep('yearly')),
    prune: Type.Optional(Type.Boolean({ default: true, description: 'Remove the data no snapshot uses any more (forget --prune).' })),
  },
  { additionalProperties: false, description: "Applied after each backup to the job's snapshots in every repository it writes." },
);

/** JSON Schema of a stream saved from a command's stdout (`restic backup --stdin --stdin-filename`). */
export const StdinSource = Type.Object(
  {
    command: Type.String({ minLength: 1, description: 'Shell command (bash, as root) whose stdout is saved, e.g. `mariadb-dump --all-databases --single-transaction`. A failure fails the job (pipefail).' }),
    filename: Type.String({ pattern: '^[^/\\s][^/]*$', description: 'File name of the stream in the snapshot, e.g. `all-databases.sql`.' }),
  },
  { additionalProperties: false },
);

/** JSON Schema of the `restic.job` module's params. */
export const JobParams = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Job name: units `restic-<name>.service`/`.timer`, script `<config_dir>/jobs/<name>.sh`, and a tag on every snapshot.' }),
    repository: repositoryName('Name of the repository (a `restic.repository`) the job backs up to.'),
    copy_to: Type.Optional(Type.Array(repositoryName('A repository name.'), { uniqueItems: true, description: "Repositories the job's new snapshots are copied to after each backup (restic copy), e.g. at other providers." })),
    paths: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { description: 'Absolute paths to back up (one snapshot).' })),
    excludes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Exclude patterns (restic backup --exclude).' })),
    stdin: Type.Optional(Type.Array(StdinSource, { description: 'Command outputs saved as files, one snapshot each (e.g. a database dump).' })),
    tags: Type.Optional(Type.Array(Tag, { description: 'Extra tags on every snapshot of the job.' })),
    pre: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Shell commands (bash, as root) run before the backup; a failure stops the job.' })),
    post: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Shell commands run at the end, also when the job failed; `RESTIC_JOB_STATUS` holds its exit status so far.' }),
    ),
    retention: Type.Optional(RetentionPolicy),
    on_calendar: Type.Optional(Type.String({ pattern: '^[^\\n]+$', default: 'daily', description: 'When the timer fires (systemd.time(7) calendar event, e.g. `daily`, `*-*-* 02:30`).' })),
    randomized_delay: Type.Optional(Type.String({ pattern: '^[0-9][0-9a-z ]*$', default: '1h', description: 'RandomizedDelaySec of the timer (systemd.timer(5)), e.g. `1h`, `30min`.' })),
    persistent: Type.Optional(Type.Boolean({ default: true, description: 'Run at boot when the host was off at the scheduled time (Persistent=).' })),
    config_dir: Type.Optional(Type.String({ pattern: '^/', default: DEFAULT_CONFIG_DIR, description: 'Same as the repositories\' config_dir.' })),
    metrics: Type.Optional(
      Type.Union(
        [
          Type.Literal(false),
          Type.Object(
            {
              textfile_dir: Type.Optional(
                Type.String({ pattern: '^/[^\\s]*$', default: DEFAULT_TEXTFILE_DIR, description: "node_exporter's textfile collector directory; the file is written only when the directory exists." }),
              ),
              max_age_hours: Type.Optional(
                Type.Number({ exclusiveMinimum: 0, description: 'Age after which the last success is too old (`restic_job_max_age_seconds`). Default: the period of `on_calendar` (hourly, daily, weekly, monthly) plus `randomized_delay` plus one hour.' }),
              ),
            },
            { additionalProperties: false },
          ),
        ],
        {
          description:
            'Status of each run for Prometheus: `restic_<name>.prom` in node_exporter\'s textfile directory with `restic_job_last_run_timestamp_seconds`, `restic_job_last_success_timestamp_seconds`, `restic_job_last_exit_status` and `restic_job_max_age_seconds` (label `restic_job`), read by the BackupTooOld rule of @converge/prometheus. Default on (`{}`); `false`: none.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Params of `restic.job`. */
export type JobParams = Static<typeof JobParams>;

const PERIOD_HOURS: Record<string, number> = { hourly: 1, daily: 24, weekly: 168, monthly: 744 };

/** Seconds of a systemd time span such as `1h`, `30min`, `1h 30min` (systemd.time(7)); undefined when not understood. */
function timespanSeconds(span: string): number | undefined {
  const units: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600, d: 86400 };
  let total = 0;
  const parts = span.trim().split(/\s+/);
  for (const part of parts) {
    const m = /^(\d+)([a-z]*)$/.exec(part);
    if (!m) return undefined;
    const unit = units[m[2] || 's'];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
  }
  return total;
}

/**
 * The age after which a job's last success is too old, in seconds: `metrics.max_age_hours`, or
 * the period of a shorthand `on_calendar` (hourly, daily, weekly, monthly) plus the timer's
 * randomized delay plus an hour for the run itself; undefined for other calendars.
 */
export function jobMaxAgeSeconds(p: JobParams): number | undefined {
  const m = p.metrics === false ? undefined : p.metrics;
  if (m?.max_age_hours !== undefined) return Math.round(m.max_age_hours * 3600);
  const period = PERIOD_HOURS[p.on_calendar ?? 'daily'];
  const delay = timespanSeconds(p.randomized_delay ?? '1h');
  if (period === undefined || delay === undefined) return undefined;
  return period * 3600 + delay + 3600;
}

/** Paths of a job's files. */
export function jobPaths(p: Pick<JobParams, 'name' | 'config_dir'>): { dir: string; script: string; service: string; timer: string; unit: string; timerUnit: string } {
  const dir = `${(p.config_dir ?? DEFAULT_CONFIG_DIR).replace(/\/+$/, '')}/jobs`;
  return {
    dir,
    script: `${dir}/${p.name}.sh`,
    service: `/etc/systemd/system/restic-${p.name}.service`,
    timer: `/etc/systemd/system/restic-${p.name}.timer`,
    unit: `restic-${p.name}.service`,
    timerUnit: `restic-${p.name}.timer`,
  };
}

function q(v: string): string {
  return quote(v);
}

/** The `--keep-*` arguments of a retention policy. */
export function retentionArgs(r: Static<typeof RetentionPolicy>): string[] {
  const out: string[] = [];
  for (const k of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const v = r[`keep_${k}`];
    if (v !== undefined) out.push(`--keep-${k}`, String(v));
  }
  if (r.prune ?? true) out.push('--prune');
  return out;
}

/**
 * The job script (bash): pre hooks, `restic backup` of the paths and of each stdin source to the
 * primary repository (tagged with the job name and its tags), `restic forget` with the
 * retention, then for each copy target `restic copy --tag <job>` from the primary and the same
 * retention there; post hooks run on exit, and then (unless `metrics: false`) the run's status is
 * written for node_exporter's textfile collector (`restic_<name>.prom`, Prometheus text format
 * 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/). Every restic call reads its repository from the
 * repository's env file, so no secret is on a command line. Output goes to the journal.
 */
export function renderJobScript(p: JobParams): string {
  const configDir = p.config_dir ?? DEFAULT_CONFIG_DIR;
  const primary = repositoryPaths(configDir, p.repository).dir;
  const tags = [p.name, ...(p.tags ?? [])].flatMap((t) => ['--tag', t]);
  const L: string[] = [
    '#!/bin/bash',
    `# Managed by converge: restic backup job ${p.name} (run by restic-${p.name}.service; output in the journal).`,
    'set -euo pipefail',
    'umask 077',
    'repo_env() { set -a; . "$1/env"; set +a; }',
    'restic_in() { local dir=$1; shift; ( repo_env "$dir"; exec restic "$@" ); }',
    'restic_copy() {',
    '  local from=$1 to=$2; shift 2',
    '  ( repo_env "$from"; export RESTIC_FROM_REPOSITORY=$RESTIC_REPOSITORY RESTIC_FROM_PASSWORD_FILE=$RESTIC_PASSWORD_FILE; repo_env "$to"; exec restic "$@" )',
    '}',
  ];
  const metrics = p.metrics === false ? undefined : { dir: p.metrics?.textfile_dir ?? DEFAULT_TEXTFILE_DIR, maxAge: jobMaxAgeSeconds(p) };
  if ((p.post && p.post.length > 0) || metrics) {
    L.push('on_exit() {', '  local status=$?', '  set +e', '  trap - EXIT', '  export RESTIC_JOB_STATUS=$status');
    for (const h of p.post ?? []) L.push(`  echo ${q(`post: ${h}`)}`, `  bash -c ${q(h)} || { echo ${q(`post hook failed: ${h}`)} >&2; [ "$status" -ne 0 ] || status=1; }`);
    if (metrics) L.push(`  write_metrics ${q(metrics.dir)} "$status"`);
    L.push('  exit "$status"', '}', 'trap on_exit EXIT');
  }
  if (metrics) {
    // node_exporter reads *.prom files: written to a temp name first, then renamed, so it never reads half a file.
    const label = `{restic_job="${p.name}"}`;
    L.push(
      'write_metrics() {',
      '  local dir=$1 status=$2 now last_success=0 file',
      '  [ -d "$dir" ] || return 0',
      `  file="$dir/restic_${p.name}.prom"`,
      '  now=$(date +%s)',
      `  if [ "$status" -eq 0 ]; then last_success=$now; elif [ -f "$file" ]; then last_success=$(sed -n 's/^restic_job_last_success_timestamp_seconds{[^}]*} //p' "$file"); last_success=\${last_success:-0}; fi`,
      '  {',
      `    printf '# HELP restic_job_last_run_timestamp_seconds End of the last run of the restic backup job.\\n# TYPE restic_job_last_run_timestamp_seconds gauge\\nrestic_job_last_run_timestamp_seconds${label} %s\\n' "$now"`,
      `    printf '# HELP restic_job_last_success_timestamp_seconds End of the last successful run (0: none yet).\\n# TYPE restic_job_last_success_timestamp_seconds gauge\\nrestic_job_last_success_timestamp_seconds${label} %s\\n' "$last_success"`,
      `    printf '# HELP restic_job_last_exit_status Exit status of the last run.\\n# TYPE restic_job_last_exit_status gauge\\nrestic_job_last_exit_status${label} %s\\n' "$status"`,
      ...(metrics.maxAge !== undefined
        ? [`    printf '# HELP restic_job_max_age_seconds Age after which the last success is too old.\\n# TYPE restic_job_max_age_seconds gauge\\nrestic_job_max_age_seconds${label} %s\\n' ${metrics.maxAge}`]
        : []),
      `  } > "$file.tmp" && chmod 0644 "$file.tmp" && mv -f "$file.tmp" "$file"`,
      '}',
    );
  }
  L.push(`primary=${q(primary)}`);
  for (const h of p.pre ?? []) L.push(`echo ${q(`pre: ${h}`)}`, `bash -c ${q(h)}`);
  const excludes = (p.excludes ?? []).flatMap((e) => ['--exclude', e]);
  if (p.paths && p.paths.length > 0) {
    L.push(`echo ${q(`backup of ${p.paths.join(' ')} to ${p.repository}`)}`);
    L.push(`restic_in "$primary" backup ${[...tags, ...excludes].map(q).join(' ')} -- ${p.paths.map(q).join(' ')}`);
  }
  for (const s of p.stdin ?? []) {
    L.push(`echo ${q(`backup of the output of: ${s.command} as ${s.filename} to ${p.repository}`)}`);
    L.push(`bash -c ${q(s.command)} | restic_in "$primary" backup --stdin --stdin-filename ${q(s.filename)} ${tags.map(q).join(' ')}`);
  }
  const keep = p.retention ? retentionArgs(p.retention) : [];
  const hasKeep = keep.some((a) => a.startsWith('--keep-'));
  if (hasKeep) L.push(`restic_in "$primary" forget --tag ${q(p.name)} ${keep.map(q).join(' ')}`);
  for (const target of p.copy_to ?? []) {
    const dir = repositoryPaths(configDir, target).dir;
    L.push(`echo ${q(`copy of the snapshots of ${p.name} from ${p.repository} to ${target}`)}`);
    L.push(`restic_copy "$primary" ${q(dir)} copy --tag ${q(p.name)}`);
    if (hasKeep) L.push(`restic_in ${q(dir)} forget --tag ${q(p.name)} ${keep.map(q).join(' ')}`);
  }
  L.push(`echo ${q(`restic job ${p.name} done`)}`);
  return `${L.join('\n')}\n`;
}

/** The service and timer units of a job. Sources: systemd.service(5), systemd.timer(5). */
export function renderJobUnits(p: JobParams): { service: string; timer: string } {
  const paths = jobPaths(p);
  const service = [
    '# Managed by converge.',
    '[Unit]',
    `Description=restic backup job ${p.name}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${paths.script}`,
    `SyslogIdentifier=restic-${p.name}`,
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
  ].join('\n');
  const timer = [
    '# Managed by converge.',
    '[Unit]',
    `Description=Schedule of restic backup job ${p.name}`,
    '',
    '[Timer]',
    `OnCalendar=${p.on_calendar ?? 'daily'}`,
    `RandomizedDelaySec=${p.randomized_delay ?? '1h'}`,
    `Persistent=${(p.persistent ?? true) ? 'true' : 'false'}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}

function jobFiles(p: JobParams): RootFiles {
  const paths = jobPaths(p);
  const units = renderJobUnits(p);
  return {
    dirs: [
      { path: p.config_dir ?? DEFAULT_CONFIG_DIR, mode: '0700' },
      { path: paths.dir, mode: '0700' },
    ],
    files: [
      { path: paths.script, content: renderJobScript(p), mode: '0700' },
      { path: paths.service, content: units.service, mode: '0644' },
      { path: paths.timer, content: units.timer, mode: '0644' },
    ],
  };
}

/** What the plan of `restic.job` hands to apply. */
export interface JobPlan extends Pick<RootFilesPlan, 'dirs' | 'files'> {
  reload: boolean;
  enable: boolean;
  /** `start` a stopped timer, `restart` one whose unit changed. */
  timer?: 'start' | 'restart';
}

/**
 * Module `restic.job`: a backup job run by a systemd timer. Writes the job script
 * (`<config_dir>/jobs/<name>.sh`, 0700), `restic-<name>.service` (oneshot; output to the
 * journal as `restic-<name>`) and `restic-<name>.timer` (OnCalendar, RandomizedDelaySec,
 * Persistent), reloads systemd when a unit changed, and keeps the timer enabled and active.
 * The repositories it names must be managed by `restic.repository`.
 *
 * Run a job now with `systemctl start restic-<name>.service` (it waits for the end); read its
 * log with `journalctl -u restic-<name>.service`.
 *
 * @example
 * resticJob({ name: 'www', repository: 'primary', copy_to: ['ovh', 'scaleway'], paths: ['/srv/www'],
 *             retention: { keep_daily: 7, keep_weekly: 4, keep_monthly: 6 } })
 */
export const resticJob = defineModule({
  name: 'restic.job',
  description: 'A restic backup job: script, systemd service and timer (enabled), with retention and copies.',
  params: JobParams,
  validate: (p) => {
    if ((p.paths?.length ?? 0) === 0 && (p.stdin?.length ?? 0) === 0) return 'give paths or stdin (or both): the job must back up something';
    if (p.copy_to?.includes(p.repository)) return `copy_to names the job's own repository ${p.repository}`;
    const names = (p.stdin ?? []).map((s) => s.filename);
    if (new Set(names).size !== names.length) return 'two stdin sources have the same filename';
    if (p.metrics && p.metrics.max_age_hours === undefined && jobMaxAgeSeconds(p) === undefined) {
      return `metrics: give max_age_hours (the allowed age cannot be derived from on_calendar ${JSON.stringify(p.on_calendar)} and randomized_delay ${JSON.stringify(p.randomized_delay ?? '1h')})`;
    }
    return undefined;
  },
  facts: (p): { timer: FactRequest<UnitStatus> } & RootFileFacts => ({ timer: systemdUnit({ name: jobPaths(p).timerUnit }), ...rootFileFacts(jobFiles(p)) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const owned = jobFiles(p);
    const { changes, diffs, dirs, files } = planRootFiles('restic.job', owned, facts, upstreamChanged);
    const data: JobPlan = { dirs, files, reload: false, enable: false };
    // The script is the first file; a change to another (a unit) needs a daemon-reload.
    const unitChanged = files.some((f) => f.file !== owned.files[0]);
    let timer = facts.timer;
    if (unitChanged || timer.needDaemonReload || (upstreamChanged && timer.loadState === 'not-found')) {
      data.reload = true;
      changes.push({ path: 'daemon_reload', before: unitChanged ? 'units changed' : 'unit changed on disk', after: 'reloaded' });
      if (timer.loadState === 'not-found') timer = unitOnceLoaded(timer);
    }
    if (timer.unitFileState !== 'enabled') {
      data.enable = true;
      changes.push({ path: 'enabled', before: timer.unitFileState || false, after: true });
    }
    const active = timer.activeState === 'active';
    if (!active) {
      data.timer = 'start';
      changes.push({ path: 'state', before: timer.activeState, after: 'started' });
    } else if (unitChanged) {
      data.timer = 'restart';
      changes.push({ path: 'state', before: 'active', after: 'restarted' });
    }
    if (changes.length === 0) return { changes, reason: `job ${p.name}: files up to date, ${jobPaths(p).timerUnit} enabled and active` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }) => {
    const data = plan.data;
    const paths = jobPaths(p);
    const steps: Command[] = applyRootFiles(data);
    if (data.reload) steps.push({ script: sh`systemctl daemon-reload`, description: 'systemctl daemon-reload' });
    if (data.enable) steps.push({ script: sh`systemctl enable -- ${paths.timerUnit}`, description: `enable ${paths.timerUnit}` });
    if (data.timer) steps.push({ script: sh`systemctl ${data.timer} -- ${paths.timerUnit}`, description: `${data.timer} ${paths.timerUnit}` });
    return steps;
  },
  resources: (p) => {
    const paths = jobPaths(p);
    return [paths.dir, paths.service, paths.timer, `unit:${paths.unit}`, `unit:${paths.timerUnit}`, '/etc/systemd'];
  },
});
