/**
 * @converge/prometheus: metrics and alerting from Debian 12's packages. The Prometheus server
 * (`prometheus.server`: scrape jobs from inventory groups, rule files checked with promtool,
 * retention, reload through `/-/reload`), its exporters (`prometheus.node_exporter`,
 * `prometheus.mysqld_exporter` with its MariaDB account, `prometheus.blackbox_exporter`, and
 * HAProxy's built-in endpoint as a `haproxy.config` frontend), Alertmanager
 * (`alertmanager.config`: e-mail, chat and webhook receivers, routes, inhibition; checked with
 * amtool), the stack's default rules, and Grafana provisioning.
 */
import { alertmanagerConfig } from './alertmanager.js';
import { blackboxExporter } from './blackbox-exporter.js';
import { mysqldExporter } from './mysqld-exporter.js';
import { nodeExporter } from './node-exporter.js';
import { prometheusServer } from './server.js';

export { prometheusServer, PrometheusServerParams, PROMETHEUS_DEFAULTS, renderPrometheusConfig, renderRuleFile, ruleFilePaths, prometheusArgs, checkPrometheusServer } from './server.js';
export { Duration, Labels, Rule, RuleGroup, ScrapeConfig, StaticConfig, Target } from './model.js';
export { nodeExporter, NodeExporterParams, NODE_EXPORTER_DEFAULTS, nodeExporterArgs } from './node-exporter.js';
export { mysqldExporter, MysqldExporterParams, MYSQLD_EXPORTER_DEFAULTS, mysqldExporterArgs, renderMyCnf, mysqldExporterAccount, MYSQLD_EXPORTER_PRIVILEGES } from './mysqld-exporter.js';
export { blackboxExporter, BlackboxExporterParams, BlackboxModule, BLACKBOX_EXPORTER_DEFAULTS, DEFAULT_BLACKBOX_MODULES, renderBlackboxConfig } from './blackbox-exporter.js';
export { haproxyPrometheusFrontend, HAPROXY_EXPORTER_PORT } from './haproxy-exporter.js';
export {
  alertmanagerConfig,
  AlertmanagerConfigParams,
  ALERTMANAGER_DEFAULTS,
  Route,
  ChildRoute,
  LeafRoute,
  Receiver,
  EmailConfig,
  WebhookConfig,
  SlackConfig,
  InhibitRule,
  renderAlertmanagerConfig,
  alertmanagerArgs,
  checkAlertmanagerConfig,
} from './alertmanager.js';
export type { RenderedAlertmanagerConfig } from './alertmanager.js';
export { defaultRuleFiles, DEFAULT_INHIBIT_RULES } from './default-rules.js';
export type { DefaultRulesOptions } from './default-rules.js';
export { scrapeConfigsFromGroups, probeScrapeConfig } from './scrape-targets.js';
export type { GroupScrape } from './scrape-targets.js';
export type { ServicePlan, ServiceSpec, ServiceFile, FileEffect, ReloadMethod } from './service-files.js';

/** The Prometheus module family: `prometheus.server`, `prometheus.node_exporter`, `prometheus.mysqld_exporter`, `prometheus.blackbox_exporter`. */
export const prometheus: {
  readonly server: typeof prometheusServer;
  readonly node_exporter: typeof nodeExporter;
  readonly mysqld_exporter: typeof mysqldExporter;
  readonly blackbox_exporter: typeof blackboxExporter;
} = { server: prometheusServer, node_exporter: nodeExporter, mysqld_exporter: mysqldExporter, blackbox_exporter: blackboxExporter };

/** The Alertmanager module family: `alertmanager.config`. */
export const alertmanager: { readonly config: typeof alertmanagerConfig } = { config: alertmanagerConfig };
export { sentry, sentryEnvironment, SentryEnvironmentParams, sentryEndpoints, parseSentryDsn } from './error-reporting.js';
