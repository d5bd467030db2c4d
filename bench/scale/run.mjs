#!/usr/bin/env node
// pnpm bench:scale: 100, 1,000 and 5,000 inventory hosts simulated by light SSH servers on
// loopback (packages/ssh/test/simulated-sshd.mjs: ssh2's server, no process per login; one server
// process per 1,500 hosts, each within its descriptor limit; every host is 127.0.0.1 on its
// server's port), each converging W50 into its own directory.
// Measures the first apply and the no-op run as whole processes: the controller's CPU and peak
// memory apart from the simulated targets' CPU, and the wall time of one shard of --shards N
// (what each of N controllers would take). See bench/README.md.
//
// usage: node bench/scale/run.mjs [--hosts 100,1000,5000] [--forks 100] [--shards 10|10,10,50] [--no-first] [--profile] [--copy-state]
// --shards takes one N for every size, or one per size in the order of --hosts.
// --copy-state measures the no-op alone: the first host is converged for real and its state copied
// to the other hosts (much faster than a first apply of 1,000 hosts on a loaded machine).
// --profile writes a V8 CPU profile of each no-op run to bench/results/ (summarise it with
// node bench/lib/profile-summary.mjs FILE).
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime, measure } from '../lib/measure.mjs';
import { CLI, REPO, makeWorkspace } from '../lib/workspace.mjs';

const { values: opts } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100,1000,5000' },
    forks: { type: 'string', default: '100' },
    shards: { type: 'string', default: '10' },
    'no-first': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'copy-state': { type: 'boolean', default: false },
  },
});
const sizes = opts.hosts.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const TASKS = 50;
const say = (s) => process.stderr.write(`bench:scale: ${s}\n`);

const shardList = opts.shards.split(',').map(Number);
if (shardList.some((s) => !Number.isInteger(s) || s < 1) || (shardList.length !== 1 && shardList.length !== sizes.length)) {
  throw new Error(`--shards ${opts.shards}: one positive whole number, or one per size of --hosts (${sizes.length})`);
}
const shardsFor = (i) => shardList[shardList.length === 1 ? 0 : i];
ensureGnuTime();

// The test helper is TypeScript: load it with the workspace's jiti.
const { createJiti } = createRequire(join(REPO, 'packages/cli/package.json'))('jiti');
const { startSimulatedHosts } = await createJiti(import.meta.url).import(join(REPO, 'packages/ssh/test/simulated-hosts.ts'));

const base = mkdtempSync(join(tmpdir(), 'converge-scale-'));
// One set of servers for every size: its hosts' directories are made per size below.
const sim = await startSimulatedHosts(Math.max(...sizes));
const results = { started: new Date().toISOString(), forks: Number(opts.forks), shards: shardList, servers: sim.ports.length, load: (await import('node:os')).loadavg(), runs: [] };
try {
  for (const [sizeIndex, n] of sizes.entries()) {
    const shards = shardsFor(sizeIndex);
    const hostsDir = join(base, `n${n}`);
    mkdirSync(hostsDir);
    const hosts = sim.hosts.slice(0, n).map((h) => ({ name: h.name, address: '127.0.0.1', port: h.port, root: join(hostsDir, h.name) }));
    const ws = makeWorkspace({ hosts, privateKeyPath: sim.clientKeyFile, knownHostsPath: sim.knownHostsFile, forks: n, prefix: 'converge-scale-ws-', allVars: { ansible_timeout: 120 } });
    const run = async (label, profile = false, w = ws, extra = []) => {
      say(`${n} hosts: ${label}`);
      const prof = profile ? ['--cpu-prof', '--cpu-prof-dir', join(REPO, 'bench/results'), '--cpu-prof-name', `scale-noop-${n}-${Date.now()}.cpuprofile`] : [];
      const targets0 = sim.cpuMs();
      const r = await measure(process.execPath, [...prof, CLI, '-i', w.inventory, w.playbook, '--output', 'json', '--forks', opts.forks, '--known-hosts', w.knownHostsPath, ...extra]);
      // The servers wait for their hosts' shells once converge has closed the connections.
      await sim.settled();
      const targetsCpuMs = sim.cpuMs() - targets0;
      let report;
      try {
        report = JSON.parse(r.stdout);
      } catch {
        throw new Error(`converge printed no JSON report (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
      }
      const rows = Object.values(report.summary);
      const bad = rows.filter((s) => s.failed > 0 || s.unreachable > 0).length;
      const changed = rows.reduce((a, s) => a + s.changed, 0);
      const rts = Object.values(report.stats).map((s) => s.roundTrips);
      const { stdout: _o, stderr: _e, ...m } = r;
      const out = { ...m, changed, failedHosts: bad, hostCount: rows.length, roundTripsPerHost: Math.max(...rts), cpuMsPerHostTask: m.cpuMs / (rows.length * TASKS), targetsCpuMs };
      say(`${n} hosts: ${label}: ${JSON.stringify(out)}`);
      if (bad > 0 && process.env.BENCH_DEBUG) process.stderr.write(r.stderr);
      if (bad > 0) say(`${n} hosts: ${label}: ${bad} hosts failed or were unreachable:\n${report.tasks.filter((t) => t.status === 'failed').slice(0, 3).map((t) => `${t.host} ${t.task}: ${t.message}`).join('\n')}\n${r.stderr.slice(-2000)}`);
      return out;
    };
    const entry = { hosts: n, shards };
    if (opts['copy-state']) {
      // The no-op alone: converge the first host for real, then copy its tree to every other host
      // (app.conf names its host), instead of a first apply of every host.
      const one = makeWorkspace({ hosts: [hosts[0]], privateKeyPath: sim.clientKeyFile, knownHostsPath: sim.knownHostsFile, forks: 1, prefix: 'converge-scale-ws-', allVars: { ansible_timeout: 120 } });
      await run('first apply of the first host only (its state is copied to the others)', false, one);
      rmSync(one.dir, { recursive: true, force: true });
      for (const h of hosts.slice(1)) {
        cpSync(hosts[0].root, h.root, { recursive: true, preserveTimestamps: true });
        for (let i = 0; i < 10; i++) {
          const conf = join(h.root, `app${i}`, 'app.conf');
          writeFileSync(conf, readFileSync(conf, 'utf8').replace(`host=${hosts[0].name}\n`, `host=${h.name}\n`));
        }
      }
      entry.noop = await run('no-op', opts.profile);
      if (entry.noop.failedHosts > 0 || entry.noop.changed > 0) throw new Error(`${n} hosts: the no-op run after copying the state changed or failed something`);
      if (shards > 1) entry.shard = await run(`no-op of shard 1/${shards}`, false, ws, ['--shard', `1/${shards}`]);
      results.runs.push(entry);
      rmSync(ws.dir, { recursive: true, force: true });
      rmSync(hostsDir, { recursive: true, force: true });
      continue;
    }
    const first = await run(opts['no-first'] ? 'first apply (not reported)' : 'first apply');
    if (!opts['no-first']) entry.first = first;
    // On an overloaded machine some SSH handshakes time out: converge those hosts before the no-op
    // (the table reports the failed hosts of the first apply).
    if (first.failedHosts > 0 && (await run('apply again for the failed hosts')).failedHosts > 0) throw new Error(`${n} hosts: hosts still failing after a second apply`);
    entry.noop = await run('no-op', opts.profile);
    if (entry.noop.failedHosts > 0) throw new Error(`${n} hosts: the no-op run had failed or unreachable hosts`);
    if (shards > 1) entry.shard = await run(`no-op of shard 1/${shards}`, false, ws, ['--shard', `1/${shards}`]);
    results.runs.push(entry);
    rmSync(ws.dir, { recursive: true, force: true });
    rmSync(hostsDir, { recursive: true, force: true });
  }
} finally {
  await sim.stop();
  rmSync(base, { recursive: true, force: true });
}

const rows = [
  `| hosts | phase | wall s | controller CPU s | controller CPU ms per host-task | controller peak RSS MB | round trips/host | failed hosts | simulated targets' CPU s | wall s of shard 1/N (N controllers) |`,
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of results.runs) {
  for (const k of ['first', 'noop']) {
    const x = r[k];
    if (!x) continue;
    const shard = k === 'noop' && r.shard ? `${(r.shard.wallMs / 1000).toFixed(2)} (shard 1/${r.shards}, ${r.shard.hostCount} hosts)` : '';
    rows.push(`| ${r.hosts} | ${k === 'first' ? 'first apply' : 'no-op'} | ${(x.wallMs / 1000).toFixed(2)} | ${(x.cpuMs / 1000).toFixed(2)} | ${x.cpuMsPerHostTask.toFixed(3)} | ${Math.round(x.maxRssMb)} | ${x.roundTripsPerHost} | ${x.failedHosts} | ${(x.targetsCpuMs / 1000).toFixed(1)} | ${shard} |`);
  }
}
process.stdout.write(`\n${rows.join('\n')}\n\n`);

const targets = [];
const add = (name, value, limit, pass) => targets.push({ name, value: Math.round(value * 1000) / 1000, limit, pass });
const big = results.runs.find((r) => r.hosts === 1000) ?? results.runs.at(-1);
if (big) {
  add(`no-op of ${big.hosts} hosts x 50 tasks in <= 60 s`, big.noop.wallMs / 1000, '<= 60 s', big.noop.wallMs <= 60_000);
  add(`no-op controller CPU <= 1 ms per host-task (${big.hosts} hosts)`, big.noop.cpuMsPerHostTask, '<= 1 ms', big.noop.cpuMsPerHostTask <= 1);
  add(`peak RSS <= 1 GB (${big.hosts} hosts, every phase)`, Math.max(big.noop.maxRssMb, big.first?.maxRssMb ?? 0), '<= 1024 MB', Math.max(big.noop.maxRssMb, big.first?.maxRssMb ?? 0) <= 1024);
}
// Linear: CPU per host-task must not grow with hosts (1.5x slack for a shared machine's noise).
for (let i = 1; i < results.runs.length; i++) {
  const a = results.runs[i - 1];
  const b = results.runs[i];
  if (a.hosts < 100) continue; // fewer hosts are dominated by the fixed start-up cost
  const g = b.noop.cpuMsPerHostTask / a.noop.cpuMsPerHostTask;
  add(`no-op CPU per host-task ${a.hosts} -> ${b.hosts} hosts grows <= 1.5x (linear)`, g, '<= 1.5x', g <= 1.5);
}
results.targets = targets;
results.loadEnd = (await import('node:os')).loadavg();
const cores = (await import('node:os')).cpus().length;
process.stdout.write(`load average: ${results.load[0].toFixed(1)} at the start, ${results.loadEnd[0].toFixed(1)} at the end (${cores} cores)\n`);
if (Math.max(results.load[0], results.loadEnd[0]) > cores) {
  process.stdout.write(`the load average exceeded the ${cores} cores: the wall times measure the machine's other work too; CPU per host-task and memory are less affected\n`);
}
process.stdout.write(`${targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value} (target ${t.limit})`).join('\n')}\n`);
const dir = join(REPO, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `scale-${results.started.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'scale-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
say(`results: ${file}`);
