// roles/sql-router's `sql_router` var: a var the role does not know is refused with its path (the
// role's tasks read the var through sqlRouterVarsOf); `maxscale` and `vip` are module params.
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { TaskContext } from '@converge/core';
import { sqlRouterVarsOf } from '../../../roles/sql-router/src/index.js';

const of = (sql_router: unknown) => sqlRouterVarsOf({ vars: { sql_router } } as unknown as TaskContext);
const maxscale = { servers: [{ name: 'db1', address: '10.0.2.11' }], monitor: { user: 'monitor', password: secret('m') }, service: { user: 'router', password: secret('s') } };

describe('roles/sql-router vars', () => {
  test.each([
    [{ mariadb_key: 'KEY', maxscale, instal: false }, 'sql_router.instal', 'mariadb_key, maxscale_version, key_fingerprints, maxscale, rest_api, install, vip'],
    [{ mariadb_key: 'KEY', maxscale, rest_api: { user: 'admin', pasword: secret('a') } }, 'sql_router.rest_api.pasword', 'user, password'],
  ])('refused: %j', (vars, path, known) => {
    expect(() => of(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role sql-router: ${path} is not a var of the role (known: ${known})` }));
  });

  test('the documented vars pass as they are; a host without the var has none', () => {
    const vars = {
      mariadb_key: 'KEY',
      maxscale_version: '24.02',
      key_fingerprints: ['177F4010FE56CA3336300305F1656F24C74CD1D8'],
      maxscale,
      rest_api: { user: 'admin', password: secret('a') },
      install: true,
      vip: { address: '10.0.2.10/24', interface: 'eth1', router_id: 52, peers: [] },
    };
    expect(of(vars)).toBe(vars);
    expect(of(undefined)).toBeUndefined();
  });
});
