import { describe, expect, it } from 'vitest';
import type { RunReport } from '../report/report.js';
import { emptySummary } from '../report/report.js';
import { mergeShardReports, parseShard, shardHosts } from './shard.js';

const hosts = Array.from({ length: 103 }, (_v, i) => `web${i + 1}.example.test`);

describe('shardHosts', () => {
  it.each([1, 2, 3, 7, 103, 200])('puts every host in exactly one of %i shards, sizes within one of each other', (count) => {
    const parts = Array.from({ length: count }, (_v, i) => shardHosts(hosts, { index: i + 1, count }));
    const all = parts.flatMap((p) => [...p]);
    expect(all.sort()).toEqual([...hosts].sort());
    const sizes = parts.map((p) => p.size);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('gives the same parts whatever the order of the inventory', () => {
    const shuffled = [...hosts].reverse().sort((a, b) => (a.length - b.length) || b.localeCompare(a));
    for (let i = 1; i <= 4; i++) expect(shardHosts(shuffled, { index: i, count: 4 })).toEqual(shardHosts(hosts, { index: i, count: 4 }));
  });

  it('keeps a host in its part when unrelated hosts are reordered or listed twice', () => {
    expect(shardHosts([...hosts, ...hosts.slice(0, 10)], { index: 2, count: 3 })).toEqual(shardHosts(hosts, { index: 2, count: 3 }));
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['3/8', { index: 3, count: 8 }],
  ])('reads %s', (text, shard) => expect(parseShard(text)).toEqual(shard));

  it.each(['0/4', '5/4', '1/0', '2', 'a/b', '1/2/3', '-1/2'])('refuses %s', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard must be I\/N with 1 <= I <= N/);
  });
});

const report = (index: number, count: number, names: string[], over: Partial<RunReport> = {}): RunReport => ({
  summary: Object.fromEntries(names.map((h) => [h, { ...emptySummary(), ok: 2, changed: 1 }])),
  tasks: names.map((h) => ({ host: h, play: 'p', task: 't', module: 'file', status: 'changed', changes: [], durationMs: 1 })),
  stats: Object.fromEntries(names.map((h) => [h, { roundTrips: 1, durationMs: 5 }])),
  check: false,
  shard: { index, count },
  ...over,
});

describe('mergeShardReports', () => {
  it('combines the shards into one report with the hosts in name order', () => {
    const merged = mergeShardReports([
      { file: 'b.json', report: report(2, 2, ['h10', 'h2'], { unreachable: { h2: { message: 'refused' } } }) },
      { file: 'a.json', report: report(1, 2, ['h1', 'h3']) },
    ]);
    expect(Object.keys(merged.summary)).toEqual(['h1', 'h2', 'h3', 'h10']);
    expect(merged.tasks.map((t) => t.host)).toEqual(['h1', 'h3', 'h10', 'h2']);
    expect(Object.keys(merged.stats).sort()).toEqual(['h1', 'h10', 'h2', 'h3']);
    expect(merged.unreachable).toEqual({ h2: { message: 'refused' } });
    expect(merged.shard).toBeUndefined();
  });

  it.each([
    ['a report without shard', [{ file: 'a.json', report: { ...report(1, 1, ['h1']), shard: undefined } }], /a.json is not the report of a shard/],
    ['shards of different runs', [{ file: 'a.json', report: report(1, 2, ['h1']) }, { file: 'b.json', report: report(2, 3, ['h2']) }], /b.json is shard 2\/3, the others are of 2 shards/],
    ['a shard twice', [{ file: 'a.json', report: report(1, 2, ['h1']) }, { file: 'b.json', report: report(1, 2, ['h2']) }], /b.json and a.json are both shard 1\/2/],
    ['a missing shard', [{ file: 'a.json', report: report(1, 3, ['h1']) }, { file: 'c.json', report: report(3, 3, ['h3']) }], /shard 2\/3 missing/],
    ['a host in two shards', [{ file: 'a.json', report: report(1, 2, ['h1']) }, { file: 'b.json', report: report(2, 2, ['h1']) }], /host h1 is in a.json and in b.json/],
    ['check and real runs', [{ file: 'a.json', report: report(1, 2, ['h1']) }, { file: 'b.json', report: report(2, 2, ['h2'], { check: true }) }], /check-mode and real runs/],
  ])('refuses %s', (_what, reports, message) => {
    expect(() => mergeShardReports(reports as { file: string; report: RunReport }[])).toThrow(message);
  });
});
