import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, Play, RoleUse, Secret, TaskContext } from '@converge/core';
import { apt } from '@converge/modules';
import { galera, galeraStateEndpoint, mariadb, stateEndpointHandlers } from '@converge/mariadb-galera';
import type { ClusterParams, GaleraConfigParams, MariadbDatabaseParams, MariadbUserParams } from '@converge/mariadb-galera';
import type { Static } from '@converge/core';
import type { GrantEntry } from '@converge/mariadb-galera';

/** An account of {@link DatabaseClusterConfig.users}: `mariadb.user` params plus its privileges (`mariadb.grants`). */
export type ClusterUser = MariadbUserParams & { privileges?: Static<typeof GrantEntry>[] };

/** The `galera` var of the database-cluster role. */
export interface DatabaseClusterConfig {
  /** Inventory group of the cluster's nodes, in bootstrap order; default `galera`. */
  group?: string;
  /** `wsrep_cluster_name`. */
  cluster_name: string;
  /** Password of the mariabackup SST account. */
  sst_password: Secret;
  sst_user?: string;
  /** Port of the nodes' state endpoints; default 9200. */
  state_port?: number;
  /** Host var that holds a node's cluster address; default `galera_address`, else `ansible_host`, else the host name. */
  address_var?: string;
  provider_options?: GaleraConfigParams['provider_options'];
  plugin_load_add?: string[];
  mysqld?: GaleraConfigParams['mysqld'];
  /** Databases, created on the first node once every node is Synced (DDL replicates). */
  databases?: MariadbDatabaseParams[];
  /** Accounts and their privileges, made on the first node once every node is Synced. */
  users?: ClusterUser[];
  /** Seconds to wait for a node to be Synced; default 900. */
  timeout?: number;
}

/**
 * Every var of {@link DatabaseClusterConfig}; `provider_options`, `mysqld`, `databases` and
 * `users` are module params, checked by their schemas. Complete by type.
 */
export const DATABASE_CLUSTER_VARS: KnownVars<DatabaseClusterConfig> = {
  group: true,
  cluster_name: true,
  sst_password: true,
  sst_user: true,
  state_port: true,
  address_var: true,
  provider_options: true,
  plugin_load_add: true,
  mysqld: true,
  databases: true,
  users: true,
  timeout: true,
};

function config(ctx: TaskContext): DatabaseClusterConfig {
  return checkRoleVars('database-cluster', 'galera', ctx.vars.galera, DATABASE_CLUSTER_VARS);
}

/** The cluster's nodes, in the order of the inventory group, with the address each is reached at. */
export function clusterNodes(ctx: TaskContext): ClusterParams['nodes'] {
  const c = config(ctx);
  const group = c.group ?? 'galera';
  const groups = ctx.vars.groups as Record<string, string[]>;
  const hostvars = ctx.vars.hostvars as Record<string, Record<string, unknown>>;
  const names = groups[group];
  if (!names || names.length === 0) throw new ConvergeError('CONVERGE_VARS', `database-cluster: the inventory group ${JSON.stringify(group)} has no hosts`);
  return names.map((name) => {
    const hv = hostvars[name] ?? {};
    const address = hv[c.address_var ?? 'galera_address'] ?? hv.ansible_host ?? name;
    return { name, address: String(address) };
  });
}

function clusterParams(ctx: TaskContext): ClusterParams {
  const c = config(ctx);
  return {
    node: String(ctx.vars.inventory_hostname),
    nodes: clusterNodes(ctx),
    ...(c.state_port !== undefined ? { state_port: c.state_port } : {}),
    ...(c.timeout !== undefined ? { timeout: c.timeout } : {}),
    ...(c.sst_user !== undefined ? { sst_user: c.sst_user } : {}),
    sst_password: c.sst_password,
  };
}

/**
 * Role `database-cluster`: one MariaDB Galera node — MariaDB 10.11, galera-4 and mariadb-backup
 * from Debian, the wsrep configuration (`galera.config`), and the state endpoint the other nodes
 * read. Bootstrapping and joining need every node and an order, so they are plays, not role
 * tasks: use {@link databaseClusterPlays}, which includes this role.
 */
export const databaseClusterRole = defineRole({
  name: 'database-cluster',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { galera: { cluster_name: 'galera' } },
  tasks: [
    apt({ name: ['mariadb-server', 'galera-4', 'mariadb-backup', 'socat'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install MariaDB and Galera' }),
    galera.config(
      (ctx) => {
        const c = config(ctx);
        const nodes = clusterNodes(ctx);
        const self = nodes.find((n) => n.name === ctx.vars.inventory_hostname);
        return {
          cluster_name: c.cluster_name,
          cluster_addresses: nodes.map((n) => n.address),
          node_name: String(ctx.vars.inventory_hostname),
          node_address: self?.address ?? String(ctx.vars.inventory_hostname),
          sst_password: c.sst_password,
          ...(c.sst_user !== undefined ? { sst_user: c.sst_user } : {}),
          ...(c.provider_options ? { provider_options: c.provider_options } : {}),
          ...(c.plugin_load_add ? { plugin_load_add: c.plugin_load_add } : {}),
          ...(c.mysqld ? { mysqld: c.mysqld } : {}),
        };
      },
      { name: 'wsrep configuration' },
    ),
    ...galeraStateEndpoint(),
  ],
  handlers: stateEndpointHandlers(),
});

/** The role with its `galera` var, typed (the node part only; see {@link databaseClusterPlays}). */
export function databaseCluster(c: DatabaseClusterConfig): RoleUse {
  return useRole(databaseClusterRole, { galera: c });
}

/**
 * The plays that converge a Galera cluster of `size` nodes (the hosts of `c.group`, in inventory
 * order), safe on a new cluster, a running one, and one whose nodes all stopped:
 *
 * 1. every node at once: packages, configuration, state endpoint (this role);
 * 2. every node at once: `galera.bootstrap` — only the node the bootstrap rules choose acts, and
 *    only when no primary component exists;
 * 3. one play per node, in order (`serial: 1`): `galera.member` — join and wait until Synced, or a
 *    rolling restart when the configuration changed;
 * 4. the first node: databases, accounts and grants (they replicate).
 *
 * With `c` undefined the plays read the inventory's `galera` var instead (a site playbook whose
 * passwords differ per inventory: vault() lookups or ansible-vault values there), with
 * `options.group` (default `galera`) naming the nodes; databases and accounts are then loops
 * over its `databases` and `users`.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for a size below 1.
 */
export function databaseClusterPlays(c: DatabaseClusterConfig | undefined, options: { size: number; name?: string; group?: string }): Play[] {
  if (!Number.isInteger(options.size) || options.size < 1) throw new ConvergeError('CONVERGE_PARAMS', `databaseClusterPlays: size must be a positive integer, got ${options.size}`);
  const group = c?.group ?? options.group ?? 'galera';
  const name = options.name ?? 'database cluster';
  const vars = c ? { galera: c } : {};
  const plays: Play[] = [
    { name: `${name}: nodes`, hosts: group, roles: [c ? databaseCluster(c) : databaseClusterRole] },
    { name: `${name}: bootstrap`, hosts: group, vars, tasks: [galera.bootstrap(clusterParams, { name: 'bootstrap when no primary component exists' })] },
  ];
  for (let i = 0; i < options.size; i++) {
    plays.push({ name: `${name}: member ${i + 1}`, hosts: `${group}[${i}]`, vars, tasks: [galera.member(clusterParams, { name: 'Synced member of the cluster' })] });
  }
  if (!c) {
    const users = (h: TaskContext): ClusterUser[] => config(h).users ?? [];
    const label = (u: ClusterUser): string => `${u.name}@${u.host ?? 'localhost'}`;
    plays.push({
      name: `${name}: databases and accounts`,
      hosts: `${group}[0]`,
      tasks: [
        mariadb.database((h) => h.item as MariadbDatabaseParams, { name: 'database', loop: (h) => config(h).databases ?? [], loopControl: { label: (d) => (d as MariadbDatabaseParams).name } }),
        mariadb.user((h) => userOnly(h.item as ClusterUser), { name: 'account', loop: users, loopControl: { label: (u) => label(u as ClusterUser) } }),
        mariadb.grants((h) => grantsOf(h.item as ClusterUser), {
          name: 'grants',
          loop: (h) => users(h).filter((u) => u.privileges && (u.state ?? 'present') === 'present'),
          loopControl: { label: (u) => label(u as ClusterUser) },
        }),
      ],
    });
    return plays;
  }
  const accounts = [
    ...(c.databases ?? []).map((d) => mariadb.database(d)),
    ...(c.users ?? []).flatMap((u) => [
      mariadb.user(userOnly(u)),
      ...(u.privileges && (u.state ?? 'present') === 'present' ? [mariadb.grants(grantsOf(u))] : []),
    ]),
  ];
  if (accounts.length > 0) plays.push({ name: `${name}: databases and accounts`, hosts: `${group}[0]`, vars, tasks: accounts });
  return plays;
}

function userOnly(u: ClusterUser): MariadbUserParams {
  const { privileges: _p, ...user } = u;
  return user;
}

function grantsOf(u: ClusterUser): { user: string; host: string; privileges: Static<typeof GrantEntry>[] } {
  return { user: u.name, host: u.host ?? 'localhost', privileges: u.privileges ?? [] };
}

export default databaseClusterRole;
