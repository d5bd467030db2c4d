import { ConvergeError, reveal } from '@converge/core';
import type { Secret } from '@converge/core';
import { MAXSCALE_DEFAULTS } from './model.js';
import type { MaxscaleConfig } from './model.js';

/** One section of maxscale.cnf: its name and its `key=value` parameters, in file order. */
export interface ConfigSection {
  name: string;
  params: [string, string][];
}

/** A rendered maxscale.cnf. */
export interface RenderedConfig {
  /** The file's text, passwords revealed (what goes to the host; always written and diffed as a secret). */
  text: string;
  /** The same configuration as sections, what {@link parseMaxscaleConfig} reads back from the text. */
  sections: ConfigSection[];
}

type Scalar = string | number | boolean | Secret | undefined;

const HEADER = '# Written by converge (@converge/maxscale). Local changes are overwritten.';

function value(v: Exclude<Scalar, undefined>): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return reveal(v as string | Secret);
}

function section(name: string, modelled: [string, Scalar][], extra: Record<string, string | number | boolean> | undefined, where: string): ConfigSection {
  const params: [string, string][] = [];
  for (const [k, v] of modelled) if (v !== undefined) params.push([k, value(v)]);
  for (const k of Object.keys(extra ?? {}).sort()) {
    if (modelled.some(([m]) => m === k)) {
      throw new ConvergeError('CONVERGE_PARAMS', `maxscale config: ${where}.extra.${k}: the model renders ${k} itself; set it through its own field`);
    }
    params.push([k, value((extra ?? {})[k] as string | number | boolean)]);
  }
  return { name, params };
}

/**
 * Renders the configuration model to the text of maxscale.cnf, deterministically: the same model
 * gives the same bytes. Sections come in the order `[maxscale]`, servers (as given), the monitor,
 * the service, the listener; parameters in a fixed order, `extra` ones last and sorted by name.
 *
 * The monitor and the service list every server; `persist_runtime_changes=false` and
 * `load_persisted_configs=false` keep this file the only source of the configuration (runtime
 * changes made by `maxscale.config` are also in the file, so nothing is lost on a restart).
 *
 * Syntax: MaxScale 24.02 Configuration Guide (INI sections, `key=value`, lists comma-separated),
 * Galera Monitor and Readwritesplit documents.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when two objects share a name (servers, monitor,
 * service and listener are all objects of one namespace), or an `extra` parameter repeats a
 * modelled one.
 */
export function renderMaxscaleConfig(config: MaxscaleConfig): RenderedConfig {
  const problem = checkNames(config);
  if (problem) throw new ConvergeError('CONVERGE_PARAMS', `maxscale config: ${problem}`);
  const g = config.maxscale ?? {};
  const m = config.monitor;
  const s = config.service;
  const l = config.listener ?? {};
  const names = objectNames(config);
  const servers = config.servers.map((x) => x.name).join(',');
  const sections: ConfigSection[] = [
    section(
      'maxscale',
      [
        ['threads', g.threads ?? MAXSCALE_DEFAULTS.threads],
        ['admin_host', g.admin_host ?? MAXSCALE_DEFAULTS.adminHost],
        ['admin_port', g.admin_port ?? MAXSCALE_DEFAULTS.adminPort],
        ['admin_gui', g.admin_gui],
        ['admin_secure_gui', g.admin_secure_gui ?? false],
        ['log_info', g.log_info],
        ['log_notice', g.log_notice],
        ['log_warning', g.log_warning],
        ['query_retries', g.query_retries],
        ['persist_runtime_changes', false],
        ['load_persisted_configs', false],
      ],
      g.extra,
      'maxscale',
    ),
    ...config.servers.map((x, i) =>
      section(
        x.name,
        [
          ['type', 'server'],
          ['address', x.address],
          ['port', x.port ?? MAXSCALE_DEFAULTS.serverPort],
          ['priority', x.priority],
          ['rank', x.rank],
          ['ssl', x.ssl],
        ],
        x.extra,
        `servers[${i}]`,
      ),
    ),
    section(
      names.monitor,
      [
        ['type', 'monitor'],
        ['module', 'galeramon'],
        ['servers', servers],
        ['user', m.user],
        ['password', m.password as Secret],
        ['monitor_interval', m.monitor_interval],
        ['backend_connect_timeout', m.backend_connect_timeout],
        ['disable_master_failback', m.disable_master_failback],
        ['available_when_donor', m.available_when_donor],
        ['disable_master_role_setting', m.disable_master_role_setting],
        ['use_priority', m.use_priority],
        ['root_node_as_master', m.root_node_as_master],
        ['set_donor_nodes', m.set_donor_nodes],
      ],
      m.extra,
      'monitor',
    ),
    section(
      names.service,
      [
        ['type', 'service'],
        ['router', 'readwritesplit'],
        ['servers', servers],
        ['user', s.user],
        ['password', s.password as Secret],
        ['master_reconnection', s.master_reconnection],
        ['master_failure_mode', s.master_failure_mode],
        ['transaction_replay', s.transaction_replay],
        ['causal_reads', s.causal_reads],
        ['master_accept_reads', s.master_accept_reads],
        ['max_slave_connections', s.max_slave_connections],
        ['slave_selection_criteria', s.slave_selection_criteria],
      ],
      s.extra,
      'service',
    ),
    section(
      names.listener,
      [
        ['type', 'listener'],
        ['service', names.service],
        ['protocol', 'MariaDBClient'],
        ['address', l.address],
        ['port', l.port ?? MAXSCALE_DEFAULTS.listenerPort],
      ],
      l.extra,
      'listener',
    ),
  ];
  return { text: formatSections(sections), sections };
}

/** The text of sections: a header comment, then `[name]` and `key=value` lines, a blank line between sections. */
export function formatSections(sections: ConfigSection[]): string {
  const out = [HEADER, ''];
  for (const s of sections) out.push(`[${s.name}]`, ...s.params.map(([k, v]) => `${k}=${v}`), '');
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/**
 * Reads maxscale.cnf text into sections: `[name]` headers, `key=value` lines (spaces around
 * `=` and the value trimmed), `#` and `;` comment lines and blank lines skipped. What the file
 * holds today, so that a change can be compared object by object ({@link planRuntimeChange}).
 *
 * @throws ConvergeError `CONVERGE_FACT` for a line that is none of those, or a parameter before
 * the first section.
 */
export function parseMaxscaleConfig(text: string): ConfigSection[] {
  const sections: ConfigSection[] = [];
  let cur: ConfigSection | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      cur = { name: (header[1] as string).trim(), params: [] };
      sections.push(cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConvergeError('CONVERGE_FACT', `maxscale.cnf line ${i + 1}: neither a [section] nor key=value: ${JSON.stringify(line.slice(0, 60))}`);
    if (!cur) throw new ConvergeError('CONVERGE_FACT', `maxscale.cnf line ${i + 1}: a parameter before the first [section]`);
    cur.params.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** The names of the monitor, service and listener objects of a model (defaults applied). */
export function objectNames(config: MaxscaleConfig): { monitor: string; service: string; listener: string } {
  return {
    monitor: config.monitor.name ?? MAXSCALE_DEFAULTS.monitorName,
    service: config.service.name ?? MAXSCALE_DEFAULTS.serviceName,
    listener: config.listener?.name ?? MAXSCALE_DEFAULTS.listenerName,
  };
}

/**
 * Cross-field checks of a model: object names are unique across servers, monitor, service and
 * listener, and none is `maxscale` (the global section).
 *
 * @returns a message naming the offending field, or undefined.
 */
export function checkNames(config: MaxscaleConfig): string | undefined {
  const n = objectNames(config);
  const seen = new Map<string, string>([['maxscale', 'the global section']]);
  const add = (name: string, where: string): string | undefined => {
    const before = seen.get(name.toLowerCase());
    if (before) return `${where}: the name "${name}" is taken by ${before}`;
    seen.set(name.toLowerCase(), where);
    return undefined;
  };
  for (const [i, s] of config.servers.entries()) {
    const p = add(s.name, `servers[${i}].name`);
    if (p) return p;
  }
  return add(n.monitor, 'monitor.name') ?? add(n.service, 'service.name') ?? add(n.listener, 'listener.name');
}
