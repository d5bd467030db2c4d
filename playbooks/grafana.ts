import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { block } from '@converge/core';
import type { Task, TaskContext, TaskListItem } from '@converge/core';
import { apt, copy, file, systemd } from '@converge/modules';
import { GRAFANA_APT } from '@converge/loki-agent';
import { observabilityVarsOf } from '@converge/role-observability';
import type { ObservabilityVars } from '@converge/role-observability';

/** Where the provisioning files go (Grafana's defaults for the Debian package: `[paths] provisioning`). */
export const GRAFANA_PROVISIONING = '/etc/grafana/provisioning';
/** Where the dashboards' JSON files go, read by the `stack` dashboard provider. */
export const GRAFANA_DASHBOARDS = '/var/lib/grafana/dashboards/stack';
/** The dashboards of the stack, files of `playbooks/files/grafana/dashboards`. */
export const DASHBOARD_FILES: readonly string[] = readdirSync(join(import.meta.dirname, 'files', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).sort();

/** Loki's base URL (what Grafana queries) from the agents' push URL. */
export function lokiBaseUrl(pushUrl: string): string {
  return new URL(pushUrl).origin;
}

/**
 * Grafana's data sources (provisioning file, "Provision Grafana", data sources: `apiVersion: 1`,
 * `datasources:` with `name`, `type`, `uid`, `access`, `url`, `isDefault`): the local Prometheus
 * and the stack's Loki, with the fixed uids the dashboards name.
 */
export function datasourcesFile(lokiUrl: string): string {
  return [
    '# Managed by converge (playbooks/grafana.ts).',
    'apiVersion: 1',
    'datasources:',
    '  - name: Prometheus',
    '    type: prometheus',
    '    uid: prometheus',
    '    access: proxy',
    '    url: http://localhost:9090',
    '    isDefault: true',
    '    editable: false',
    '  - name: Loki',
    '    type: loki',
    '    uid: loki',
    '    access: proxy',
    `    url: ${lokiBaseUrl(lokiUrl)}`,
    '    editable: false',
    '',
  ].join('\n');
}

/** The dashboard provider (provisioning file, dashboards: `providers:` of `type: file`). */
export const DASHBOARD_PROVIDER = [
  '# Managed by converge (playbooks/grafana.ts).',
  'apiVersion: 1',
  'providers:',
  '  - name: stack',
  '    folder: Stack',
  '    type: file',
  '    disableDeletion: true',
  '    allowUiUpdates: false',
  '    updateIntervalSeconds: 30',
  '    options:',
  `      path: ${GRAFANA_DASHBOARDS}`,
  '',
].join('\n');

/**
 * The tasks of the dashboards host: Grafana's provisioning files (data sources Prometheus and
 * Loki, the `stack` dashboard provider, the dashboards: hosts, HAProxy, Galera, backups) always,
 * so they are in place and reviewed whatever the host can install; and, where `available`
 * (Grafana's repository answers and its key is in the inventory), Grafana's signed repository,
 * `grafana` and `loki`, and both services started and enabled (Grafana
 * restarted when its provisioning changed).
 */
export function grafanaTasks(available: (h: TaskContext) => boolean): TaskListItem[] {
  const key = (h: TaskContext): string => (observabilityVarsOf(h) as ObservabilityVars).grafana_key;
  return [
    ...[`${GRAFANA_PROVISIONING}/datasources`, `${GRAFANA_PROVISIONING}/dashboards`, GRAFANA_DASHBOARDS].map((path) =>
      file({ path, state: 'directory', owner: 'root', group: 'root', mode: '0755' }, { name: path }),
    ),
    copy((h) => ({ dest: `${GRAFANA_PROVISIONING}/datasources/stack.yaml`, content: datasourcesFile(String(h.vars.loki_url)), owner: 'root', group: 'root', mode: '0644' }), { name: 'Grafana data sources', notify: 'restart grafana' }),
    copy({ dest: `${GRAFANA_PROVISIONING}/dashboards/stack.yaml`, content: DASHBOARD_PROVIDER, owner: 'root', group: 'root', mode: '0644' }, { name: 'Grafana dashboard provider', notify: 'restart grafana' }),
    ...DASHBOARD_FILES.map((f) => copy({ src: `grafana/dashboards/${f}`, dest: `${GRAFANA_DASHBOARDS}/${f}`, owner: 'root', group: 'root', mode: '0644' }, { name: `dashboard ${f}` })),
    block(
      [
        apt({ name: ['ca-certificates'] }, { name: 'CA certificates for https repositories' }),
        apt.repository((h) => ({ ...GRAFANA_APT, uris: [...GRAFANA_APT.uris], suites: [...GRAFANA_APT.suites], components: [...GRAFANA_APT.components], key: key(h) }), { name: "Grafana's APT repository" }),
        apt({ name: ['grafana', 'loki'], update_cache: true, cache_valid_time: 3600 }, { name: 'install Grafana and Loki' }),
        systemd.service({ name: 'loki', state: 'started', enabled: true }, { name: 'loki running and enabled' }),
        systemd.service({ name: 'grafana-server', state: 'started', enabled: true }, { name: 'grafana-server running and enabled' }),
      ],
      { name: "Grafana and Loki where Grafana's repository answers", when: available },
    ),
  ];
}

/** The handler of {@link grafanaTasks}. */
export function grafanaHandlers(available: (h: TaskContext) => boolean): Task[] {
  return [systemd.service({ name: 'grafana-server', state: 'restarted' }, { name: 'restart grafana', when: available })];
}
