import { ConvergeError, sha256Hex } from '@converge/core/lean';
import type { RunReport } from '../report/report.js';

/** One part of a run split over several controllers (`--shard I/N`): `index` counts from 1. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Reads `I/N` (1 <= I <= N), as `--shard` takes it.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for any other text.
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1) || !(index >= 1) || index > count) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--shard must be I/N with 1 <= I <= N (got ${JSON.stringify(text)})`, { hint: 'e.g. --shard 2/4 runs the second of four parts; in a Kubernetes Indexed Job, I is $JOB_COMPLETION_INDEX + 1' });
  }
  return { index, count };
}

/**
 * The hosts of shard `shard` among `hosts`: the hosts ordered by the sha256 of their name, then
 * dealt out in turn to shards 1..N. The parts depend on the set of names only (not on the
 * inventory's order), every host is in exactly one, and their sizes differ by at most one.
 */
export function shardHosts(hosts: Iterable<string>, shard: Shard): Set<string> {
  const ordered = [...new Set(hosts)]
    .map((h) => ({ h, k: sha256Hex(h) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.h < b.h ? -1 : 1));
  return new Set(ordered.filter((_x, i) => i % shard.count === shard.index - 1).map((x) => x.h));
}

/**
 * Combines the reports of the shards of one run (`converge report merge`): one summary (hosts
 * in name order), the tasks of every shard in shard order, stats, stopped and unreachable hosts. Each report's
 * `shard` must be there, all of the same count, each index once.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` when the reports are not the shards of one run: no
 * `shard`, different counts, an index twice or missing, check and real runs mixed, or a host in
 * two reports.
 */
export function mergeShardReports(reports: { file: string; report: RunReport }[]): RunReport {
  if (reports.length === 0) throw new ConvergeError('CONVERGE_OPTIONS', 'report merge: give the JSON reports of the shards');
  const seen = new Map<number, string>();
  let count: number | undefined;
  for (const { file, report } of reports) {
    const s = report.shard;
    if (!s) throw new ConvergeError('CONVERGE_OPTIONS', `report merge: ${file} is not the report of a shard (it has no "shard"; run with --shard I/N --output json)`);
    if (count !== undefined && s.count !== count) throw new ConvergeError('CONVERGE_OPTIONS', `report merge: ${file} is shard ${s.index}/${s.count}, the others are of ${count} shards`);
    count = s.count;
    const other = seen.get(s.index);
    if (other) throw new ConvergeError('CONVERGE_OPTIONS', `report merge: ${file} and ${other} are both shard ${s.index}/${s.count}`);
    seen.set(s.index, file);
  }
  const missing = Array.from({ length: count as number }, (_v, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new ConvergeError('CONVERGE_OPTIONS', `report merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`, { hint: 'a shard whose run did not finish has no report: run it again, or merge when all have ended' });
  const checks = new Set(reports.map((r) => r.report.check));
  if (checks.size > 1) throw new ConvergeError('CONVERGE_OPTIONS', 'report merge: check-mode and real runs cannot be merged');
  const ordered = [...reports].sort((a, b) => (a.report.shard as Shard).index - (b.report.shard as Shard).index);
  const merged: RunReport = { summary: {}, tasks: [], stats: {}, check: ordered[0]?.report.check ?? false };
  const from = new Map<string, string>();
  const summaries: [string, RunReport['summary'][string]][] = [];
  for (const { file, report } of ordered) {
    for (const [host, s] of Object.entries(report.summary)) {
      const other = from.get(host);
      if (other) throw new ConvergeError('CONVERGE_OPTIONS', `report merge: host ${host} is in ${other} and in ${file}; shards never share a host`);
      from.set(host, file);
      summaries.push([host, s]);
    }
    Object.assign(merged.stats, report.stats);
    merged.tasks.push(...report.tasks);
    if (report.stopped) (merged.stopped ??= []).push(...report.stopped);
    if (report.unreachable) merged.unreachable = { ...merged.unreachable, ...report.unreachable };
  }
  // The recap lists hosts by name (numbers in names compared as numbers): the shards' order says nothing.
  for (const [host, s] of summaries.sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))) merged.summary[host] = s;
  return merged;
}
