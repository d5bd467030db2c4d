import { ConvergeError, SECRET_MASK, SecretValue, Type, defineModule, secretText } from '@converge/core';
import type { Secret, Static, Task } from '@converge/core';
import type { SecretSettings } from '@converge/modules';
import { mariadb } from '@converge/mariadb-galera';
import { ListenAddress, PathParam, applyService, applyToServiceParam, planService, renderDefaultsFile, serviceFacts, serviceResources } from './service-files.js';
import type { ServiceSpec } from './service-files.js';

/** Debian 12's `prometheus-mysqld-exporter` (0.14): its unit, /etc/default file and `--help` defaults; the service runs as `prometheus`. */
export const MYSQLD_EXPORTER_DEFAULTS = {
  unit: 'prometheus-mysqld-exporter',
  defaults_file: '/etc/default/prometheus-mysqld-exporter',
  listen_address: ':9104',
  my_cnf: '/var/lib/prometheus/.my.cnf',
  socket: '/run/mysqld/mysqld.sock',
  user: 'prometheus',
  port: 9104,
} as const;

/** JSON Schema of the `prometheus.mysqld_exporter` params. */
export const MysqldExporterParams = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\s"\\\\]+$', description: 'MariaDB account the exporter logs in as (see `mysqldExporterAccount`).' }),
    password: SecretValue(),
    socket: Type.Optional(Type.String({ pattern: '^/[^\\s]*$', description: 'Connect through this UNIX socket. Default `/run/mysqld/mysqld.sock` unless `host` is given.' })),
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$', description: 'Connect over TCP to this host instead of the socket.' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port with `host`. Default 3306.' })),
    listen_address: ListenAddress('`--web.listen-address`.', MYSQLD_EXPORTER_DEFAULTS.listen_address),
    collectors: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9_.]+$' }), { uniqueItems: true, description: 'Collectors to enable beyond the defaults (`--collect.NAME`), e.g. `info_schema.processlist`.' }),
    ),
    my_cnf: PathParam('The client options file with the credentials (`--config.my-cnf`), written 0600 for the `prometheus` user. Default `/var/lib/prometheus/.my.cnf`.'),
    defaults_file: PathParam('The file holding `ARGS`. Default `/etc/default/prometheus-mysqld-exporter`.'),
    service: applyToServiceParam,
  },
  { additionalProperties: false },
);
(MysqldExporterParams.properties.password as { description?: string }).description = "The account's password, as a Secret: written only to `my_cnf` (0600), never to a command line.";

/** Params of `prometheus.mysqld_exporter`. */
export type MysqldExporterParams = Static<typeof MysqldExporterParams>;

/** The exporter's client options file (a Secret: it holds the password). */
export function renderMyCnf(p: MysqldExporterParams): Secret {
  const where = p.host ? `host = ${p.host}\nport = ${p.port ?? 3306}\n` : `socket = ${p.socket ?? MYSQLD_EXPORTER_DEFAULTS.socket}\n`;
  return secretText`# Managed by converge (prometheus.mysqld_exporter).\n[client]\nuser = ${p.user}\npassword = "${p.password}"\n${where}`;
}

/** The client options file's setting that holds the secret, masked in its diff on both sides (a former password too); its other lines show. */
export const MY_CNF_SECRETS: SecretSettings = { mask: (text) => text.replace(/^(password\s*=).*$/gm, `$1 ${SECRET_MASK}`) };

/** The command-line arguments of mysqld_exporter. */
export function mysqldExporterArgs(p: MysqldExporterParams): string[] {
  return [
    `--config.my-cnf=${p.my_cnf ?? MYSQLD_EXPORTER_DEFAULTS.my_cnf}`,
    `--web.listen-address=${p.listen_address ?? MYSQLD_EXPORTER_DEFAULTS.listen_address}`,
    ...(p.collectors ?? []).map((c) => `--collect.${c}`),
  ];
}

function spec(p: MysqldExporterParams): ServiceSpec {
  const cnf = renderMyCnf(p);
  return {
    unit: MYSQLD_EXPORTER_DEFAULTS.unit,
    dirs: [],
    files: [
      { write: { dest: p.my_cnf ?? MYSQLD_EXPORTER_DEFAULTS.my_cnf, content: cnf, mode: '0600', owner: 'prometheus', group: 'prometheus' }, effect: 'restart', secretSettings: MY_CNF_SECRETS },
      {
        write: { dest: p.defaults_file ?? MYSQLD_EXPORTER_DEFAULTS.defaults_file, content: renderDefaultsFile('prometheus.mysqld_exporter', 'ARGS', mysqldExporterArgs(p)), mode: '0644', owner: 'root', group: 'root' },
        effect: 'restart',
      },
    ],
    reload: { kind: 'signal' },
    apply_to_service: p.service ?? true,
  };
}

/**
 * Module `prometheus.mysqld_exporter`: the MariaDB/MySQL exporter of Debian's
 * `prometheus-mysqld-exporter`: the account's credentials in a client options file readable
 * only by the `prometheus` user (0600; the password is a Secret, never on a command line or in
 * a diff), its arguments in /etc/default/prometheus-mysqld-exporter, and a restart of the
 * running exporter when either changes (0.14 reads them only at start). Galera's `wsrep_*`
 * status variables are exported by the default `global_status` collector
 * (`mysql_global_status_wsrep_cluster_size`, `mysql_global_status_wsrep_local_state`).
 *
 * Source: mysqld_exporter 0.14 README and `--help`; Debian's /etc/default/prometheus-mysqld-exporter.
 *
 * @example prometheus.mysqld_exporter({ user: 'exporter', password: vault('kv/data/db#exporter') })
 */
export const mysqldExporter = defineModule({
  name: 'prometheus.mysqld_exporter',
  description: 'mysqld_exporter: credentials in a 0600 client options file and arguments; restarted on change.',
  params: MysqldExporterParams,
  validate: (p) => {
    if (p.host === undefined && p.port !== undefined) return 'port needs host (without host the exporter uses the socket)';
    if (p.host !== undefined && p.socket !== undefined) return 'give host or socket, not both';
    if (/["\\\r\n]/.test(p.password.reveal())) return 'password: a double quote, backslash or line break cannot be written to the client options file';
    return undefined;
  },
  facts: (p) => serviceFacts(spec(p)),
  plan: ({ params, facts, upstreamChanged }) => {
    const { changes, diffs, data } = planService('prometheus.mysqld_exporter', spec(params), facts, upstreamChanged);
    if (changes.length === 0) return { changes, reason: 'mysqld_exporter credentials and arguments in place' };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }) => applyService(spec(params), plan.data),
  resources: (p) => serviceResources(spec(p)),
});

/**
 * The privileges mysqld_exporter needs: `PROCESS`, `REPLICATION CLIENT` (MariaDB 10.5+ calls it
 * `BINLOG MONITOR`; the grants module compares aliases) and `SELECT` on `*.*`, as its README says.
 */
export const MYSQLD_EXPORTER_PRIVILEGES = [{ on: '*.*', privileges: ['PROCESS', 'REPLICATION CLIENT', 'SELECT'] }];

/**
 * The tasks that make the exporter's MariaDB account (`mariadb.user`, `mariadb.grants` of
 * `@converge/mariadb-galera`, exclusive grants) for each host part. On a Galera cluster run them
 * on one node: account statements replicate.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when `hosts` is empty.
 * @example { hosts: 'galera[0]', tasks: mysqldExporterAccount({ user: 'exporter', password, hosts: ['localhost'] }) }
 */
export function mysqldExporterAccount(o: { user: string; password: Secret; hosts?: string[] }): Task[] {
  const hosts = o.hosts ?? ['localhost'];
  if (hosts.length === 0) throw new ConvergeError('CONVERGE_PARAMS', 'mysqldExporterAccount: hosts is empty; give the host parts the exporter connects from (localhost for the socket)');
  return hosts.flatMap((host) => [
    mariadb.user({ name: o.user, host, password: o.password }, { name: `mysqld_exporter user ${o.user}@${host}` }),
    mariadb.grants({ user: o.user, host, privileges: MYSQLD_EXPORTER_PRIVILEGES }, { name: `mysqld_exporter grants ${o.user}@${host}` }),
  ]);
}
