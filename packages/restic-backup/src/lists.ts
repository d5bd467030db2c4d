import { listModule } from './collection.js';
import { resticJob } from './job.js';
import { resticRepository } from './repository.js';

/**
 * Module `restic.repositories`: `restic.repository` for each entry of `repositories`, in order,
 * as one task (for roles whose vars hold the list). Changes are named `<repository>.<change>`.
 *
 * @example resticRepositories({ repositories: [{ name: 'local', password, location: { type: 'local', path: '/var/backups/restic' } }] })
 */
export const resticRepositories = listModule('restic.repositories', 'repositories', resticRepository, 'restic.repository for each entry of a list.');

/**
 * Module `restic.jobs`: `restic.job` for each entry of `jobs`, in order, as one task. Changes
 * are named `<job>.<change>`.
 *
 * @example resticJobs({ jobs: [{ name: 'www', repository: 'local', paths: ['/srv/www'] }] })
 */
export const resticJobs = listModule('restic.jobs', 'jobs', resticJob, 'restic.job for each entry of a list.');
