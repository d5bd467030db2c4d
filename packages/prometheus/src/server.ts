import { Type, defineModule } from '@converge/core';
import type { Static } from '@converge/core';
import { stringify } from 'yaml';
import { Duration, Labels, RuleGroup, ScrapeConfig, Target } from './model.js';
import type { ScrapeConfig as ScrapeConfigShape } from './model.js';
import { ListenAddress, PathParam, applyService, applyToServiceParam, localUrl, planService, renderDefaultsFile, serviceFacts, serviceResources } from './service-files.js';
import type { ServiceSpec } from './service-files.js';

/** Where Debian 12's `prometheus` package puts things (its unit, /etc/default/prometheus, `prometheus --help`). */
export const PROMETHEUS_DEFAULTS = {
  path: '/etc/prometheus/prometheus.yml',
  rules_dir: '/etc/prometheus/rules',
  defaults_file: '/etc/default/prometheus',
  storage_path: '/var/lib/prometheus/metrics2/',
  listen_address: '0.0.0.0:9090',
  retention_time: '15d',
  unit: 'prometheus',
  group: 'prometheus',
} as const;

/** JSON Schema of the `prometheus.server` params. */
export const PrometheusServerParams = Type.Object(
  {
    global: Type.Optional(
      Type.Object(
        {
          scrape_interval: Type.Optional(Duration('How often targets are scraped; Prometheus\' default 1m.')),
          scrape_timeout: Type.Optional(Duration('Scrape timeout; default 10s.')),
          evaluation_interval: Type.Optional(Duration('How often rules are evaluated; default 1m.')),
          external_labels: Type.Optional(Labels('Labels added to every alert and series sent out, e.g. `cluster: prod`.')),
        },
        { additionalProperties: false, description: 'The `global` section.' },
      ),
    ),
    alertmanagers: Type.Optional(Type.Array(Target, { description: 'Alertmanagers (`host:port`) alerts are sent to (`alerting.alertmanagers[].static_configs`).' })),
    scrape_configs: Type.Array(ScrapeConfig, { description: 'Scrape jobs; `scrapeConfigsFromGroups` builds them from inventory groups.' }),
    rule_files: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'File name without `.yml`, in `rules_dir`.' }),
            groups: Type.Array(RuleGroup, { minItems: 1, description: 'Rule groups of the file (`DEFAULT_RULE_FILES` holds the stack\'s).' }),
          },
          { additionalProperties: false },
        ),
        { description: 'Rule files, each checked with `promtool check rules` before it replaces the old one.' },
      ),
    ),
    retention_time: Type.Optional(Duration('How long samples are kept (`--storage.tsdb.retention.time`). Default `15d`.')),
    retention_size: Type.Optional(Type.String({ pattern: '^[0-9]+(B|KB|MB|GB|TB|PB|EB)$', description: 'Size limit of the stored blocks (`--storage.tsdb.retention.size`), e.g. `20GB`.' })),
    listen_address: ListenAddress('`--web.listen-address`.', PROMETHEUS_DEFAULTS.listen_address),
    external_url: Type.Optional(Type.String({ pattern: '^https?://[^\\s"\'\\\\$`]+$', description: '`--web.external-url`: the URL users reach Prometheus at (links in alerts).' })),
    lifecycle: Type.Optional(
      Type.Boolean({ default: true, description: '`--web.enable-lifecycle`: lets the module reload through `POST /-/reload` and learn whether Prometheus took the files. false: SIGHUP.' }),
    ),
    path: PathParam('The configuration file. Default `/etc/prometheus/prometheus.yml`.'),
    rules_dir: PathParam('Directory of the rule files (made 0755 when missing). Default `/etc/prometheus/rules`.'),
    defaults_file: PathParam('The file holding `ARGS` for the unit. Default `/etc/default/prometheus`.'),
    service: applyToServiceParam,
  },
  { additionalProperties: false },
);

/** Params of `prometheus.server`. */
export type PrometheusServerParams = Static<typeof PrometheusServerParams>;

/** The `scrape_configs` entry of a job, as prometheus.yml holds it. */
function renderScrape(s: ScrapeConfigShape): Record<string, unknown> {
  const out: Record<string, unknown> = { job_name: s.job_name };
  if (s.scrape_interval) out.scrape_interval = s.scrape_interval;
  if (s.scrape_timeout) out.scrape_timeout = s.scrape_timeout;
  if (s.probe) {
    out.metrics_path = s.metrics_path ?? '/probe';
    out.params = { module: [s.probe.module] };
  } else if (s.metrics_path) out.metrics_path = s.metrics_path;
  if (s.scheme) out.scheme = s.scheme;
  out.static_configs = s.static_configs.map((c) => ({ targets: c.targets, ...(c.labels && Object.keys(c.labels).length ? { labels: c.labels } : {}) }));
  if (s.probe) {
    out.relabel_configs = [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: s.probe.exporter },
    ];
  }
  return out;
}

/** Paths of the rule files of some params. */
export function ruleFilePaths(p: PrometheusServerParams): string[] {
  const dir = (p.rules_dir ?? PROMETHEUS_DEFAULTS.rules_dir).replace(/\/+$/, '');
  return (p.rule_files ?? []).map((f) => `${dir}/${f.name}.yml`);
}

/**
 * Renders prometheus.yml (pure, deterministic: keys in a fixed order). Rule files are named by
 * absolute path, so a candidate file checked in the same directory sees the same rules.
 */
export function renderPrometheusConfig(p: PrometheusServerParams): string {
  const doc: Record<string, unknown> = {};
  if (p.global && Object.keys(p.global).length) doc.global = p.global;
  if (p.alertmanagers?.length) doc.alerting = { alertmanagers: [{ static_configs: [{ targets: p.alertmanagers }] }] };
  const rules = ruleFilePaths(p);
  if (rules.length) doc.rule_files = rules;
  doc.scrape_configs = p.scrape_configs.map(renderScrape);
  return `# Managed by converge (prometheus.server).\n${stringify(doc, { lineWidth: 0 })}`;
}

/** Renders one rule file (`groups:`), as `promtool check rules` reads it. */
export function renderRuleFile(groups: Static<typeof RuleGroup>[]): string {
  return `# Managed by converge (prometheus.server).\n${stringify({ groups }, { lineWidth: 0 })}`;
}

/** The command-line arguments of the server, as written to `ARGS`. */
export function prometheusArgs(p: PrometheusServerParams): string[] {
  const args = [
    `--config.file=${p.path ?? PROMETHEUS_DEFAULTS.path}`,
    `--storage.tsdb.path=${PROMETHEUS_DEFAULTS.storage_path}`,
    `--storage.tsdb.retention.time=${p.retention_time ?? PROMETHEUS_DEFAULTS.retention_time}`,
    `--web.listen-address=${p.listen_address ?? PROMETHEUS_DEFAULTS.listen_address}`,
  ];
  if (p.retention_size) args.push(`--storage.tsdb.retention.size=${p.retention_size}`);
  if (p.external_url) args.push(`--web.external-url=${p.external_url}`);
  if (p.lifecycle ?? true) args.push('--web.enable-lifecycle');
  return args;
}

const specCache = new WeakMap<object, ServiceSpec>();

/** The files, directory and reload of a `prometheus.server` task (pure; cached per params object). */
export function prometheusServerSpec(p: PrometheusServerParams): ServiceSpec {
  const hit = specCache.get(p);
  if (hit) return hit;
  const rulesDir = (p.rules_dir ?? PROMETHEUS_DEFAULTS.rules_dir).replace(/\/+$/, '');
  const paths = ruleFilePaths(p);
  const listen = p.listen_address ?? PROMETHEUS_DEFAULTS.listen_address;
  const spec: ServiceSpec = {
    unit: PROMETHEUS_DEFAULTS.unit,
    dirs: paths.length ? [{ path: rulesDir, mode: '0755', owner: 'root', group: 'root' }] : [],
    files: [
      ...(p.rule_files ?? []).map((f, i) => ({
        write: { dest: paths[i] as string, content: renderRuleFile(f.groups), mode: '0644', owner: 'root', group: 'root', validate: 'promtool check rules %s' },
        effect: 'reload' as const,
      })),
      { write: { dest: p.path ?? PROMETHEUS_DEFAULTS.path, content: renderPrometheusConfig(p), mode: '0644', owner: 'root', group: 'root', validate: 'promtool check config %s' }, effect: 'reload' },
      {
        write: { dest: p.defaults_file ?? PROMETHEUS_DEFAULTS.defaults_file, content: renderDefaultsFile('prometheus.server', 'ARGS', prometheusArgs(p)), mode: '0644', owner: 'root', group: 'root' },
        effect: 'restart',
      },
    ],
    reload: (p.lifecycle ?? true) ? { kind: 'http', url: localUrl(listen, '/-/reload') } : { kind: 'signal' },
    apply_to_service: p.service ?? true,
  };
  specCache.set(p, spec);
  return spec;
}

/** Cross-field checks: unique job and rule file names, `host:port` targets outside probe jobs, a rule is an alert or a record. */
export function checkPrometheusServer(p: PrometheusServerParams): string | undefined {
  const jobs = new Set<string>();
  for (const [i, s] of p.scrape_configs.entries()) {
    if (jobs.has(s.job_name)) return `scrape_configs[${i}]: a second job named "${s.job_name}"`;
    jobs.add(s.job_name);
    if (!s.probe) {
      for (const [j, c] of s.static_configs.entries()) {
        const bad = c.targets.find((t) => !/^[^\s/]+:[0-9]{1,5}$/.test(t));
        if (bad !== undefined) return `scrape_configs[${i}].static_configs[${j}]: target ${JSON.stringify(bad)} is not host:port (only a probe job takes URLs)`;
      }
    }
  }
  const files = new Set<string>();
  for (const [i, f] of (p.rule_files ?? []).entries()) {
    if (files.has(f.name)) return `rule_files[${i}]: a second file named "${f.name}"`;
    files.add(f.name);
    for (const [j, g] of f.groups.entries()) {
      for (const [k, r] of g.rules.entries()) {
        if ((r.alert === undefined) === (r.record === undefined)) return `rule_files[${i}].groups[${j}].rules[${k}]: give exactly one of alert and record`;
        if (r.record !== undefined && (r.for !== undefined || r.annotations !== undefined)) return `rule_files[${i}].groups[${j}].rules[${k}]: a recording rule takes no for or annotations`;
      }
    }
  }
  return undefined;
}

/**
 * Module `prometheus.server`: the Prometheus server of Debian 12's `prometheus` package (2.42).
 * Writes each rule file to `rules_dir` (checked with `promtool check rules` on the candidate),
 * then prometheus.yml (global settings, Alertmanagers, the rule files by path, scrape jobs;
 * checked with `promtool check config`, which also loads the rule files), each next to the live
 * file and renamed over it only when promtool accepts it: a refused file fails the task and the
 * old files keep serving. Then /etc/default/prometheus (`ARGS`: config file, storage path,
 * retention, listen address, `--web.enable-lifecycle`). After a change to the configuration or
 * rules the running server is reloaded through `POST /-/reload` (its answer says whether it
 * took the files; SIGHUP without lifecycle or curl); a change of the arguments restarts it.
 *
 * Sources: Prometheus 2.42 configuration and rules documentation; `promtool check` (promtool
 * --help); management API `/-/reload` (https://prometheus.io/docs/prometheus/2.42/management_api/);
 * Debian's prometheus.service (`EnvironmentFile=/etc/default/prometheus`, `ExecStart=/usr/bin/prometheus $ARGS`,
 * `ExecReload=/bin/kill -HUP $MAINPID`).
 *
 * @example
 * prometheus.server({ global: { scrape_interval: '15s' }, alertmanagers: ['127.0.0.1:9093'],
 *   scrape_configs: [{ job_name: 'node', static_configs: [{ targets: ['10.0.0.11:9100'], labels: { instance: 'web1' } }] }],
 *   rule_files: DEFAULT_RULE_FILES, retention_time: '30d' })
 */
export const prometheusServer = defineModule({
  name: 'prometheus.server',
  description: 'Prometheus server: prometheus.yml, rule files (checked with promtool) and arguments; reloaded or restarted on change.',
  params: PrometheusServerParams,
  validate: checkPrometheusServer,
  facts: (p) => serviceFacts(prometheusServerSpec(p)),
  plan: ({ params, facts, upstreamChanged }) => {
    const spec = prometheusServerSpec(params);
    const { changes, diffs, data } = planService('prometheus.server', spec, facts, upstreamChanged);
    if (changes.length === 0) return { changes, reason: `${params.path ?? PROMETHEUS_DEFAULTS.path}, its rule files and arguments are as rendered` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }) => applyService(prometheusServerSpec(params), plan.data),
  resources: (p) => serviceResources(prometheusServerSpec(p)),
});
