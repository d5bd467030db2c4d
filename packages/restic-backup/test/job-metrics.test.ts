// The job script's status export for node_exporter's textfile collector, run for real by bash
// with a stand-in `restic` on PATH (restic itself and a repository are exercised by
// restic.int.test.ts; here only the script's own logic around it is under test).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { jobMaxAgeSeconds, renderJobScript, resticJob } from '../src/index.js';
import type { JobParams } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'restic-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(job: JobParams, rc: number): number {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc', job.repository), { recursive: true });
  writeFileSync(join(dir, 'etc', job.repository, 'env'), 'RESTIC_REPOSITORY=/nonexistent\n');
  writeFileSync(join(dir, 'bin', 'restic'), `#!/bin/sh\nexit ${rc}\n`);
  chmodSync(join(dir, 'bin', 'restic'), 0o755);
  writeFileSync(join(dir, 'job.sh'), renderJobScript(job));
  return spawnSync('bash', [join(dir, 'job.sh')], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` }, encoding: 'utf8' }).status ?? -1;
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name}\\{restic_job="www"\\} (\\S+)$`, 'm').exec(text)?.[1]);

describe('restic.job status for Prometheus', () => {
  const textfiles = join(dir, 'textfiles');
  const job: JobParams = { name: 'www', repository: 'primary', paths: ['/srv/www'], config_dir: join(dir, 'etc'), metrics: { textfile_dir: textfiles } };

  test('a successful run, then a failed one: last success kept, exit status and max age exported', () => {
    mkdirSync(textfiles, { recursive: true });
    expect(run(job, 0)).toBe(0);
    const ok = readFileSync(join(textfiles, 'restic_www.prom'), 'utf8');
    const success = metric(ok, 'restic_job_last_success_timestamp_seconds');
    expect(Math.abs(success - Date.now() / 1000)).toBeLessThan(60);
    expect(metric(ok, 'restic_job_last_exit_status')).toBe(0);
    expect(metric(ok, 'restic_job_max_age_seconds')).toBe(24 * 3600 + 3600 + 3600);
    expect(run(job, 3)).toBe(3);
    const failed = readFileSync(join(textfiles, 'restic_www.prom'), 'utf8');
    expect(metric(failed, 'restic_job_last_success_timestamp_seconds')).toBe(success);
    expect(metric(failed, 'restic_job_last_exit_status')).toBe(3);
    expect(execFileSync('ls', ['-A', textfiles], { encoding: 'utf8' })).toBe('restic_www.prom\n');
    // Prometheus' text format, as promtool reads it (when unpacked by scripts/ensure-tools.sh).
    expect(failed).toMatch(/^# TYPE restic_job_last_run_timestamp_seconds gauge$/m);
  });

  test('no textfile directory: nothing written, the job still succeeds', () => {
    expect(run({ ...job, metrics: { textfile_dir: join(dir, 'absent') } }, 0)).toBe(0);
    expect(spawnSync('ls', [join(dir, 'absent')]).status).not.toBe(0);
  });

  test.each([
    [{ on_calendar: 'hourly', randomized_delay: '10min' }, 3600 + 600 + 3600],
    [{ on_calendar: 'weekly' }, 168 * 3600 + 3600 + 3600],
    [{ on_calendar: '*-*-* 02:30' }, undefined],
    [{ on_calendar: '*-*-* 02:30', metrics: { max_age_hours: 26 } }, 26 * 3600],
  ] as const)('max age of %j: %s s', (extra, seconds) => {
    expect(jobMaxAgeSeconds({ ...job, metrics: {}, ...extra } as JobParams)).toBe(seconds);
  });

  test('metrics with an calendar it cannot read and no max_age_hours is refused; metrics: false writes nothing', () => {
    expect(resticJob.definition.validate?.({ ...job, on_calendar: 'Mon *-*-* 02:00' })).toMatch(/^metrics: give max_age_hours/);
    expect(renderJobScript({ ...job, metrics: false })).not.toContain('write_metrics');
  });
});
