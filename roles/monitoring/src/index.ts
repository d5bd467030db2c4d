import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, RoleUse, Secret, TaskContext } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { mariadb } from '@converge/mariadb-galera';
import {
  ALERTMANAGER_DEFAULTS,
  BLACKBOX_EXPORTER_DEFAULTS,
  DEFAULT_INHIBIT_RULES,
  HAPROXY_EXPORTER_PORT,
  MYSQLD_EXPORTER_DEFAULTS,
  NODE_EXPORTER_DEFAULTS,
  alertmanager,
  defaultRuleFiles,
  MYSQLD_EXPORTER_PRIVILEGES,
  probeScrapeConfig,
  prometheus,
  scrapeConfigsFromGroups,
} from '@converge/prometheus';
import type { AlertmanagerConfigParams, DefaultRulesOptions, NodeExporterParams, PrometheusServerParams, ScrapeConfig } from '@converge/prometheus';

/** Vars of the monitoring role (all under `monitoring`). */
export interface MonitoringVars {
  /** Inventory group of the hosts that run Prometheus, Alertmanager and blackbox_exporter. Default `monitoring`. */
  server_group?: string;
  /** Inventory groups scraped by each exporter job. Default node: `all`, mysqld: `galera`, haproxy: `lb`. */
  groups?: { node?: string; mysqld?: string; haproxy?: string };
  /** Host var holding the address Prometheus scrapes a host at; default `monitoring_address`, else `ansible_host`. */
  address_var?: string;
  /**
   * `prometheus.server` params that are not generated: `global`, `retention_time`,
   * `retention_size`, `listen_address`, `external_url`, and `scrape_configs`/`rule_files` added
   * to the generated ones.
   */
  prometheus?: Partial<PrometheusServerParams>;
  /** Options of the default rule set (Galera size, thresholds, `for`). */
  rules?: DefaultRulesOptions;
  /** The `alertmanager.config` params: SMTP, routes, receivers; the default inhibition rules are added. */
  alertmanager: AlertmanagerConfigParams;
  /** The mysqld_exporter account on the `mysqld` group; absent: no MariaDB metrics. */
  mysqld_exporter?: { user: string; password: Secret };
  /** Probes of the public address through blackbox_exporter (module `http_2xx` by default). */
  probes?: { targets: string[]; module?: string; scrape_interval?: string };
  /** Extra `prometheus.node_exporter` params of every host. */
  node_exporter?: NodeExporterParams;
}

/**
 * Every var of {@link MonitoringVars} and of the nested objects the role defines (the other
 * nested objects are module params, checked by their schemas). The types make the list complete:
 * a var added to the interface and left out here does not compile.
 */
export const MONITORING_VARS: KnownVars<MonitoringVars> = {
  server_group: true,
  groups: { node: true, mysqld: true, haproxy: true },
  address_var: true,
  prometheus: true,
  rules: { galera_size: true, disk_free_percent: true, certificate_days: true, for: true },
  alertmanager: true,
  mysqld_exporter: { user: true, password: true },
  probes: { targets: true, module: true, scrape_interval: true },
  node_exporter: true,
};

/**
 * Refuses a `monitoring` var the role does not know (a misspelt `probe:` would otherwise leave
 * the probes out without a word) and a missing `alertmanager`, naming the var.
 *
 * @throws ConvergeError `CONVERGE_VARS`.
 */
export function checkMonitoringVars(value: unknown): MonitoringVars {
  const vars = checkRoleVars('monitoring', 'monitoring', value, MONITORING_VARS);
  if (vars.alertmanager === undefined) throw new ConvergeError('CONVERGE_VARS', 'role monitoring: monitoring.alertmanager is required', { hint: 'give its route and receivers (alertmanager.config params)' });
  return vars;
}

const cfg = (h: TaskContext): MonitoringVars => checkMonitoringVars(h.vars.monitoring);
const inGroup = (h: TaskContext, group: string): boolean => ((h.vars.group_names ?? []) as string[]).includes(group) || group === 'all';
const serverGroup = (h: TaskContext): string => cfg(h).server_group ?? 'monitoring';
const isServer = (h: TaskContext): boolean => inGroup(h, serverGroup(h));
const mysqldGroup = (h: TaskContext): string => cfg(h).groups?.mysqld ?? 'galera';
const isDatabase = (h: TaskContext): boolean => cfg(h).mysqld_exporter !== undefined && inGroup(h, mysqldGroup(h));
const isFirstDatabase = (h: TaskContext): boolean => isDatabase(h) && ((h.vars.groups as Record<string, string[]>)[mysqldGroup(h)] ?? [])[0] === h.vars.inventory_hostname;
const exporterAccount = (h: TaskContext): { user: string; password: Secret } => cfg(h).mysqld_exporter as { user: string; password: Secret };
const portOf = (listen: string | undefined, port: number): number => (listen ? Number(listen.slice(listen.lastIndexOf(':') + 1)) : port);

/** The scrape jobs of the monitoring tier: exporters by inventory group, Prometheus, Alertmanager, blackbox probes, plus the var's own. */
export function monitoringScrapeConfigs(h: TaskContext): ScrapeConfig[] {
  const c = cfg(h);
  const groups = (h.vars.groups ?? {}) as Record<string, string[]>;
  const server = serverGroup(h);
  if ((groups[server] ?? []).length === 0) throw new ConvergeError('CONVERGE_VARS', `monitoring: the inventory group ${JSON.stringify(server)} has no hosts`, { hint: 'put the Prometheus host in it, or set monitoring.server_group' });
  const address = c.address_var ? { address_var: c.address_var } : {};
  const jobs = [
    { job_name: 'node', group: c.groups?.node ?? 'all', port: portOf(c.node_exporter?.listen_address, NODE_EXPORTER_DEFAULTS.port) },
    ...(c.mysqld_exporter ? [{ job_name: 'mysqld', group: mysqldGroup(h), port: MYSQLD_EXPORTER_DEFAULTS.port }] : []),
    { job_name: 'haproxy', group: c.groups?.haproxy ?? 'lb', port: HAPROXY_EXPORTER_PORT },
    { job_name: 'prometheus', group: server, port: portOf(c.prometheus?.listen_address, 9090) },
    { job_name: 'alertmanager', group: server, port: portOf(c.alertmanager.listen_address, ALERTMANAGER_DEFAULTS.port) },
    { job_name: 'blackbox_exporter', group: server, port: BLACKBOX_EXPORTER_DEFAULTS.port },
  ];
  const probes = c.probes
    ? [probeScrapeConfig({ job_name: 'blackbox', module: c.probes.module ?? 'http_2xx', targets: c.probes.targets, exporter: `127.0.0.1:${BLACKBOX_EXPORTER_DEFAULTS.port}`, ...(c.probes.scrape_interval ? { scrape_interval: c.probes.scrape_interval } : {}) })]
    : [];
  return [...scrapeConfigsFromGroups(h, jobs, address), ...probes, ...(c.prometheus?.scrape_configs ?? [])];
}

/** The `prometheus.server` params of a server host: the generated jobs, the default rules, the local Alertmanager. */
export function monitoringPrometheusParams(h: TaskContext): PrometheusServerParams {
  const c = cfg(h);
  const { scrape_configs: _s, rule_files: extraRules, ...rest } = c.prometheus ?? {};
  return {
    ...rest,
    alertmanagers: [`127.0.0.1:${portOf(c.alertmanager.listen_address, ALERTMANAGER_DEFAULTS.port)}`],
    scrape_configs: monitoringScrapeConfigs(h),
    rule_files: [...defaultRuleFiles({ galera_size: ((h.vars.groups as Record<string, string[]>)[mysqldGroup(h)] ?? []).length || 3, ...c.rules }), ...(extraRules ?? [])],
  };
}

/**
 * Role `monitoring`: the metrics and alerting tier, for a play on every host (`hosts: all`).
 * Every host: Debian's `prometheus-node-exporter` (`prometheus.node_exporter`, textfile
 * collector for restic-backup's job status) running and enabled. Hosts of the `mysqld` group
 * (default `galera`), when `mysqld_exporter` is given: its MariaDB account made on the group's
 * first host (`mariadb.user`, `mariadb.grants`; on Galera it replicates), `prometheus-mysqld-exporter` with the credentials in a 0600 file.
 * Hosts of `server_group` (default `monitoring`): Prometheus (`prometheus.server`: scrape jobs
 * from the inventory groups, HAProxy's endpoint on the `lb` group as roles/load-balancer serves
 * it, the default rules, the local Alertmanager), Alertmanager (`alertmanager.config` with the
 * default inhibition rules) and blackbox_exporter probing `probes`, all running and enabled.
 * Also installs curl (the reload through `/-/reload`).
 *
 * @example
 * definePlaybook({ name: 'monitoring', hosts: 'all', roles: [monitoring({ alertmanager: { route, receivers, smtp } })] })
 */
export const monitoringRole = defineRole({
  name: 'monitoring',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { monitoring: {} },
  tasks: [
    apt({ name: ['prometheus-node-exporter', 'curl'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install node_exporter' }),
    prometheus.node_exporter((h) => cfg(h).node_exporter ?? {}, { name: 'node_exporter arguments' }),
    systemd.service({ name: NODE_EXPORTER_DEFAULTS.unit, state: 'started', enabled: true }, { name: 'node_exporter running and enabled' }),

    apt({ name: ['prometheus-mysqld-exporter'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install mysqld_exporter', when: isDatabase }),
    mariadb.user((h) => ({ name: exporterAccount(h).user, host: 'localhost', password: exporterAccount(h).password }), { name: 'mysqld_exporter MariaDB account', when: isFirstDatabase }),
    mariadb.grants((h) => ({ user: exporterAccount(h).user, host: 'localhost', privileges: MYSQLD_EXPORTER_PRIVILEGES }), { name: 'mysqld_exporter MariaDB grants', when: isFirstDatabase }),
    prometheus.mysqld_exporter((h) => ({ user: exporterAccount(h).user, password: exporterAccount(h).password }), { name: 'mysqld_exporter credentials and arguments', when: isDatabase }),
    systemd.service({ name: MYSQLD_EXPORTER_DEFAULTS.unit, state: 'started', enabled: true }, { name: 'mysqld_exporter running and enabled', when: isDatabase }),

    apt(
      { name: ['prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter'], state: 'present', update_cache: true, cache_valid_time: 3600 },
      { name: 'install Prometheus, Alertmanager and blackbox_exporter', when: isServer },
    ),
    prometheus.blackbox_exporter({}, { name: 'blackbox_exporter modules', when: isServer }),
    alertmanager.config((h) => ({ ...cfg(h).alertmanager, inhibit_rules: [...DEFAULT_INHIBIT_RULES, ...(cfg(h).alertmanager.inhibit_rules ?? [])] }), { name: 'alertmanager.yml', when: isServer }),
    prometheus.server(monitoringPrometheusParams, { name: 'prometheus.yml and rules', when: isServer }),
    ...['prometheus-blackbox-exporter', ALERTMANAGER_DEFAULTS.unit, 'prometheus'].map((unit) => systemd.service({ name: unit, state: 'started', enabled: true }, { name: `${unit} running and enabled`, when: isServer })),
  ],
});

/** The role with its `monitoring` var, typed: `roles: [monitoring({ ... })]`. */
export function monitoring(vars: MonitoringVars): RoleUse {
  return useRole(monitoringRole, { monitoring: vars });
}

export default monitoringRole;
