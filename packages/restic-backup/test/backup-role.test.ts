// roles/backup's `restic_backup` var: a var the role does not know is refused with its path
// (the role's tasks read the var through backupConfigOf); both lists are restic module params.
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { TaskContext } from '@converge/core';
import { backupConfigOf } from '../../../roles/backup/src/index.js';

const of = (restic_backup: unknown) => backupConfigOf({ vars: { restic_backup } } as unknown as TaskContext);

describe('roles/backup vars', () => {
  test.each([
    [{ repositories: [], job: [] }, 'restic_backup.job'],
    [{ repository: [], jobs: [] }, 'restic_backup.repository'],
  ])('refused: %j', (vars, path) => {
    expect(() => of(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role backup: ${path} is not a var of the role (known: repositories, jobs)` }));
  });

  test('the documented vars pass as they are', () => {
    const vars = { repositories: [{ name: 'local', location: { type: 'local', path: '/var/backups/restic' }, password: secret('p') }], jobs: [{ name: 'etc', repository: 'local', paths: ['/etc'] }] };
    expect(of(vars)).toBe(vars);
  });
});
