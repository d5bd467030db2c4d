// roles/database-cluster's `galera` var: a var the role does not know is refused with its path
// where the role's tasks read the var (while the run is planned, before any host is touched);
// provider_options, mysqld, databases and users are module params, checked by their schemas.
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { Task, TaskContext } from '@converge/core';
import { databaseClusterRole } from '../../../roles/database-cluster/src/index.js';

const task = (databaseClusterRole.tasks as Task[]).find((t) => t.options.name === 'wsrep configuration') as Task;
const params = (galera: unknown) =>
  (task.params as (h: TaskContext) => unknown)({ vars: { galera, inventory_hostname: 'db1', groups: { galera: ['db1'] }, hostvars: { db1: { galera_address: '10.0.2.11' } } } } as unknown as TaskContext);
const KNOWN = 'group, cluster_name, sst_password, sst_user, state_port, address_var, provider_options, plugin_load_add, mysqld, databases, users, timeout';

describe('roles/database-cluster vars', () => {
  test.each([
    [{ cluster_name: 'notes', sst_pasword: secret('s') }, 'galera.sst_pasword'],
    [{ cluster_name: 'notes', sst_password: secret('s'), grup: 'db' }, 'galera.grup'],
  ])('refused: %j', (vars, path) => {
    expect(() => params(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role database-cluster: ${path} is not a var of the role (known: ${KNOWN})` }));
  });

  test('the documented vars are read as they are', () => {
    const vars = {
      group: 'galera',
      cluster_name: 'notes',
      sst_password: secret('s'),
      sst_user: 'mariabackup',
      state_port: 9200,
      address_var: 'galera_address',
      provider_options: { 'gcache.size': '1G' },
      plugin_load_add: ['file_key_management'],
      mysqld: { max_connections: '500' },
      databases: [{ name: 'notes' }],
      users: [{ name: 'notes', host: '%', password: secret('n'), privileges: [{ on: 'notes.*', privileges: ['SELECT'] }] }],
      timeout: 900,
    };
    expect(params(vars)).toMatchObject({ cluster_name: 'notes', cluster_addresses: ['10.0.2.11'], node_name: 'db1' });
  });
});
