import { join } from 'node:path';
import { checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, Play, RoleUse, Secret, TaskContext } from '@converge/core';
import { apt, group, systemd, user } from '@converge/modules';
import { maxscale, maxscaleAccounts, maxscaleRepository } from '@converge/maxscale';
import type { MaxscaleConfigParams } from '@converge/maxscale';
import { sharedAddressTasks } from '@converge/keepalived';
import type { KeepalivedScript, SharedAddress } from '@converge/keepalived';

/** Vars of the sql-router role (all under `sql_router`). */
export interface SqlRouterVars {
  /**
   * MariaDB's repository signing keyring, ASCII-armored: `gpg --armor --export` of
   * https://supplychain.mariadb.com/mariadb-keyring-2019.gpg (keep it with the playbook, load it
   * with `readFileSync`). It must hold MariaDB's documented release-signing key.
   */
  mariadb_key: string;
  /** MaxScale release series of the repository and the pin. Default `24.02`. */
  maxscale_version?: string;
  /** Fingerprints the key must hold. Default: MariaDB's release-signing key (`MARIADB_SIGNING_KEY_FINGERPRINT`). */
  key_fingerprints?: string[];
  /** The `maxscale.config` params: servers, monitor, service, listener. */
  maxscale: MaxscaleConfigParams;
  /**
   * The REST API / maxctrl account (`maxscale.rest_api`): written for maxctrl, set up on the
   * running MaxScale, and MaxScale's default admin:mariadb removed. Absent: MaxScale keeps its
   * default account.
   */
  rest_api?: { user: string; password: Secret };
  /**
   * Install the `maxscale` package and run its service. Default true; false leaves the
   * repository, the account and the configuration in place for a host that gets the package
   * another way.
   */
  install?: boolean;
  /**
   * The routers' shared address (keepalived, VRRP over unicast on the private network; see
   * packages/keepalived/README.md): clients connect to it on the listener's port, and it stays
   * on a router whose MaxScale runs (`MAXSCALE_CHECK` unless the spec has a `check`). Absent:
   * no keepalived (use DNS, see roles/README.md).
   */
  vip?: SharedAddress;
}

/**
 * MaxScale liveness, the default health check of the routers' shared address: the `maxscale`
 * process runs. Where it does not (stopped, crashed, not installed), the instance is in FAULT
 * and does not hold the address.
 */
export const MAXSCALE_CHECK: KeepalivedScript = { name: 'maxscale', script: ['/usr/bin/pgrep', '-x', 'maxscale'], interval: 2, fall: 2, rise: 2 };

/**
 * Every var of {@link SqlRouterVars}; `maxscale` is the `maxscale.config` params and `vip` the
 * shared address, checked by their modules' schemas. Complete by type.
 */
export const SQL_ROUTER_VARS: KnownVars<SqlRouterVars> = {
  mariadb_key: true,
  maxscale_version: true,
  key_fingerprints: true,
  maxscale: true,
  rest_api: { user: true, password: true },
  install: true,
  vip: true,
};

/**
 * A host's `sql_router` var, checked: undefined where the host has none.
 *
 * @throws ConvergeError `CONVERGE_VARS` for a var the role does not know ({@link SQL_ROUTER_VARS}).
 */
export function sqlRouterVarsOf(h: TaskContext): SqlRouterVars | undefined {
  return h.vars.sql_router === undefined ? undefined : checkRoleVars('sql-router', 'sql_router', h.vars.sql_router, SQL_ROUTER_VARS);
}

const cfg = (h: TaskContext): SqlRouterVars => sqlRouterVarsOf(h) as SqlRouterVars;
const installs = (h: TaskContext): boolean => cfg(h).install !== false;

/**
 * Role `sql-router`: MariaDB MaxScale routing SQL to a Galera cluster. MariaDB's signed MaxScale
 * repository (`apt.repository` with the key from the vars, checked against MariaDB's release
 * key, `maxscale` pinned to the release series), the `maxscale` system account (as the package
 * makes it, so the configuration can be owned before the package is there), the `maxscale`
 * package, maxscale.cnf from the typed model (`maxscale.config`: changes through maxctrl or a
 * restart), the service started and enabled, and the REST API account (`maxscale.rest_api`). Every host of the play gets the same
 * configuration: run it on two or more hosts for redundancy, with a floating address (`vip`:
 * keepalived on the routers, `sharedAddressTasks` of `@converge/keepalived`, the address held
 * where MaxScale runs) or DNS in front (see roles/README.md).
 *
 * @example
 * roles: [sqlRouter({ mariadb_key: readFileSync('files/mariadb-keyring.asc', 'utf8'), maxscale: { servers, monitor, service } })]
 */
export const sqlRouterRole = defineRole({
  name: 'sql-router',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { sql_router: {} },
  tasks: [
    apt({ name: ['ca-certificates', 'curl'] }, { name: 'CA certificates and curl (REST API account)' }),
    apt.repository(
      (h) =>
        maxscaleRepository({
          key: cfg(h).mariadb_key,
          ...(cfg(h).maxscale_version ? { version: cfg(h).maxscale_version as string } : {}),
          ...(cfg(h).key_fingerprints ? { key_fingerprints: cfg(h).key_fingerprints as string[] } : {}),
        }),
      { name: "MariaDB's MaxScale repository" },
    ),
    group({ name: 'maxscale', system: true }, { name: 'maxscale group' }),
    user({ name: 'maxscale', group: 'maxscale', system: true, home: '/var/lib/maxscale', create_home: false, shell: '/usr/sbin/nologin', comment: 'MaxScale' }, { name: 'maxscale user' }),
    apt({ name: 'maxscale' }, { name: 'install maxscale', when: installs }),
    maxscale.config((h) => cfg(h).maxscale, { name: 'maxscale.cnf' }),
    systemd.service({ name: 'maxscale', state: 'started', enabled: true }, { name: 'maxscale running and enabled', when: installs }),
    maxscale.rest_api(
      (h) => {
        const c = cfg(h);
        const r = c.rest_api as { user: string; password: Secret };
        return {
          user: r.user,
          password: r.password,
          account: installs(h),
          ...(c.maxscale.maxscale?.admin_host ? { admin_host: c.maxscale.maxscale.admin_host } : {}),
          ...(c.maxscale.maxscale?.admin_port ? { admin_port: c.maxscale.maxscale.admin_port } : {}),
          ...(c.maxscale.maxctrl_config ? { maxctrl_config: c.maxscale.maxctrl_config } : {}),
        };
      },
      { name: 'REST API account', when: (h) => cfg(h).rest_api !== undefined },
    ),
    ...sharedAddressTasks({ spec: (h) => cfg(h).vip, where: 'sql_router.vip', check: MAXSCALE_CHECK }),
  ],
});

/** The role with its `sql_router` var, typed: `roles: [sqlRouter({ ... })]`. */
export function sqlRouter(vars: SqlRouterVars): RoleUse {
  return useRole(sqlRouterRole, { sql_router: vars });
}

/** Options of {@link sqlRouterPlays}. */
export interface SqlRouterPlaysOptions {
  /** Inventory group of the MaxScale hosts. Default `maxscale`. */
  routers?: string;
  /** Inventory group of the Galera nodes; the accounts are made on its first host. Default `galera`. */
  cluster?: string;
  /** Host parts of the MaxScale accounts on the cluster: the routers' addresses, or a pattern such as `10.0.0.%`. */
  account_hosts: string[];
}

/**
 * The plays of a redundant SQL router: the monitor and service accounts on the first node of the
 * cluster (`maxscaleAccounts`: exactly the grants MaxScale documents, they replicate), then the
 * role on every router host, each configured identically.
 */
export function sqlRouterPlays(vars: SqlRouterVars, o: SqlRouterPlaysOptions): Play[] {
  const m = vars.maxscale;
  return [
    {
      name: 'sql router: MaxScale accounts on the cluster',
      hosts: `${o.cluster ?? 'galera'}[0]`,
      tasks: maxscaleAccounts({
        monitor: { user: m.monitor.user, password: m.monitor.password },
        service: { user: m.service.user, password: m.service.password },
        hosts: o.account_hosts,
        ...(m.monitor.set_donor_nodes ? { set_donor_nodes: true } : {}),
      }),
    },
    { name: 'sql router: MaxScale', hosts: o.routers ?? 'maxscale', roles: [sqlRouter(vars)] },
  ];
}

export default sqlRouterRole;
