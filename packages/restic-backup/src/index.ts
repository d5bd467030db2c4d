/**
 * `@converge/restic-backup`: encrypted backups with restic 0.14+ (Debian 12's package):
 * repositories (local, SFTP, S3-compatible, REST server) with root-only credentials, backup jobs
 * run by systemd timers with retention and copies to other repositories, a status check for
 * stale backups, and a restore drill.
 */
import { resticJob } from './job.js';
import { resticRepository } from './repository.js';
import { resticRestoreDrill } from './restore-drill.js';
import { resticJobs, resticRepositories } from './lists.js';
import { resticStatus } from './status.js';

export { resticRepository, RepositoryParams, repositoryFiles, repositoryEndpoints, DEFAULT_CONFIG_DIR } from './repository.js';
export { resticJob, JobParams, RetentionPolicy, StdinSource, renderJobScript, renderJobUnits, retentionArgs, jobPaths, jobMaxAgeSeconds, DEFAULT_TEXTFILE_DIR } from './job.js';
export { resticStatus, StatusParams, resticRepositoryStatus, parseRepositoryStatus } from './status.js';
export type { RepositoryStatus, RepositoryStatusArgs } from './status.js';
export { resticRestoreDrill, RestoreDrillParams, parseDrill, excludeMatches } from './restore-drill.js';
export type { DrillMismatch, DrillResult } from './restore-drill.js';
export { resticRepositoryConfig, parseRepositoryConfig } from './repository-facts.js';
export type { RepositoryConfigState, RepositoryConfigArgs } from './repository-facts.js';
export { RepositoryLocation, LocalLocation, SftpLocation, S3Location, RestLocation, RepositoryName, repositoryPaths, repositoryUrl } from './location.js';
export type { RepositoryPaths } from './location.js';
export { resticRepositories, resticJobs } from './lists.js';
export { listModule } from './collection.js';

/**
 * The restic family: `restic.repository`, `restic.repositories`, `restic.job`, `restic.jobs`,
 * `restic.status`, `restic.restore_drill`.
 */
export const restic: {
  readonly repository: typeof resticRepository;
  readonly repositories: typeof resticRepositories;
  readonly job: typeof resticJob;
  readonly jobs: typeof resticJobs;
  readonly status: typeof resticStatus;
  readonly restoreDrill: typeof resticRestoreDrill;
} = { repository: resticRepository, repositories: resticRepositories, job: resticJob, jobs: resticJobs, status: resticStatus, restoreDrill: resticRestoreDrill };
