// roles/shared-storage's `shared_storage` var: a var the role does not know is refused with its
// path where the role's tasks read the var (while the run is planned, before any host is
// touched); exports, ganesha and mounts are module params, checked by their schemas.
import { describe, expect, test } from 'vitest';
import type { Task, TaskContext } from '@converge/core';
import { sharedStorageRole } from '../../../roles/shared-storage/src/index.js';

const task = (sharedStorageRole(1).tasks as Task[]).find((t) => t.options.name === 'install nfs-common') as Task;
const when = (shared_storage: unknown) => (task.options.when as (h: TaskContext) => boolean)({ vars: { shared_storage } } as unknown as TaskContext);

describe('roles/shared-storage vars', () => {
  test.each([
    [{ mount: [] }, 'shared_storage.mount', 'server, mounts'],
    [{ server: { nmae: 'data' } }, 'shared_storage.server.nmae', 'name, exports, start, ganesha'],
  ])('refused: %j', (vars, path, known) => {
    expect(() => when(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role shared-storage: ${path} is not a var of the role (known: ${known})` }));
  });

  test('the documented vars are read as they are', () => {
    const server = { name: 'shared-storage', exports: [{ path: '/srv/data', clients: [{ host: '10.0.2.0/24', options: ['rw'] }] }], start: false };
    expect(when({ server, mounts: [{ path: '/mnt/data', src: '10.0.2.20:/srv/data' }] })).toBe(true);
    expect(when({ server: { ganesha: { exports: [] } } })).toBe(true);
    expect(when({})).toBe(false);
  });
});
