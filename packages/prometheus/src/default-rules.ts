import type { RuleGroup } from './model.js';

/** Options of {@link defaultRuleFiles}. */
export interface DefaultRulesOptions {
  /** Nodes the Galera cluster must have; `GaleraClusterSizeBelowExpected` fires below it. Default 3. */
  galera_size?: number;
  /** `DiskAlmostFull` fires below this share of free space, in percent. Default 10. */
  disk_free_percent?: number;
  /** `CertificateExpiresSoon` fires this many days before a probed certificate expires. Default 14. */
  certificate_days?: number;
  /**
   * How long each condition must hold before its alert fires (the rules' `for`), one value for
   * all: production wants minutes, a test seconds. Default: per rule, 2m to 10m.
   */
  for?: string;
}

/**
 * The stack's default alerting rules, one file (`converge-stack`) with a group per tier, every
 * rule tested with `promtool test rules` (packages/prometheus/test/rules/):
 *
 * - `HostDown` (critical): node_exporter of a host cannot be scraped (`up{job="node"} == 0`);
 *   `TargetDown` (warning) for any other scrape target.
 * - `DiskAlmostFull` (warning): a writable, non-memory filesystem has less free space than
 *   `disk_free_percent` (node_exporter `node_filesystem_avail_bytes / node_filesystem_size_bytes`).
 * - `MariadbDown` (critical): mysqld_exporter cannot reach its server (`mysql_up == 0`);
 *   `GaleraClusterSizeBelowExpected` (critical): a node sees fewer members than `galera_size`
 *   (`mysql_global_status_wsrep_cluster_size`); `GaleraNodeNotSynced` (warning): a node's
 *   `wsrep_local_state` is not 4 (Synced; MariaDB Galera status variables).
 * - `HaproxyBackendDown` (critical): a backend of HAProxy's Prometheus exporter has no active and
 *   no backup server up (`haproxy_backend_active_servers + haproxy_backend_backup_servers == 0`).
 * - `BackupTooOld` (critical): a restic-backup job's last success is older than its schedule
 *   allows (`restic_job_last_success_timestamp_seconds`, `restic_job_max_age_seconds`, written by
 *   the job to node_exporter's textfile collector).
 * - `CertificateExpiresSoon` (warning): a probed TLS certificate expires within
 *   `certificate_days` (blackbox_exporter `probe_ssl_earliest_cert_expiry`); `ProbeFailed`
 *   (critical): a probe fails (`probe_success == 0`).
 *
 * Every alert carries `severity` and a `summary` annotation naming the instance.
 */
export function defaultRuleFiles(o: DefaultRulesOptions = {}): { name: string; groups: RuleGroup[] }[] {
  const galeraSize = o.galera_size ?? 3;
  const diskFree = o.disk_free_percent ?? 10;
  const certDays = o.certificate_days ?? 14;
  const f = (d: string) => o.for ?? d;
  return [
    {
      name: 'converge-stack',
      groups: [
        {
          name: 'hosts',
          rules: [
            {
              alert: 'HostDown',
              expr: 'up{job="node"} == 0',
              for: f('2m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'Host {{ $labels.instance }} is down', description: 'node_exporter on {{ $labels.instance }} cannot be scraped.' },
            },
            {
              alert: 'TargetDown',
              expr: 'up{job!="node"} == 0',
              for: f('2m'),
              labels: { severity: 'warning' },
              annotations: { summary: '{{ $labels.job }} on {{ $labels.instance }} is down', description: 'Prometheus cannot scrape {{ $labels.job }} on {{ $labels.instance }}.' },
            },
            {
              alert: 'DiskAlmostFull',
              expr: `node_filesystem_avail_bytes{fstype!~"tmpfs|ramfs|squashfs|overlay"} / node_filesystem_size_bytes * 100 < ${diskFree} and node_filesystem_readonly == 0`,
              for: f('10m'),
              labels: { severity: 'warning' },
              annotations: { summary: 'Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full', description: 'Less than ' + `${diskFree}` + '% free ({{ $value | printf "%.1f" }}% left).' },
            },
          ],
        },
        {
          name: 'galera',
          rules: [
            {
              alert: 'MariadbDown',
              expr: 'mysql_up == 0',
              for: f('1m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'MariaDB on {{ $labels.instance }} is down', description: 'mysqld_exporter on {{ $labels.instance }} cannot reach its server.' },
            },
            {
              alert: 'GaleraClusterSizeBelowExpected',
              expr: `mysql_global_status_wsrep_cluster_size < ${galeraSize}`,
              for: f('2m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'Galera cluster seen from {{ $labels.instance }} has {{ $value }} of ' + `${galeraSize}` + ' nodes', description: 'A node left the cluster or cannot reach it.' },
            },
            {
              alert: 'GaleraNodeNotSynced',
              expr: 'mysql_global_status_wsrep_local_state != 4',
              for: f('5m'),
              labels: { severity: 'warning' },
              annotations: { summary: 'Galera node {{ $labels.instance }} is not Synced (state {{ $value }})', description: 'wsrep_local_state 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced.' },
            },
          ],
        },
        {
          name: 'haproxy',
          rules: [
            {
              alert: 'HaproxyBackendDown',
              expr: 'haproxy_backend_active_servers + haproxy_backend_backup_servers == 0',
              for: f('1m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'HAProxy backend {{ $labels.proxy }} on {{ $labels.instance }} has no server up', description: 'Every server of the backend failed its health check or is in maintenance.' },
            },
          ],
        },
        {
          name: 'backups',
          rules: [
            {
              alert: 'BackupTooOld',
              expr: 'time() - restic_job_last_success_timestamp_seconds > restic_job_max_age_seconds',
              for: f('10m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'Backup job {{ $labels.restic_job }} on {{ $labels.instance }} has not succeeded in time', description: 'The last successful run is older than its schedule allows.' },
            },
          ],
        },
        {
          name: 'certificates',
          rules: [
            {
              alert: 'CertificateExpiresSoon',
              expr: `probe_ssl_earliest_cert_expiry - time() < ${certDays} * 86400`,
              for: f('10m'),
              labels: { severity: 'warning' },
              annotations: { summary: 'The certificate of {{ $labels.instance }} expires in less than ' + `${certDays}` + ' days', description: 'Renew it.' },
            },
            {
              alert: 'ProbeFailed',
              expr: 'probe_success == 0',
              for: f('2m'),
              labels: { severity: 'critical' },
              annotations: { summary: 'Probe of {{ $labels.instance }} fails', description: 'blackbox_exporter module {{ $labels.job }} cannot reach it.' },
            },
          ],
        },
      ],
    },
  ];
}

/**
 * Inhibition rules for the default rule set (Alertmanager `inhibit_rules`): while a host is
 * down, its other alerts stay quiet; while MariaDB is down on a node, its Galera alerts do.
 */
export const DEFAULT_INHIBIT_RULES = [
  { source_matchers: ['alertname="HostDown"'], target_matchers: ['alertname!="HostDown"'], equal: ['instance'] },
  { source_matchers: ['alertname="MariadbDown"'], target_matchers: ['alertname=~"Galera.*"'], equal: ['instance'] },
];
