import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, isSecret, useRole } from '@converge/core';
import type { KnownVars, RoleUse, Secret, TaskContext } from '@converge/core';
import { apt } from '@converge/modules';
import { restic } from '@converge/restic-backup';
import type { JobParams, RepositoryParams } from '@converge/restic-backup';

/** The `restic_backup` var of the backup role. */
export interface BackupConfig {
  /** Repositories, each initialised once (`restic.repository` params); list a job's primary before its copy targets. */
  repositories: RepositoryParams[];
  /** Backup jobs, each run by its systemd timer (`restic.job` params). */
  jobs: JobParams[];
}

/** Vars of the backup role. */
export interface BackupVars {
  restic_backup: BackupConfig;
}

/** Every var of {@link BackupConfig} (both lists are module params, checked by their schemas); complete by type. */
export const BACKUP_VARS: KnownVars<BackupConfig> = { repositories: true, jobs: true };

function keyText(v: string | Secret): string {
  return isSecret(v) ? v.reveal() : v;
}

/**
 * Checks a backup config before any host is touched: jobs name listed repositories, and each
 * copy is one restic can make (restic reads one set of S3 keys for both ends of a copy).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` naming the job or repository.
 */
export function checkBackupConfig(config: BackupConfig): void {
  const repos = new Map<string, RepositoryParams>();
  for (const r of config.repositories) {
    if (repos.has(r.name)) throw new ConvergeError('CONVERGE_PARAMS', `backup role: repository ${r.name} is listed twice`);
    repos.set(r.name, r);
  }
  for (const j of config.jobs) {
    const primary = repos.get(j.repository);
    if (!primary) throw new ConvergeError('CONVERGE_PARAMS', `backup role: job ${j.name} backs up to ${j.repository}, which is not in repositories`);
    for (const t of j.copy_to ?? []) {
      const target = repos.get(t);
      if (!target) throw new ConvergeError('CONVERGE_PARAMS', `backup role: job ${j.name} copies to ${t}, which is not in repositories`);
      const a = primary.location;
      const b = target.location;
      if (a.type === 's3' && b.type === 's3' && (keyText(a.access_key_id) !== keyText(b.access_key_id) || a.secret_access_key.reveal() !== b.secret_access_key.reveal())) {
        throw new ConvergeError('CONVERGE_PARAMS', `backup role: job ${j.name} copies from S3 repository ${j.repository} to S3 repository ${t} with other keys`, {
          hint: 'restic reads one set of AWS_* keys for both ends of a copy: back up to a local or SFTP primary and copy from it to each S3 provider',
        });
      }
    }
  }
}

/**
 * The repositories as `restic.repositories` gets them: a copy target that names no
 * `chunker_params_from` gets its job's primary, so that copied snapshots deduplicate.
 */
export function repositoriesWithChunkerSource(config: BackupConfig): RepositoryParams[] {
  const from = new Map<string, string>();
  for (const j of config.jobs) for (const t of j.copy_to ?? []) if (!from.has(t)) from.set(t, j.repository);
  return config.repositories.map((r) => {
    const source = r.chunker_params_from ?? from.get(r.name);
    return source ? { ...r, chunker_params_from: source } : r;
  });
}

/**
 * A host's `restic_backup` var, checked: no var the role does not know, and a consistent config.
 *
 * @throws ConvergeError `CONVERGE_VARS` for a var the role does not know ({@link BACKUP_VARS});
 * `CONVERGE_PARAMS` for an inconsistent config (see {@link checkBackupConfig}).
 */
export function backupConfigOf(h: TaskContext): BackupConfig {
  const c = checkRoleVars('backup', 'restic_backup', h.vars['restic_backup'], BACKUP_VARS);
  checkBackupConfig(c);
  return c;
}

/**
 * Role `backup`: restic from Debian (with ca-certificates, and openssh-client for SFTP),
 * the repositories of the `restic_backup` var with root-only credentials, initialised once
 * (`restic.repositories`), and its jobs with their systemd timers enabled (`restic.jobs`).
 * Status checks (`restic.status`) and restore drills (`restic.restore_drill`) are tasks a
 * playbook adds after the role.
 *
 * @example
 * definePlaybook({ name: 'backups', hosts: 'all', roles: [backup({ repositories: [...], jobs: [...] })] })
 */
export const backupRole = defineRole({
  name: 'backup',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { restic_backup: { repositories: [], jobs: [] } satisfies BackupConfig },
  tasks: [
    apt(
      (h) => ({
        name: ['restic', 'ca-certificates', ...(backupConfigOf(h).repositories.some((r) => r.location.type === 'sftp') ? ['openssh-client'] : [])],
        state: 'present',
        update_cache: true,
        cache_valid_time: 86400,
      }),
      { name: 'restic installed' },
    ),
    restic.repositories((h) => ({ repositories: repositoriesWithChunkerSource(backupConfigOf(h)) }), { name: 'restic repositories' }),
    restic.jobs((h) => ({ jobs: backupConfigOf(h).jobs }), { name: 'restic jobs' }),
  ],
});

/**
 * The role with its `restic_backup` var, typed and checked: `roles: [backup({ ... })]`.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for an inconsistent config (see {@link checkBackupConfig}).
 */
export function backup(config: BackupConfig): RoleUse {
  checkBackupConfig(config);
  return useRole(backupRole, { restic_backup: config } satisfies BackupVars);
}

export default backupRole;
