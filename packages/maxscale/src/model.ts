import { SecretValue, Type } from '@converge/core';
import type { Static } from '@converge/core';

/*
 * The typed model of maxscale.cnf for MariaDB MaxScale 24.02. Parameter names are MaxScale's own,
 * from the MaxScale 24.02 documentation (https://mariadb.com/kb/en/maxscale-24-02/):
 * "Configuration Guide" (global [maxscale] section, server, service and listener objects),
 * "Galera Monitor" (galeramon), "Common Monitor Parameters" and "Readwritesplit".
 */

/** Values the renderer uses when a field is absent; the schema's `default`s are these. */
export const MAXSCALE_DEFAULTS = {
  path: '/etc/maxscale.cnf',
  maxctrlConfig: '/root/.maxctrl.cnf',
  service: 'maxscale',
  user: 'maxscale',
  group: 'maxscale',
  threads: 'auto',
  adminHost: '127.0.0.1',
  adminPort: 8989,
  serverPort: 3306,
  monitorName: 'Galera-Monitor',
  serviceName: 'Read-Write-Service',
  listenerName: 'Read-Write-Listener',
  listenerPort: 3306,
} as const;

/**
 * An object (section) name. MaxScale 24.02 allows letters, digits and `_ . ~ -` in object names
 * and refuses whitespace (Configuration Guide, "Objects").
 */
export const ObjectName = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.~-]+$', description });

/** One value on one line: no line break, so a value cannot add parameters or sections. */
export const Value = (description: string) => Type.String({ minLength: 1, pattern: '^[^\\r\\n]*\\S[^\\r\\n]*$', description });

/** A MaxScale duration (Configuration Guide, "Durations"): a number with a unit `ms`, `s`, `m` or `h`, e.g. `2s`. */
export const Duration = (description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', description: `${description} MaxScale duration, e.g. "2s", "1500ms".` });

/** The raw escape hatch of one section: parameters the model lacks, rendered `key=value` after the modelled ones. */
const extra = (section: string) =>
  Type.Optional(
    Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Type.Union([Value('A value.'), Type.Number(), Type.Boolean()]), {
      description: `More parameters of the ${section} as \`name: value\`, rendered \`name=value\` after the modelled ones (the escape hatch for parameters the model lacks; names in MaxScale's lower_snake_case; checked by \`maxscale --config-check\` where MaxScale is installed). A name the model already renders is refused.`,
    }),
  );

/** The `[maxscale]` section: global settings (Configuration Guide, "Global Settings"). */
export const GlobalSection = Type.Object(
  {
    threads: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1 })], { description: 'Routing worker threads (`threads`). Default `auto`: one per CPU core.' }),
    ),
    admin_host: Type.Optional(Value('Address the REST API and `maxctrl` listen on (`admin_host`). Default `127.0.0.1`: reachable only from the host itself.')),
    admin_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the REST API (`admin_port`). Default 8989.' })),
    admin_gui: Type.Optional(Type.Boolean({ description: 'Serve the MaxGUI web interface on the REST API port (`admin_gui`; MaxScale\'s default true).' })),
    admin_secure_gui: Type.Optional(
      Type.Boolean({ description: 'Serve MaxGUI only over TLS (`admin_secure_gui`). Default false here, as the model configures no REST API certificate (MaxScale\'s own default true disables the GUI without TLS).' }),
    ),
    log_info: Type.Optional(Type.Boolean({ description: 'Log informational messages (`log_info`; MaxScale\'s default false). Changeable at runtime.' })),
    log_notice: Type.Optional(Type.Boolean({ description: 'Log notices (`log_notice`; MaxScale\'s default true). Changeable at runtime.' })),
    log_warning: Type.Optional(Type.Boolean({ description: 'Log warnings (`log_warning`; MaxScale\'s default true). Changeable at runtime.' })),
    query_retries: Type.Optional(Type.Integer({ minimum: 0, description: 'Times an interrupted internal query is retried (`query_retries`; MaxScale\'s default 1). Changeable at runtime.' })),
    extra: extra('[maxscale] section'),
  },
  { additionalProperties: false, description: 'The `[maxscale]` section (Configuration Guide, "Global Settings"). `persist_runtime_changes=false` and `load_persisted_configs=false` are always rendered: this file stays the only source of the configuration, so a restart never brings back a runtime change made outside it.' },
);

/** A `type=server` object: one Galera node (Configuration Guide, "Server"). */
export const Server = Type.Object(
  {
    name: ObjectName('Server name (the section name; what monitors and services list).'),
    address: Value('Address of the node: IP or host name (`address`).'),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the node (`port`). Default 3306.' })),
    priority: Type.Optional(
      Type.Integer({ description: 'Galera write-node preference (`priority`, used with the monitor\'s `use_priority`): the lowest positive value is the primary; 0 or less is never chosen (Galera Monitor, "Interaction with Server Priorities").' }),
    ),
    rank: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('secondary')], { description: 'Server rank (`rank`): readwritesplit uses `secondary` servers only when no `primary` one is available.' })),
    ssl: Type.Optional(Type.Boolean({ description: 'Connect to the node with TLS (`ssl`).' })),
    extra: extra('server'),
  },
  { additionalProperties: false },
);

/** The galeramon monitor (Galera Monitor; Common Monitor Parameters). */
export const Monitor = Type.Object(
  {
    name: Type.Optional(ObjectName('Monitor name. Default `Galera-Monitor`.')),
    user: Value('Account the monitor connects with (`user`); it needs REPLICATION CLIENT (and SUPER with `set_donor_nodes`), see `maxscaleAccounts`.'),
    password: SecretValue(),
    monitor_interval: Type.Optional(Duration('Time between monitor ticks (`monitor_interval`; MaxScale\'s default 2s).')),
    backend_connect_timeout: Type.Optional(Duration('Connect timeout of the monitor\'s connections (`backend_connect_timeout`; default 3s).')),
    disable_master_failback: Type.Optional(Type.Boolean({ description: 'Keep a new write node after the old one returns (`disable_master_failback`).' })),
    available_when_donor: Type.Optional(Type.Boolean({ description: 'Keep a lone node that is an SST donor usable (`available_when_donor`).' })),
    disable_master_role_setting: Type.Optional(Type.Boolean({ description: 'Assign no Master/Slave roles, only Synced (`disable_master_role_setting`).' })),
    use_priority: Type.Optional(Type.Boolean({ description: 'Choose the write node by the servers\' `priority` (`use_priority`).' })),
    root_node_as_master: Type.Optional(Type.Boolean({ description: 'Only the node with `wsrep_local_index=0` can be the write node (`root_node_as_master`).' })),
    set_donor_nodes: Type.Optional(Type.Boolean({ description: 'Set `wsrep_sst_donor` on the nodes from the monitor\'s view (`set_donor_nodes`; the monitor user then needs SUPER).' })),
    extra: extra('monitor'),
  },
  { additionalProperties: false, description: 'The Galera monitor (`type=monitor`, `module=galeramon`), watching every server of `servers`.' },
);
(Monitor.properties.password as { description?: string }).description = 'Password of the monitor user (`password`), a Secret.';

/** The readwritesplit service (Readwritesplit; Configuration Guide, "Service"). */
export const Service = Type.Object(
  {
    name: Type.Optional(ObjectName('Service name. Default `Read-Write-Service`.')),
    user: Value('Account the service reads user accounts with (`user`); it needs the grants of `maxscaleAccounts`.'),
    password: SecretValue(),
    master_reconnection: Type.Optional(Type.Boolean({ description: 'Reconnect a session to a new write node (`master_reconnection`).' })),
    master_failure_mode: Type.Optional(
      Type.Union([Type.Literal('fail_instantly'), Type.Literal('fail_on_write'), Type.Literal('error_on_write')], { description: 'What a session does when the write node is lost (`master_failure_mode`).' }),
    ),
    transaction_replay: Type.Optional(Type.Boolean({ description: 'Replay an interrupted transaction on another node (`transaction_replay`).' })),
    causal_reads: Type.Optional(
      Type.Union(
        [Type.Literal('none'), Type.Literal('local'), Type.Literal('global'), Type.Literal('fast'), Type.Literal('fast_global'), Type.Literal('universal'), Type.Literal('fast_universal')],
        { description: 'Read-your-writes consistency of reads (`causal_reads`).' },
      ),
    ),
    master_accept_reads: Type.Optional(Type.Boolean({ description: 'Let the write node serve reads too (`master_accept_reads`).' })),
    max_slave_connections: Type.Optional(Type.Integer({ minimum: 0, description: 'Read nodes one session may use (`max_slave_connections`; default 255).' })),
    slave_selection_criteria: Type.Optional(
      Type.Union(
        [Type.Literal('least_current_operations'), Type.Literal('adaptive_routing'), Type.Literal('least_behind_master'), Type.Literal('least_router_connections'), Type.Literal('least_global_connections')],
        { description: 'How a read node is chosen (`slave_selection_criteria`).' },
      ),
    ),
    extra: extra('service'),
  },
  { additionalProperties: false, description: 'The read-write split service (`type=service`, `router=readwritesplit`) over every server of `servers`. All its router parameters are changeable at runtime (`maxctrl alter service`).' },
);
(Service.properties.password as { description?: string }).description = 'Password of the service user (`password`), a Secret.';

/** The listener clients connect to (Configuration Guide, "Listener"). */
export const Listener = Type.Object(
  {
    name: Type.Optional(ObjectName('Listener name. Default `Read-Write-Listener`.')),
    address: Type.Optional(Value('Address to listen on (`address`). Absent: every address (MaxScale\'s `::`).')),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Port clients connect to (`port`). Default 3306, the MariaDB port, as the router stands in for the cluster.' })),
    extra: extra('listener'),
  },
  { additionalProperties: false, description: 'The listener of the service (`type=listener`, `protocol=MariaDBClient`).' },
);

/** The configuration model: the objects of maxscale.cnf. */
export const MaxscaleConfigModel = {
  maxscale: Type.Optional(GlobalSection),
  servers: Type.Array(Server, { minItems: 1, description: 'The Galera nodes, in order (one `type=server` section each).' }),
  monitor: Monitor,
  service: Service,
  listener: Type.Optional(Listener),
};

/** The whole configuration as the renderer takes it. */
export const MaxscaleConfig = Type.Object(MaxscaleConfigModel, { additionalProperties: false });

/** A configuration model value. */
export type MaxscaleConfig = Static<typeof MaxscaleConfig>;
export type MaxscaleServer = Static<typeof Server>;
