import { secret } from '@converge/core';
import type { MaxscaleConfig } from '../src/index.js';

/** A model that uses every section and field: the render fixture test's input. */
export const fullModel = (): MaxscaleConfig => ({
  maxscale: {
    threads: 4,
    admin_host: '0.0.0.0',
    admin_port: 8990,
    admin_gui: false,
    admin_secure_gui: false,
    log_info: true,
    log_notice: true,
    log_warning: true,
    query_retries: 2,
    extra: { ms_timestamp: true, auth_connect_timeout: '10s' },
  },
  servers: [
    { name: 'db1', address: '10.0.0.21', priority: 1, rank: 'primary' },
    { name: 'db2', address: '10.0.0.22', port: 3307, priority: 2, ssl: false },
    { name: 'db3', address: 'db3.example.test', priority: 0, rank: 'secondary', extra: { max_routing_connections: 500 } },
  ],
  monitor: {
    name: 'Galera-Monitor',
    user: 'maxscale_monitor',
    password: secret('monitor-pw-1'),
    monitor_interval: '2s',
    backend_connect_timeout: '3s',
    disable_master_failback: true,
    available_when_donor: false,
    disable_master_role_setting: false,
    use_priority: true,
    root_node_as_master: false,
    set_donor_nodes: false,
    extra: { journal_max_age: '28800s' },
  },
  service: {
    name: 'Read-Write-Service',
    user: 'maxscale',
    password: secret('service-pw-1'),
    master_reconnection: true,
    master_failure_mode: 'fail_on_write',
    transaction_replay: true,
    causal_reads: 'local',
    master_accept_reads: true,
    max_slave_connections: 2,
    slave_selection_criteria: 'adaptive_routing',
    extra: { connection_keepalive: '300s' },
  },
  listener: { name: 'Read-Write-Listener', address: '0.0.0.0', port: 3306, extra: { sql_mode: 'default' } },
});
