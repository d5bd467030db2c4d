import { Type, defineModule } from '@converge/core';
import type { Static } from '@converge/core';
import { stringify } from 'yaml';
import { Duration } from './model.js';
import { ListenAddress, PathParam, applyService, applyToServiceParam, planService, renderDefaultsFile, serviceFacts, serviceResources } from './service-files.js';
import type { ServiceSpec } from './service-files.js';

/** Debian 12's `prometheus-blackbox-exporter` (0.23): its unit, files and `--help` defaults. */
export const BLACKBOX_EXPORTER_DEFAULTS = {
  unit: 'prometheus-blackbox-exporter',
  path: '/etc/prometheus/blackbox.yml',
  defaults_file: '/etc/default/prometheus-blackbox-exporter',
  listen_address: ':9115',
  port: 9115,
} as const;

/** One probe module of blackbox.yml (https://github.com/prometheus/blackbox_exporter/blob/v0.23.0/CONFIGURATION.md). */
export const BlackboxModule = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9_-]+$', description: 'Module name, as a probe job names it (`probe.module`).' }),
    prober: Type.Union([Type.Literal('http'), Type.Literal('tcp'), Type.Literal('icmp'), Type.Literal('dns')], { description: 'The prober.' }),
    timeout: Type.Optional(Duration('Probe timeout.')),
    http: Type.Optional(
      Type.Object(
        {
          valid_status_codes: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { description: 'Accepted status codes; default 2xx.' })),
          method: Type.Optional(Type.String({ pattern: '^[A-Z]+$', description: 'HTTP method; default GET.' })),
          fail_if_not_ssl: Type.Optional(Type.Boolean({ description: 'Fail when the probe did not use TLS.' })),
          preferred_ip_protocol: Type.Optional(Type.Union([Type.Literal('ip4'), Type.Literal('ip6')], { description: 'Default ip6 (then ip4).' })),
          insecure_skip_verify: Type.Optional(Type.Boolean({ description: 'Accept any certificate (still reports its expiry).' })),
        },
        { additionalProperties: false, description: 'Options of the http prober.' },
      ),
    ),
    tcp: Type.Optional(
      Type.Object(
        { tls: Type.Optional(Type.Boolean({ description: 'Connect with TLS (reports the certificate expiry).' })), preferred_ip_protocol: Type.Optional(Type.Union([Type.Literal('ip4'), Type.Literal('ip6')])) },
        { additionalProperties: false, description: 'Options of the tcp prober.' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The modules every blackbox.yml gets unless replaced: `http_2xx` and `tcp_connect`. */
export const DEFAULT_BLACKBOX_MODULES: Static<typeof BlackboxModule>[] = [
  { name: 'http_2xx', prober: 'http', timeout: '5s', http: { preferred_ip_protocol: 'ip4' } },
  { name: 'tcp_connect', prober: 'tcp', timeout: '5s', tcp: { preferred_ip_protocol: 'ip4' } },
];

/** JSON Schema of the `prometheus.blackbox_exporter` params. */
export const BlackboxExporterParams = Type.Object(
  {
    modules: Type.Optional(Type.Array(BlackboxModule, { description: 'Probe modules. Default `http_2xx` and `tcp_connect` (IPv4, 5 s).' })),
    listen_address: ListenAddress('`--web.listen-address`.', BLACKBOX_EXPORTER_DEFAULTS.listen_address),
    path: PathParam('The configuration file. Default `/etc/prometheus/blackbox.yml`.'),
    defaults_file: PathParam('The file holding `ARGS`. Default `/etc/default/prometheus-blackbox-exporter`.'),
    service: applyToServiceParam,
  },
  { additionalProperties: false },
);

/** Params of `prometheus.blackbox_exporter`. */
export type BlackboxExporterParams = Static<typeof BlackboxExporterParams>;

/** Renders blackbox.yml (pure). */
export function renderBlackboxConfig(p: BlackboxExporterParams): string {
  const modules: Record<string, unknown> = {};
  for (const m of p.modules ?? DEFAULT_BLACKBOX_MODULES) {
    const { name, http, tcp, ...rest } = m;
    const tls = tcp?.tls !== undefined ? { tls: tcp.tls } : {};
    const tcpOut = tcp ? { ...(tcp.preferred_ip_protocol ? { preferred_ip_protocol: tcp.preferred_ip_protocol } : {}), ...tls } : undefined;
    const httpOut = http
      ? {
          ...(http.valid_status_codes ? { valid_status_codes: http.valid_status_codes } : {}),
          ...(http.method ? { method: http.method } : {}),
          ...(http.fail_if_not_ssl !== undefined ? { fail_if_not_ssl: http.fail_if_not_ssl } : {}),
          ...(http.preferred_ip_protocol ? { preferred_ip_protocol: http.preferred_ip_protocol } : {}),
          ...(http.insecure_skip_verify !== undefined ? { tls_config: { insecure_skip_verify: http.insecure_skip_verify } } : {}),
        }
      : undefined;
    modules[name] = { ...rest, ...(httpOut ? { http: httpOut } : {}), ...(tcpOut ? { tcp: tcpOut } : {}) };
  }
  return `# Managed by converge (prometheus.blackbox_exporter).\n${stringify({ modules }, { lineWidth: 0 })}`;
}

function spec(p: BlackboxExporterParams): ServiceSpec {
  const path = p.path ?? BLACKBOX_EXPORTER_DEFAULTS.path;
  return {
    unit: BLACKBOX_EXPORTER_DEFAULTS.unit,
    dirs: [],
    files: [
      { write: { dest: path, content: renderBlackboxConfig(p), mode: '0644', owner: 'root', group: 'root', validate: 'prometheus-blackbox-exporter --config.check --config.file=%s' }, effect: 'reload' },
      {
        write: {
          dest: p.defaults_file ?? BLACKBOX_EXPORTER_DEFAULTS.defaults_file,
          content: renderDefaultsFile('prometheus.blackbox_exporter', 'ARGS', [`--config.file=${path}`, `--web.listen-address=${p.listen_address ?? BLACKBOX_EXPORTER_DEFAULTS.listen_address}`]),
          mode: '0644',
          owner: 'root',
          group: 'root',
        },
        effect: 'restart',
      },
    ],
    reload: { kind: 'signal' },
    apply_to_service: p.service ?? true,
  };
}

/**
 * Module `prometheus.blackbox_exporter`: the probing exporter of Debian's
 * `prometheus-blackbox-exporter`: blackbox.yml from typed probe modules (checked with
 * `prometheus-blackbox-exporter --config.check` on the candidate before it replaces the old
 * file), its arguments, a reload (SIGHUP) after a module change and a restart after an argument
 * change. Prometheus probes targets through it with a probe job (`scrape_configs[].probe`); an
 * HTTPS probe also exports `probe_ssl_earliest_cert_expiry`, which the certificate rule reads.
 *
 * Source: blackbox_exporter 0.23 CONFIGURATION.md and `--help`.
 *
 * @example prometheus.blackbox_exporter({ listen_address: '127.0.0.1:9115' })
 */
export const blackboxExporter = defineModule({
  name: 'prometheus.blackbox_exporter',
  description: 'blackbox_exporter probe modules (checked with --config.check) and arguments; reloaded or restarted on change.',
  params: BlackboxExporterParams,
  validate: (p) => {
    const seen = new Set<string>();
    for (const [i, m] of (p.modules ?? []).entries()) {
      if (seen.has(m.name)) return `modules[${i}]: a second module named "${m.name}"`;
      seen.add(m.name);
      if ((m.http && m.prober !== 'http') || (m.tcp && m.prober !== 'tcp')) return `modules[${i}]: options for another prober than ${m.prober}`;
    }
    return undefined;
  },
  facts: (p) => serviceFacts(spec(p)),
  plan: ({ params, facts, upstreamChanged }) => {
    const { changes, diffs, data } = planService('prometheus.blackbox_exporter', spec(params), facts, upstreamChanged);
    if (changes.length === 0) return { changes, reason: 'blackbox.yml and arguments in place' };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }) => applyService(spec(params), plan.data),
  resources: (p) => serviceResources(spec(p)),
});
