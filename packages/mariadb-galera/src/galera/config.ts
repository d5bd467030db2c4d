import { Secret, SECRET_MASK, SecretValue, Type, defineModule } from '@converge/core';
import type { Static } from '@converge/core';
import { defineManagedFile } from '@converge/modules';
import type { SecretSettings } from '@converge/modules';
import { GALERA_CONFIG_PATH } from './cluster.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** Params of {@link galeraConfig}. */
export const GaleraConfigParams = Type.Object(
  {
    cluster_name: Type.String({ minLength: 1, pattern: '^[^"\\n]+$', description: '`wsrep_cluster_name`: the same on every node; nodes of another name are refused.' }),
    cluster_addresses: Type.Array(Type.String({ minLength: 1, pattern: '^[^,\\s]+$' }), { minItems: 1, description: 'Addresses (`host` or `host:port`) of every node, for `wsrep_cluster_address = gcomm://a,b,c`.' }),
    node_name: Type.String({ minLength: 1, pattern: '^[^\\s]+$', description: '`wsrep_node_name`: this node (usually `inventory_hostname`).' }),
    node_address: Type.String({ minLength: 1, pattern: '^[^\\s]+$', description: '`wsrep_node_address`: the address the other nodes reach this one at.' }),
    sst_user: Type.Optional(Type.String({ minLength: 1, pattern: '^[^:\\s]+$', default: 'mariabackup', description: 'User of the mariabackup SST (`wsrep_sst_auth`); created by `galera.bootstrap`.' })),
    sst_password: SecretValue(),
    provider: Type.Optional(Type.String({ pattern: '^/', default: '/usr/lib/galera/libgalera_smm.so', description: '`wsrep_provider`: the Galera library (Debian package galera-4).' })),
    bind_address: Type.Optional(Type.String({ minLength: 1, default: '0.0.0.0', description: '`bind-address` of the server (Debian\'s default, 127.0.0.1, keeps the other nodes and routers out).' })),
    provider_options: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_.]*$' }), Scalar, { description: '`wsrep_provider_options`, e.g. `{ "gcache.size": "1G" }`.' })),
    plugin_load_add: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]+$' }), { description: 'Plugins every node loads at start (`plugin_load_add`), e.g. `auth_ed25519` for ed25519 accounts.' })),
    mysqld: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }), Scalar, { description: 'More `[mysqld]` options, written as `key = value` after the ones above.' })),
    path: Type.Optional(Type.String({ pattern: '^/', default: GALERA_CONFIG_PATH, description: 'Where the file is written.' })),
  },
  { additionalProperties: false },
);
(GaleraConfigParams.properties.sst_password as { description?: string }).description = 'Password of the SST user, a Secret: written into the file (mode 0640, group mysql), masked in every output.';

/** Params of `galera.config`. */
export type GaleraConfigParams = Static<typeof GaleraConfigParams>;

function value(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'ON' : 'OFF';
  return String(v);
}

/**
 * The text of the Galera configuration file: the settings MariaDB requires for Galera
 * (`binlog_format=ROW`, `default_storage_engine=InnoDB`, `innodb_autoinc_lock_mode=2`,
 * `wsrep_on`, `wsrep_provider`, `wsrep_cluster_address`) and the node's identity, with the
 * mariabackup SST. Pure: the same params give the same bytes.
 *
 * Source: MariaDB docs, "Configuring MariaDB Galera Cluster" (mandatory options),
 * "Galera Cluster System Variables", "mariabackup SST Method".
 */
export function renderGaleraConfig(p: GaleraConfigParams): string {
  const lines = [
    '# Managed by converge (@converge/mariadb-galera): changes here are overwritten.',
    '# https://mariadb.com/kb/en/configuring-mariadb-galera-cluster/',
    '[mysqld]',
    'binlog_format = ROW',
    'default_storage_engine = InnoDB',
    'innodb_autoinc_lock_mode = 2',
    `bind-address = ${p.bind_address ?? '0.0.0.0'}`,
    ...(p.plugin_load_add ?? []).map((plugin) => `plugin_load_add = ${plugin}`),
    '',
    'wsrep_on = ON',
    `wsrep_provider = ${p.provider ?? '/usr/lib/galera/libgalera_smm.so'}`,
    `wsrep_cluster_name = "${p.cluster_name}"`,
    `wsrep_cluster_address = gcomm://${p.cluster_addresses.join(',')}`,
    `wsrep_node_name = ${p.node_name}`,
    `wsrep_node_address = ${p.node_address}`,
    'wsrep_sst_method = mariabackup',
    `wsrep_sst_auth = ${p.sst_user ?? 'mariabackup'}:${p.sst_password.reveal()}`,
  ];
  const options = Object.entries(p.provider_options ?? {});
  if (options.length > 0) lines.push(`wsrep_provider_options = "${options.map(([k, v]) => `${k}=${value(v)}`).join('; ')}"`);
  const extra = Object.entries(p.mysqld ?? {});
  if (extra.length > 0) lines.push('', ...extra.map(([k, v]) => `${k} = ${value(v)}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The password of `wsrep_sst_auth = USER:PASSWORD` masked: the diff of the configuration shows
 * every line, with the SST password (the current one, and a former one the file held) masked.
 */
export const GALERA_SECRETS: SecretSettings = { mask: (text) => text.replace(/^(\s*wsrep_sst_auth\s*=\s*[^:\n]*:).*$/gm, `$1${SECRET_MASK}`) };

/**
 * The node's Galera configuration file: it holds the SST password, so it is a Secret (compared
 * on the controller, its diff masking the password's value, not the file), 0640 root:mysql (the
 * server reads it as mysql).
 */
const configFile = defineManagedFile<GaleraConfigParams>({
  path: (p) => p.path ?? GALERA_CONFIG_PATH,
  render: (p) => new Secret(renderGaleraConfig(p), { composite: true }),
  mode: '0640',
  owner: 'root',
  group: 'mysql',
  secretDiff: GALERA_SECRETS,
});

/**
 * Module `galera.config`: writes the node's Galera configuration
 * (`/etc/mysql/mariadb.conf.d/60-galera.cnf`, {@link renderGaleraConfig}) atomically, mode 0640,
 * owner root, group mysql (the server reads it as mysql; the file holds the SST password).
 * A changed file does not restart anything: `galera.member`, run one node at a time, restarts a
 * node whose configuration is newer than its server (a rolling restart).
 *
 * @example galeraConfig(({ vars }) => ({ cluster_name: 'prod', cluster_addresses: addrs, node_name: String(vars.inventory_hostname), node_address: String(vars.ansible_host), sst_password: vars.sst_password as Secret }))
 */
export const galeraConfig = defineModule({
  name: 'galera.config',
  description: "Write a node's Galera (wsrep) configuration.",
  params: GaleraConfigParams,
  facts: (p) => ({ dest: configFile.fact(p) }),
  plan: ({ params, facts, upstreamChanged }) => {
    const planned = configFile.plan(params, facts.dest, { module: 'galera.config', upstreamChanged });
    if (!planned.write) return { changes: [], reason: planned.reason };
    return { changes: planned.changes, diffs: planned.diffs, data: planned.write };
  },
  apply: ({ params, plan }) => configFile.apply(params, plan.data),
  resources: (p) => [configFile.path(p)],
});
