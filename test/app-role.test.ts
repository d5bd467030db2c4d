// roles/app's `app` var: a var the role does not know, at any depth, is refused with its path
// where the role's tasks read the var (while the run is planned, before any host is touched).
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { Task, TaskContext } from '@converge/core';
import { appRole } from '../roles/app/src/index.js';

const task = (appRole.tasks as Task[]).find((t) => t.options.name === 'database addresses') as Task;
const params = (app: unknown) => (task.params as (h: TaskContext) => unknown)({ vars: { app } } as unknown as TaskContext);
const database = { addresses: [{ host: '10.0.2.10', port: 3306 }], password: secret('p') };

describe('roles/app vars', () => {
  test.each([
    [{ version: '1.1.0', database, sentri: {} }, 'app.sentri', 'version, database, sentry'],
    [{ version: '1.1.0', database: { ...database, usr: 'notes' } }, 'app.database.usr', 'addresses, name, user, password'],
    [{ version: '1.1.0', database: { ...database, addresses: [{ host: '10.0.2.10', prot: 3306 }] } }, 'app.database.addresses[0].prot', 'host, port'],
    [{ version: '1.1.0', database, sentry: { dsn: secret('d'), enviroment: 'production' } }, 'app.sentry.enviroment', 'dsn, environment'],
  ])('refused: %j', (vars, path, known) => {
    expect(() => params(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role app: ${path} is not a var of the role (known: ${known})` }));
  });

  test('the documented vars are read as they are', () => {
    const vars = { version: '1.1.0', database: { ...database, name: 'notes', user: 'notes' }, sentry: { dsn: secret('d'), environment: 'production' } };
    expect(params(vars)).toMatchObject({ dest: '/etc/notes/db-hosts', content: '10.0.2.10 3306\n' });
  });
});
