import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '@converge/engine';
import { startSimulatedHosts } from '../../ssh/test/simulated-hosts.js';
import type { SimulatedHosts } from '../../ssh/test/simulated-hosts.js';

// A run split over N controllers (`--shard I/N`), as N local `converge` processes at once against
// the simulated hosts of bench:scale (light SSH servers on loopback, here three as at scale where
// one process cannot hold every connection; a directory per host), compared with the same run made whole by one process; then `converge report merge`.

const bin = join(import.meta.dirname, '..', 'bin', 'converge.js');
const HOSTS = 12;
const N = 3;
let sim: SimulatedHosts;
let dir: string;

const PLAYBOOK = `import { definePlaybook } from '@converge/core';
import { command, copy, file } from '@converge/modules';
type Ctx = { vars: Record<string, unknown> };
const root = (h: Ctx) => String(h.vars.w50_root);
export default definePlaybook({
  name: 'sharded',
  hosts: 'all',
  tasks: [
    file((h: Ctx) => ({ path: root(h), state: 'directory', mode: '0755' })),
    copy((h: Ctx) => ({ dest: \`\${root(h)}/motd\`, content: 'sharded\\n', mode: '0644' })),
    command((h: Ctx) => ({ cmd: \`touch \${root(h)}/done\`, creates: \`\${root(h)}/done\` })),
  ],
});
`;

function converge(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CONVERGE_CACHE_DIR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const run = (extra: string[]) => converge(['-i', join(dir, 'inventory.ini'), join(dir, 'playbook.ts'), '--known-hosts', sim.knownHostsFile, '--forks', '4', ...extra]);
/** The N shards at once, each writing its report; resolves with the report files. */
async function shards(tag: string, extra: string[] = []): Promise<string[]> {
  const files = Array.from({ length: N }, (_v, i) => join(dir, `${tag}-${i + 1}.json`));
  const results = await Promise.all(files.map((f, i) => run(['--shard', `${i + 1}/${N}`, '--report-file', f, ...extra])));
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  return files;
}
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunReport;
const reset = () => {
  for (const h of sim.hosts) rmSync(h.root, { recursive: true, force: true });
};
/** What must be equal between a merged report and a whole run's: counts, round trips, the rows (not their durations or order). */
const essence = (r: RunReport) => ({
  summary: r.summary,
  roundTrips: Object.fromEntries(Object.entries(r.stats).map(([h, s]) => [h, s.roundTrips])),
  rows: r.tasks.map((t) => `${t.host} ${t.task} ${t.status}`).sort(),
});
const recap = (text: string) => text.slice(text.indexOf('RECAP')).replace(/ {2}\(\d+ round trips, [\d.]+ s\)/g, '');

beforeAll(async () => {
  sim = await startSimulatedHosts(HOSTS, { hostsPerServer: 5 });
  expect(new Set(sim.hosts.map((h) => h.port)).size).toBe(3);
  dir = mkdtempSync(join(tmpdir(), 'converge-shard-test-'));
  writeFileSync(join(dir, 'inventory.ini'), sim.inventory());
  writeFileSync(join(dir, 'playbook.ts'), PLAYBOOK);
});

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('--shard I/N and converge report merge', () => {
  it('N processes converge every host once: union of the shards is the whole run, the merged recap, JSON and JUnit are a single run’s; a second run changes nothing', async () => {
    const first = await shards('first');
    const parts = first.map(read);
    const names = parts.map((p) => Object.keys(p.summary));
    expect(names.flat().sort()).toEqual(sim.hosts.map((h) => h.name).sort());
    expect(new Set(names.flat()).size).toBe(HOSTS);
    for (const [i, p] of parts.entries()) expect(p.shard).toEqual({ index: i + 1, count: N });
    // Each shard keeps its own audit log, naming its part (run-start, written before the inventory
    // is read) and only its hosts (run-plan, before any host is contacted).
    for (let i = 1; i <= N; i++) {
      const records = readFileSync(join(dir, '.converge', `shard-${i}-of-${N}`, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const start = records.find((r) => r.type === 'run-start');
      const plan = records.find((r) => r.type === 'run-plan');
      expect(start.shard).toEqual({ index: i, count: N });
      expect(plan.run).toBe(start.run);
      expect([...plan.hosts].sort()).toEqual([...(names[i - 1] as string[])].sort());
    }
    const mergedJson = await converge(['report', 'merge', '--output', 'json', ...first]);
    expect(mergedJson.code, mergedJson.stderr).toBe(0);
    const merged = JSON.parse(mergedJson.stdout) as RunReport;
    const mergedPretty = await converge(['report', 'merge', ...first]);
    const mergedJunit = await converge(['report', 'merge', '--output', 'junit', ...first]);

    reset();
    const whole = await run(['--output', 'json']);
    expect(whole.code, whole.stderr).toBe(0);
    const single = JSON.parse(whole.stdout) as RunReport;
    expect(essence(merged)).toEqual(essence(single));
    expect(Object.values(single.summary).every((s) => s.changed === 3)).toBe(true);
    reset();
    const wholePretty = await run([]);
    expect(recap(mergedPretty.stdout)).toBe(recap(wholePretty.stdout));
    expect(mergedJunit.stdout.match(/<testsuite /g)).toHaveLength(HOSTS);

    // Run twice: the second run of the shards changes nothing.
    const again = (await shards('again')).map(read);
    expect(again.flatMap((p) => Object.values(p.summary)).every((s) => s.changed === 0 && s.failed === 0)).toBe(true);
  });

  it('report merge refuses reports that are not the shards of one run, naming the files', async () => {
    const files = await shards('refuse', ['--check']);
    const missing = await converge(['report', 'merge', files[0] as string, files[2] as string]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain(`shard 2/${N} missing`);
    const twice = await converge(['report', 'merge', files[0] as string, files[0] as string, files[1] as string]);
    expect(twice.code).toBe(5);
    expect(twice.stderr).toMatch(/are both shard 1\/3/);
    mkdirSync(join(dir, 'bad'), { recursive: true });
    writeFileSync(join(dir, 'bad', 'x.json'), 'not json');
    const bad = await converge(['report', 'merge', join(dir, 'bad', 'x.json')]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('is not a JSON report');
    const badShard = await run(['--shard', '4/3']);
    expect(badShard.code).toBe(5);
    expect(badShard.stderr).toContain('--shard must be I/N with 1 <= I <= N (got "4/3")');
  });
});
