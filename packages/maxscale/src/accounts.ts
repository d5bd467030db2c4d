import { ConvergeError } from '@converge/core';
import type { Secret, Task } from '@converge/core';
import { mariadb } from '@converge/mariadb-galera';
import type { MariadbGrantsParams } from '@converge/mariadb-galera';

/**
 * The privileges of the galeramon monitor user on MariaDB 10.11 (MaxScale 24.02 "Galera Monitor",
 * "Required Grants": `GRANT REPLICATION CLIENT ON *.*`, and `SUPER` when `set_donor_nodes` is
 * used). MariaDB 10.5+ prints REPLICATION CLIENT as its new name, BINLOG MONITOR.
 */
export function monitorPrivileges(setDonorNodes = false): MariadbGrantsParams['privileges'] {
  return [{ on: '*.*', privileges: ['REPLICATION CLIENT', ...(setDonorNodes ? ['SUPER'] : [])] }];
}

/**
 * The privileges of the service user that reads the cluster's accounts (MaxScale 24.02
 * "Authentication Modules", "Required grants": SELECT on `mysql.user`, `mysql.db`,
 * `mysql.tables_priv`, `mysql.columns_priv`, `mysql.procs_priv`, `mysql.proxies_priv`,
 * `mysql.roles_mapping`, and SHOW DATABASES on `*.*`).
 */
export const SERVICE_PRIVILEGES: MariadbGrantsParams['privileges'] = [
  { on: '*.*', privileges: ['SHOW DATABASES'] },
  ...['user', 'db', 'tables_priv', 'columns_priv', 'procs_priv', 'proxies_priv', 'roles_mapping'].map((t) => ({ on: `mysql.${t}`, privileges: ['SELECT'] })),
];

/** One MaxScale account on the cluster. */
export interface MaxscaleAccount {
  /** User name, as in the monitor's or service's `user`. */
  user: string;
  password: Secret;
}

/** What {@link maxscaleAccounts} creates. */
export interface MaxscaleAccountsOptions {
  monitor: MaxscaleAccount;
  service: MaxscaleAccount;
  /**
   * Host parts of the accounts: where the MaxScale hosts connect from, e.g. their addresses or
   * a pattern such as `10.0.0.%` (MariaDB "Account Names"). One account per host part.
   */
  hosts: string[];
  /** The monitor's `set_donor_nodes` is used: the monitor user also needs SUPER. */
  set_donor_nodes?: boolean;
}

/**
 * The tasks that make MaxScale's monitor and service users on a MariaDB 10.11 / Galera cluster,
 * with exactly the privileges MaxScale 24.02 documents ({@link monitorPrivileges},
 * {@link SERVICE_PRIVILEGES}): `mariadb.user` and `mariadb.grants` (exclusive) of
 * `@converge/mariadb-galera`, for each host part. Run them on one node of the cluster: account
 * statements replicate.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when `hosts` is empty or the two users share a name.
 *
 * @example
 * { name: 'MaxScale accounts', hosts: 'galera[0]', tasks: maxscaleAccounts({ monitor, service, hosts: ['10.0.0.%'] }) }
 */
export function maxscaleAccounts(o: MaxscaleAccountsOptions): Task[] {
  if (o.hosts.length === 0) throw new ConvergeError('CONVERGE_PARAMS', 'maxscaleAccounts: hosts is empty; give the host parts the MaxScale hosts connect from');
  if (o.monitor.user === o.service.user) {
    throw new ConvergeError('CONVERGE_PARAMS', `maxscaleAccounts: the monitor and the service both use the user ${JSON.stringify(o.monitor.user)}; give them their own accounts, each with its own privileges`);
  }
  const tasks: Task[] = [];
  for (const host of o.hosts) {
    tasks.push(
      mariadb.user({ name: o.monitor.user, host, password: o.monitor.password }, { name: `MaxScale monitor user ${o.monitor.user}@${host}` }),
      mariadb.grants({ user: o.monitor.user, host, privileges: monitorPrivileges(o.set_donor_nodes) }, { name: `MaxScale monitor grants ${o.monitor.user}@${host}` }),
      mariadb.user({ name: o.service.user, host, password: o.service.password }, { name: `MaxScale service user ${o.service.user}@${host}` }),
      mariadb.grants({ user: o.service.user, host, privileges: SERVICE_PRIVILEGES }, { name: `MaxScale service grants ${o.service.user}@${host}` }),
    );
  }
  return tasks;
}
