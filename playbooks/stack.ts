import { existsSync, readFileSync } from 'node:fs';
import { ConvergeError, vault } from '@converge/core';
import type { Secret } from '@converge/core';
import type { InventoryDefinitionInput } from '@converge/inventory';
import type { SharedAddress } from '@converge/keepalived';
import type { HaproxyConfigParams } from '@converge/haproxy';
import type { DatabaseClusterConfig } from '@converge/role-database-cluster';
import type { MonitoringVars } from '@converge/role-monitoring';
import type { SqlRouterVars } from '@converge/role-sql-router';
import type { SharedStorageVars } from '@converge/role-shared-storage';
import type { AppVars } from '@converge/role-app';
import type { JobParams, RepositoryParams } from '@converge/restic-backup';
import type { NfsMountParams } from '@converge/nfs';
import { appDatabase } from '@converge/role-app';
import { SERVICE_PRIVILEGES, monitorPrivileges } from '@converge/maxscale';

/** The tiers of the reference stack: inventory groups a host belongs to. */
export type StackGroup = 'lb' | 'sql_router' | 'app' | 'galera' | 'nfs_server' | 'nfs_clients' | 'monitoring';

/** An S3-compatible object storage place of one provider, for the backup copies. */
export interface ObjectStorage {
  /** Endpoint URL without a path, e.g. `https://s3.gra.io.cloud.ovh.net`. */
  endpoint: string;
  region: string;
  /** The bucket (it must exist); each host writes under its own name as prefix. */
  bucket: string;
  access_key_id: string | Secret;
  secret_access_key: Secret;
  /** The restic repository password of the copies there. */
  password: Secret;
}

/** The passwords and keys of the stack: `vault()` lookups on the clouds, `secret()` values in `inventories/local`. */
export interface StackSecrets {
  /** VRRP password of the shared addresses (1 to 8 characters). */
  vrrp: Secret;
  /** Galera's SST account. */
  galera_sst: Secret;
  /** The application's database account. */
  app_database: Secret;
  /** The application's Sentry DSN. */
  sentry_dsn?: Secret;
  /** mysqld_exporter's MariaDB account. */
  mysqld_exporter: Secret;
  /** MaxScale's monitor and service accounts, and its REST API account. */
  maxscale_monitor: Secret;
  maxscale_service: Secret;
  maxscale_admin: Secret;
  /** The restic password of the primary repository (the backup volume). */
  backup_volume: Secret;
}

/** What differs between the stack's inventories; {@link stackInventory} turns it into every role's vars. */
export interface StackSpec {
  /** Environment name (`local`, `production`, `staging`): Sentry environment, log and metric labels. */
  name: string;
  /** Interface of the private network on every host (VRRP adverts, the shared addresses). */
  interface: string;
  /** Every host: its private address and tiers. Cloud sources add provider vars to the same names. */
  hosts: Record<string, { address: string; groups: StackGroup[]; vars?: Record<string, unknown> }>;
  /** Vars of every host (connection settings, residency). */
  vars?: Record<string, unknown>;
  networks: {
    /** Where operators, converge and Prometheus' users come from (SSH, Prometheus, Grafana). */
    admin: string[];
    /** The database network: Galera nodes and the SQL routing tier. Galera's ports and its state endpoint accept only these. */
    database: string[];
  };
  /** The load balancers' shared address, `ADDRESS/PREFIX`, and on a cloud the provider address moved with it. */
  lb_vip: { address: string; virtual_router_id?: number; failover?: SharedAddress['failover'] };
  /**
   * The SQL routing tier: the MaxScale pair (`sql_router` hosts) behind its own shared address
   * `vip`; MariaDB's armored repository keyring (`mariadb_key`), without which MaxScale is not
   * installed. With `load_balancer_port` the load balancers also listen for SQL on their shared
   * address (HAProxy in TCP mode, one Galera node at a time, checked through its state endpoint)
   * and the apps connect there: for where MaxScale cannot be installed (`inventories/local`).
   */
  sql: { vip: string; virtual_router_id?: number; failover?: SharedAddress['failover']; mariadb_key?: string; load_balancer_port?: number };
  /** The application release, e.g. `1.1.0` (a `roles/app/files/notes-VERSION.tar.gz`). */
  app_version: string;
  /** The NFS export (nfs-ganesha on the `nfs_server` host) and, where the kernel has an NFS client, the clients' mount point. */
  nfs: { export_dir: string; mount_point?: string };
  /** Backups: the primary repository's directory (a block storage volume, see `backup_volume`), copies to OVHcloud and Scaleway object storage. */
  backup: { dir: string; volume?: { device: string; fstype: 'ext4' | 'xfs' }; ovh: ObjectStorage; scaleway: ObjectStorage };
  /** Loki's push URL for the agents, and the Loki Grafana reads. */
  loki_url: string;
  /**
   * Grafana's APT signing key, ASCII-armored (https://apt.grafana.com/gpg.key, kept with the
   * inventory): Grafana, Loki and Alloy are installed only where it is given and the repository
   * answers.
   */
  grafana_key?: string;
  /** Alertmanager's mail settings. */
  alerts: { smarthost: string; from: string; to: string };
  secrets: StackSecrets;
}

/**
 * A cloud inventory's reader of its Vault secrets: `kv('restic#ovh')` is
 * `vault('kv/data/converge/<inventory>/restic#ovh')`, the field `ovh` of the KV v2 secret
 * `converge/<inventory>/restic`, read once before any host is contacted.
 */
export function stackVault(inventory: string): (path: string) => Secret {
  return (path) => vault(`kv/data/converge/${inventory}/${path}`);
}

/** The stack's own secrets at the same Vault paths in every cloud inventory ({@link stackVault}). */
export function stackSecretsFromVault(kv: (path: string) => Secret): StackSecrets {
  return {
    vrrp: kv('vrrp#password'),
    galera_sst: kv('galera#sst'),
    app_database: kv('notes#database'),
    sentry_dsn: kv('notes#sentry_dsn'),
    mysqld_exporter: kv('galera#exporter'),
    maxscale_monitor: kv('maxscale#monitor'),
    maxscale_service: kv('maxscale#service'),
    maxscale_admin: kv('maxscale#admin'),
    backup_volume: kv('restic#volume'),
  };
}

/**
 * A vendor's repository key kept with an inventory (`files/NAME` next to its `stack.ts`, given
 * as `import.meta.url`), or `''` when it is not there: the plays that need it are then skipped.
 */
export function inventoryKey(inventoryModule: string, name: string): string {
  const f = new URL(`files/${name}`, inventoryModule);
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/** The private address of each host of a tier, in inventory order. */
function addresses(spec: StackSpec, group: StackGroup): string[] {
  return Object.values(spec.hosts).filter((h) => h.groups.includes(group)).map((h) => h.address);
}
function names(spec: StackSpec, group: StackGroup): string[] {
  return Object.entries(spec.hosts).filter(([, h]) => h.groups.includes(group)).map(([n]) => n);
}
const host32 = (a: string): string => (a.includes('/') ? a : `${a}/32`);

/** Ports of the stack (Debian's defaults unless said). */
export const STACK_PORTS = {
  http: 80,
  mysql: 3306,
  galeraReplication: 4567,
  galeraIst: 4568,
  galeraSst: 4444,
  galeraState: 9200,
  nfs: 2049,
  nodeExporter: 9100,
  mysqldExporter: 9104,
  haproxyMetrics: 8405,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  loki: 3100,
} as const;

/**
 * The nftables ruleset of one host of the stack: input dropped but for what its tiers need, each
 * port open only to the tier that uses it (private network only). Galera's replication, IST and
 * SST ports and its state endpoint accept only the database network. Output and forwarding are
 * left open (apt, the object storage, Loki and Sentry are outside).
 */
export function stackFirewall(spec: StackSpec, host: string): { tables: { name: string; sets: { name: string; type: string; flags: 'interval'[]; elements: string[] }[]; chains: { name: string; hook: 'input'; policy: 'drop'; rules: string[] }[] }[] } {
  const self = spec.hosts[host];
  if (!self) throw new ConvergeError('CONVERGE_PARAMS', `stack: no host ${host}`);
  const is = (g: StackGroup) => self.groups.includes(g);
  const sets: Record<string, string[]> = {
    admin: spec.networks.admin,
    database: spec.networks.database,
    lb: addresses(spec, 'lb').map(host32),
    app: addresses(spec, 'app').map(host32),
    routers: addresses(spec, 'sql_router').map(host32),
    monitoring: addresses(spec, 'monitoring').map(host32),
    nfs_clients: addresses(spec, 'nfs_clients').map(host32),
    private: Object.values(spec.hosts).map((h) => host32(h.address)),
  };
  const P = STACK_PORTS;
  const rules = ['ct state established,related accept', 'ct state invalid drop', 'iif lo accept', 'ip protocol icmp accept', `ip saddr @admin tcp dport 22 accept`, `ip saddr @monitoring tcp dport ${P.nodeExporter} accept`];
  if (is('lb')) {
    rules.push(`tcp dport ${P.http} accept`, `ip saddr @monitoring tcp dport ${P.haproxyMetrics} accept`, 'ip saddr @lb ip protocol vrrp accept');
    if (spec.sql.load_balancer_port !== undefined) rules.push(`ip saddr @app tcp dport ${spec.sql.load_balancer_port} accept`);
  }
  if (is('sql_router')) rules.push(`ip saddr @app tcp dport ${P.mysql} accept`, 'ip saddr @routers ip protocol vrrp accept');
  if (is('app')) rules.push(`ip saddr @lb tcp dport ${P.http} accept`);
  if (is('galera')) {
    rules.push(
      `ip saddr @database tcp dport { ${P.mysql}, ${P.galeraReplication}, ${P.galeraIst}, ${P.galeraSst}, ${P.galeraState} } accept`,
      `ip saddr @database udp dport ${P.galeraReplication} accept`,
      `ip saddr @monitoring tcp dport ${P.mysqldExporter} accept`,
    );
  }
  if (is('nfs_server')) rules.push(`ip saddr @nfs_clients tcp dport ${P.nfs} accept`);
  if (is('monitoring')) rules.push(`ip saddr @admin tcp dport { ${P.prometheus}, ${P.alertmanager}, ${P.grafana} } accept`, `ip saddr @private tcp dport ${P.loki} accept`);
  return {
    tables: [
      {
        name: 'stack',
        sets: Object.entries(sets).map(([name, elements]) => ({ name, type: 'ipv4_addr', flags: ['interval'], elements: [...new Set(elements)] })),
        chains: [{ name: 'input', hook: 'input', policy: 'drop', rules }],
      },
    ],
  };
}

/**
 * Every var of every role of the reference stack, from one {@link StackSpec}: the inventory a
 * `.ts` file of `inventories/*` default-exports (`defineInventory(stackInventory(spec))`), next
 * to its cloud sources and `group_vars/`. Groups: `lb`, `sql_router`, `app`, `galera` (in
 * bootstrap order), `nfs_server`, `nfs_clients`, `monitoring`; host vars: `ansible_host` and
 * `private_ip` (the private address), `restic_backup` (the host's backup jobs) and `firewall`
 * (its nftables ruleset).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for a stack without load balancers, apps or three Galera nodes.
 */
export function stackInventory(spec: StackSpec): InventoryDefinitionInput {
  const lbs = names(spec, 'lb');
  const apps = names(spec, 'app');
  const nodes = names(spec, 'galera');
  if (lbs.length < 2 || apps.length < 1 || nodes.length !== 3 || names(spec, 'nfs_server').length !== 1 || names(spec, 'monitoring').length < 1) {
    throw new ConvergeError('CONVERGE_PARAMS', `stack ${spec.name}: needs two or more lb hosts, one or more app hosts, three galera nodes, one nfs_server and a monitoring host`);
  }
  const s = spec.secrets;
  const sql = spec.sql;
  const throughLbs = sql.load_balancer_port !== undefined;
  const routerAddresses = [...new Set([...addresses(spec, 'sql_router'), ...(throughLbs ? addresses(spec, 'lb') : [])])];
  const maxscaleUsers = addresses(spec, 'sql_router').flatMap((host) => [
    { name: 'maxscale_monitor', host, password: s.maxscale_monitor, privileges: monitorPrivileges() },
    { name: 'maxscale_service', host, password: s.maxscale_service, privileges: SERVICE_PRIVILEGES },
  ]);
  const vipHost = (a: string) => a.split('/')[0] as string;
  const database: DatabaseClusterConfig = {
    cluster_name: `stack-${spec.name}`,
    sst_password: s.galera_sst,
    databases: appDatabase(s.app_database).databases,
    users: [...appDatabase(s.app_database, { hosts: routerAddresses }).users, ...maxscaleUsers],
  };
  const app: AppVars = {
    version: spec.app_version,
    database: { addresses: [throughLbs ? { host: vipHost(spec.lb_vip.address), port: sql.load_balancer_port as number } : { host: vipHost(sql.vip), port: STACK_PORTS.mysql }], password: s.app_database },
    ...(s.sentry_dsn ? { sentry: { dsn: s.sentry_dsn, environment: spec.name } } : {}),
  };
  const haproxy: HaproxyConfigParams = {
    global: { chroot: '/var/lib/haproxy', server_state_file: '/var/lib/haproxy/server-state' },
    defaults: { timeouts: { connect: '3s', client: '30s', server: '30s' } },
    frontends: [
      { name: 'www', binds: [{ address: `*:${STACK_PORTS.http}` }], default_backend: 'notes' },
      ...(throughLbs ? [{ name: 'sql', mode: 'tcp' as const, binds: [{ address: `*:${sql.load_balancer_port}` }], default_backend: 'galera' }] : []),
    ],
    backends: [
      {
        name: 'notes',
        balance: 'roundrobin',
        health_check: { path: '/notes', expect_status: '200', interval: '1s', fall: 2, rise: 1 },
        servers: apps.map((n) => ({ name: n, address: `${spec.hosts[n]?.address}:${STACK_PORTS.http}` })),
      },
      // One writer at a time (the others are backups): Galera certifies writes on every node,
      // and concurrent writes to one row on two nodes abort one of them. Health: the state endpoint says Synced.
      ...(throughLbs
        ? [
            {
              name: 'galera',
              mode: 'tcp' as const,
              balance: 'first' as const,
              health_check: { path: '/', expect_status: '200', interval: '2s', fall: 2, rise: 2 },
              servers: nodes.map((n, i) => ({ name: n, address: `${spec.hosts[n]?.address}:${STACK_PORTS.mysql}`, options: [`port ${STACK_PORTS.galeraState}`], ...(i > 0 ? { backup: true } : {}) })),
            },
          ]
        : []),
    ],
  };
  const lbVip: SharedAddress = {
    name: 'VI_LB',
    address: spec.lb_vip.address,
    interface: spec.interface,
    virtual_router_id: spec.lb_vip.virtual_router_id ?? 51,
    peers: lbs,
    authentication: s.vrrp,
    ...(spec.lb_vip.failover ? { failover: spec.lb_vip.failover } : {}),
  };
  const sqlRouter: SqlRouterVars = {
          mariadb_key: sql.mariadb_key ?? '',
          maxscale: {
            servers: nodes.map((n) => ({ name: n, address: spec.hosts[n]?.address as string })),
            monitor: { user: 'maxscale_monitor', password: s.maxscale_monitor },
            service: { user: 'maxscale_service', password: s.maxscale_service, master_reconnection: true, transaction_replay: true },
            listener: { port: STACK_PORTS.mysql },
          },
          rest_api: { user: 'stack-admin', password: s.maxscale_admin },
          vip: {
            name: 'VI_SQL',
            address: sql.vip,
            interface: spec.interface,
            virtual_router_id: sql.virtual_router_id ?? 52,
            peers: names(spec, 'sql_router'),
            authentication: s.vrrp,
            ...(sql.failover ? { failover: sql.failover } : {}),
          },
        };
  const monitoring: MonitoringVars = {
    groups: { node: 'all', mysqld: 'galera', haproxy: 'lb' },
    address_var: 'private_ip',
    prometheus: { global: { scrape_interval: '15s', evaluation_interval: '15s', external_labels: { environment: spec.name } }, retention_time: '15d' },
    rules: { galera_size: 3 },
    mysqld_exporter: { user: 'exporter', password: s.mysqld_exporter },
    probes: { targets: [`http://${vipHost(spec.lb_vip.address)}/notes`] },
    alertmanager: {
      smtp: { smarthost: spec.alerts.smarthost, from: spec.alerts.from, require_tls: false },
      route: { receiver: 'ops', group_by: ['alertname', 'instance'] },
      receivers: [{ name: 'ops', email_configs: [{ to: spec.alerts.to }] }],
    },
  };
  const nfsServer = names(spec, 'nfs_server')[0] as string;
  const server: SharedStorageVars = {
    server: {
      ganesha: {
        exports: [{ export_id: 1, path: spec.nfs.export_dir, pseudo: '/shared', mode: '0777', clients: [{ clients: addresses(spec, 'nfs_clients'), access_type: 'RW', squash: 'root_squash' }] }],
      },
    },
  };
  const mounts: NfsMountParams[] = spec.nfs.mount_point ? [{ path: spec.nfs.mount_point, src: `${spec.hosts[nfsServer]?.address}:/shared` }] : [];

  const repositories = (host: string): RepositoryParams[] => {
    const s3 = (name: string, o: ObjectStorage): RepositoryParams => ({
      name,
      password: o.password,
      location: { type: 's3', endpoint: o.endpoint, region: o.region, bucket: o.bucket, prefix: host, access_key_id: o.access_key_id, secret_access_key: o.secret_access_key },
    });
    return [{ name: 'volume', password: s.backup_volume, location: { type: 'local', path: `${spec.backup.dir}/${host}` } }, s3('ovh', spec.backup.ovh), s3('scaleway', spec.backup.scaleway)];
  };
  const retention = { keep_daily: 7, keep_weekly: 4, keep_monthly: 6 };
  const jobs = (host: string): JobParams[] => [
    ...(host === nodes[0]
      ? [
          {
            name: 'database',
            repository: 'volume',
            copy_to: ['ovh', 'scaleway'],
            paths: ['/etc/mysql'],
            // One consistent snapshot of every InnoDB table (a single transaction), streamed into restic.
            stdin: [{ command: 'mariadb-dump --all-databases --single-transaction --routines --events --triggers', filename: 'all-databases.sql' }],
            retention,
            on_calendar: '*-*-* 02:30',
            randomized_delay: '30min',
          },
        ]
      : []),
    ...(host === nfsServer ? [{ name: 'shared', repository: 'volume', copy_to: ['ovh', 'scaleway'], paths: [spec.nfs.export_dir], retention, on_calendar: '*-*-* 03:00', randomized_delay: '30min' }] : []),
  ];

  const hostVars: Record<string, Record<string, unknown>> = {};
  for (const [n, h] of Object.entries(spec.hosts)) {
    const j = jobs(n);
    hostVars[n] = {
      ansible_host: h.address,
      private_ip: h.address,
      firewall: stackFirewall(spec, n),
      ...(j.length > 0 ? { restic_backup: { repositories: repositories(n), jobs: j } } : {}),
      ...(h.groups.includes('nfs_server') ? { shared_storage: server } : h.groups.includes('nfs_clients') ? { shared_storage: { mounts } } : {}),
      ...(h.vars ?? {}),
    };
  }
  // Each host's vars go with the first of its groups (a host's vars are the same in every group).
  const groups: NonNullable<InventoryDefinitionInput['groups']> = {};
  const all: StackGroup[] = ['lb', 'sql_router', 'app', 'galera', 'nfs_server', 'nfs_clients', 'monitoring'];
  for (const g of all) groups[g] = { hosts: Object.fromEntries(names(spec, g).map((n) => [n, all.find((x) => spec.hosts[n]?.groups.includes(x)) === g ? (hostVars[n] ?? {}) : {}])) };
  return {
    vars: {
      ...(spec.vars ?? {}),
      stack_name: spec.name,
      galera: database,
      app,
      haproxy,
      load_balancer_vip: lbVip,
      sql_router: sqlRouter,
      sql_through_load_balancers: throughLbs,
      monitoring,
      loki_url: spec.loki_url,
      backup_volume: spec.backup.volume ?? null,
      observability: { grafana_key: spec.grafana_key ?? '', alloy: { labels: { environment: spec.name }, journal: { labels: { job: 'systemd-journal' } }, endpoints: [{ name: 'loki', url: spec.loki_url }] } },
    },
    groups,
  };
}
