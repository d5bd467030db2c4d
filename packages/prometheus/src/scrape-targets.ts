import { ConvergeError } from '@converge/core';
import type { TaskContext } from '@converge/core';
import type { ScrapeConfig } from './model.js';

/** One scrape job built from an inventory group: every host of `group` at `port`. */
export interface GroupScrape {
  job_name: string;
  /** Inventory group whose hosts are scraped; a group that is missing or empty gives no job. */
  group: string;
  port: number;
  metrics_path?: string;
  scrape_interval?: string;
}

/**
 * Scrape jobs from the inventory's groups (pure: reads `groups` and `hostvars` of the task's
 * vars): one `static_configs` entry per host, its target `ADDRESS:PORT` and its `instance` label
 * the inventory host name, so alerts name hosts as the inventory does. ADDRESS is the host var
 * `address_var` (default `monitoring_address`), else `ansible_host`, else the host name.
 *
 * @throws ConvergeError `CONVERGE_VARS` when two jobs share a name.
 * @example prometheus.server((h) => ({ scrape_configs: scrapeConfigsFromGroups(h, [{ job_name: 'node', group: 'all', port: 9100 }]) }))
 */
export function scrapeConfigsFromGroups(ctx: Pick<TaskContext, 'vars'>, jobs: GroupScrape[], o: { address_var?: string } = {}): ScrapeConfig[] {
  const groups = (ctx.vars.groups ?? {}) as Record<string, string[]>;
  const hostvars = (ctx.vars.hostvars ?? {}) as Record<string, Record<string, unknown>>;
  const seen = new Set<string>();
  const out: ScrapeConfig[] = [];
  for (const j of jobs) {
    if (seen.has(j.job_name)) throw new ConvergeError('CONVERGE_VARS', `scrapeConfigsFromGroups: two jobs named ${JSON.stringify(j.job_name)}`);
    seen.add(j.job_name);
    const hosts = groups[j.group] ?? [];
    if (hosts.length === 0) continue;
    out.push({
      job_name: j.job_name,
      ...(j.scrape_interval ? { scrape_interval: j.scrape_interval } : {}),
      ...(j.metrics_path ? { metrics_path: j.metrics_path } : {}),
      static_configs: hosts.map((name) => {
        const hv = hostvars[name] ?? {};
        const address = String(hv[o.address_var ?? 'monitoring_address'] ?? hv.ansible_host ?? name);
        return { targets: [`${address.includes(':') && !address.startsWith('[') ? `[${address}]` : address}:${j.port}`], labels: { instance: name } };
      }),
    });
  }
  return out;
}

/**
 * A probe job: blackbox_exporter at `exporter` probes each target with `module` (e.g.
 * `http_2xx` on the public URL; an HTTPS target also reports its certificate's expiry).
 */
export function probeScrapeConfig(o: { job_name: string; module: string; targets: string[]; exporter: string; scrape_interval?: string }): ScrapeConfig {
  return {
    job_name: o.job_name,
    ...(o.scrape_interval ? { scrape_interval: o.scrape_interval } : {}),
    static_configs: [{ targets: o.targets }],
    probe: { exporter: o.exporter, module: o.module },
  };
}
