import { Type } from '@converge/core';
import type { Static } from '@converge/core';

/*
 * Typed pieces of Prometheus' own formats, named as Prometheus names them. Sources:
 * https://prometheus.io/docs/prometheus/2.42/configuration/configuration/ (Debian 12 ships 2.42),
 * https://prometheus.io/docs/prometheus/2.42/configuration/recording_rules/ and
 * https://prometheus.io/docs/prometheus/2.42/configuration/alerting_rules/.
 */

/** A Prometheus `<duration>`: `1d`, `1h30m`, `15s`, `500ms` (units y w d h m s ms, largest first). */
export const Duration = (description: string) =>
  Type.String({ pattern: '^((([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?|0)$', minLength: 1, description: `${description} A Prometheus duration, e.g. \`15s\`, \`5m\`, \`1h30m\`.` });

/** A `<labelname>`: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const LabelName = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' });

/** A label set: names to values. */
export const Labels = (description: string) => Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String(), { description });

/** `host:port` of a scrape target. */
export const Target = Type.String({ pattern: '^[^\\s/]+:[0-9]{1,5}$', description: 'host:port' });

/** An alerting rule (`alert`) or a recording rule (`record`). */
export const Rule = Type.Object(
  {
    alert: Type.Optional(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', description: 'Alert name (alerting rule). Give `alert` or `record`.' })),
    record: Type.Optional(Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$', description: 'Name of the recorded series (recording rule).' })),
    expr: Type.String({ minLength: 1, description: 'PromQL expression (checked by `promtool check rules`).' }),
    for: Type.Optional(Duration('Alerting rules: how long the expression must hold before the alert fires.')),
    labels: Type.Optional(Labels('Labels added to the alert or the recorded series, e.g. `severity`.')),
    annotations: Type.Optional(Labels('Alerting rules: `summary`, `description` (Go templates, e.g. `{{ $labels.instance }}`).')),
  },
  { additionalProperties: false },
);

/** A rule group: rules evaluated together at one interval. */
export const RuleGroup = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', description: 'Group name, unique in its file.' }),
    interval: Type.Optional(Duration('Evaluation interval of the group; default the global `evaluation_interval`.')),
    rules: Type.Array(Rule, { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** Params shape of a rule group. */
export type RuleGroup = Static<typeof RuleGroup>;
/** Params shape of one rule. */
export type Rule = Static<typeof Rule>;

/** A `static_configs` entry: targets sharing labels. */
export const StaticConfig = Type.Object(
  {
    targets: Type.Array(Type.String({ pattern: '^\\S+$' }), { minItems: 1, description: 'Targets: `host:port`, or for a probe job what the probe module takes (a URL for `http_2xx`).' }),
    labels: Type.Optional(Labels('Labels of these targets, e.g. `instance: db1` to name a target by its inventory host.')),
  },
  { additionalProperties: false },
);

/** A scrape job. */
export const ScrapeConfig = Type.Object(
  {
    job_name: Type.String({ pattern: '^[a-zA-Z0-9_.:-]+$', description: 'The `job` label of its targets; unique.' }),
    scrape_interval: Type.Optional(Duration('Scrape interval of this job; default the global one.')),
    scrape_timeout: Type.Optional(Duration('Scrape timeout of this job; at most its interval.')),
    metrics_path: Type.Optional(Type.String({ pattern: '^/[^\\s]*$', description: 'Path of the metrics; default `/metrics`.' })),
    scheme: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')], { description: 'Default `http`.' })),
    static_configs: Type.Array(StaticConfig, { description: 'The targets.' }),
    probe: Type.Optional(
      Type.Object(
        {
          exporter: Target,
          module: Type.String({ pattern: '^[a-zA-Z0-9_-]+$', description: 'blackbox_exporter module, e.g. `http_2xx`.' }),
        },
        {
          additionalProperties: false,
          description:
            'Probe the targets through blackbox_exporter at `exporter` with `module`: each target becomes the `target` URL parameter of `/probe` and its `instance` label (the multi-target exporter pattern, https://prometheus.io/docs/guides/multi-target-exporter/). Targets may then be URLs.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Params shape of a scrape job. */
export type ScrapeConfig = Static<typeof ScrapeConfig>;
