import { Type, defineModule } from '@converge/core';
import type { Static } from '@converge/core';
import { ListenAddress, PathParam, applyService, applyToServiceParam, planService, renderDefaultsFile, serviceFacts, serviceResources } from './service-files.js';
import type { ServiceSpec } from './service-files.js';

/** Debian 12's `prometheus-node-exporter` (1.5): its unit, /etc/default file and `--help` defaults. */
export const NODE_EXPORTER_DEFAULTS = {
  unit: 'prometheus-node-exporter',
  defaults_file: '/etc/default/prometheus-node-exporter',
  listen_address: ':9100',
  textfile_dir: '/var/lib/prometheus/node-exporter',
  port: 9100,
} as const;

const Collector = Type.String({ pattern: '^[a-z0-9_]+$' });

/** JSON Schema of the `prometheus.node_exporter` params. */
export const NodeExporterParams = Type.Object(
  {
    listen_address: ListenAddress('`--web.listen-address`.', NODE_EXPORTER_DEFAULTS.listen_address),
    textfile_dir: PathParam(
      "Directory of the textfile collector (`--collector.textfile.directory`, made 0755 when missing): every `*.prom` file in it is exported, e.g. restic-backup's job status. Default `/var/lib/prometheus/node-exporter`.",
    ),
    enable: Type.Optional(Type.Array(Collector, { uniqueItems: true, description: 'Collectors to enable beyond the defaults (`--collector.NAME`), e.g. `systemd`, `processes`.' })),
    disable: Type.Optional(Type.Array(Collector, { uniqueItems: true, description: 'Default collectors to disable (`--no-collector.NAME`).' })),
    defaults_file: PathParam('The file holding `ARGS`. Default `/etc/default/prometheus-node-exporter`.'),
    service: applyToServiceParam,
  },
  { additionalProperties: false },
);

/** Params of `prometheus.node_exporter`. */
export type NodeExporterParams = Static<typeof NodeExporterParams>;

/** The command-line arguments of node_exporter. */
export function nodeExporterArgs(p: NodeExporterParams): string[] {
  return [
    `--web.listen-address=${p.listen_address ?? NODE_EXPORTER_DEFAULTS.listen_address}`,
    `--collector.textfile.directory=${p.textfile_dir ?? NODE_EXPORTER_DEFAULTS.textfile_dir}`,
    ...(p.enable ?? []).map((c) => `--collector.${c}`),
    ...(p.disable ?? []).map((c) => `--no-collector.${c}`),
  ];
}

function spec(p: NodeExporterParams): ServiceSpec {
  return {
    unit: NODE_EXPORTER_DEFAULTS.unit,
    dirs: [{ path: p.textfile_dir ?? NODE_EXPORTER_DEFAULTS.textfile_dir, mode: '0755', owner: 'root', group: 'root' }],
    files: [
      {
        write: { dest: p.defaults_file ?? NODE_EXPORTER_DEFAULTS.defaults_file, content: renderDefaultsFile('prometheus.node_exporter', 'ARGS', nodeExporterArgs(p)), mode: '0644', owner: 'root', group: 'root' },
        effect: 'restart',
      },
    ],
    reload: { kind: 'signal' },
    apply_to_service: p.service ?? true,
  };
}

/**
 * Module `prometheus.node_exporter`: the machine metrics exporter of Debian's
 * `prometheus-node-exporter`: its arguments in /etc/default/prometheus-node-exporter (listen
 * address, the textfile collector's directory, collectors on and off), the directory made when
 * missing, and a restart of the running exporter when the arguments change.
 *
 * Source: node_exporter 1.5 `--help`; Debian's prometheus-node-exporter.service.
 *
 * @example prometheus.node_exporter({ listen_address: '10.0.0.11:9100', enable: ['systemd'] })
 */
export const nodeExporter = defineModule({
  name: 'prometheus.node_exporter',
  description: 'node_exporter arguments (listen address, textfile collector directory, collectors); restarted on change.',
  params: NodeExporterParams,
  validate: (p) => {
    const both = (p.enable ?? []).find((c) => (p.disable ?? []).includes(c));
    return both ? `collector ${both} is both in enable and disable` : undefined;
  },
  facts: (p) => serviceFacts(spec(p)),
  plan: ({ params, facts, upstreamChanged }) => {
    const { changes, diffs, data } = planService('prometheus.node_exporter', spec(params), facts, upstreamChanged);
    if (changes.length === 0) return { changes, reason: 'node_exporter arguments and textfile directory in place' };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }) => applyService(spec(params), plan.data),
  resources: (p) => serviceResources(spec(p)),
});
