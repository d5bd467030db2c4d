#!/usr/bin/env node
// pnpm bench:system: workload W50-system (sysctl, authorizedKey, cron, pamLimits, logrotate,
// mount) on fresh Debian 12 container hosts, converge only: first apply, no-op, --check --diff
// after six hand edits per host, repair. Shows that a no-op of the system and mount modules is
// one round trip per host, and prints the round trips of every host in every phase. See
// bench/README.md.
//
// usage: node bench/system.mjs [--hosts 4]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime, measure } from './lib/measure.mjs';
import { CLI, REPO, makeWorkspace } from './lib/workspace.mjs';
import { PREPARE, SYSTEM_PLAYBOOK, systemEdits } from './lib/w50-system.mjs';

const { values: opts } = parseArgs({ options: { hosts: { type: 'string', default: '4' } } });
const sizes = opts.hosts.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const say = (s) => process.stderr.write(`bench:system: ${s}\n`);

ensureGnuTime();
if (!existsSync(join(REPO, 'packages/cli/dist/main.js')) || !existsSync(join(REPO, 'packages/testing/dist/index.js'))) {
  const r = spawnSync('pnpm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench:system: pnpm run build failed');
}
if (!process.env.CONVERGE_TEST_IMAGE) {
  const r = spawnSync('bash', [join(REPO, 'scripts/build-image.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('bench:system: scripts/build-image.sh failed');
  process.env.CONVERGE_TEST_IMAGE = r.stdout.trim().split('\n').at(-1);
}

async function converge(ws, forks, extra = []) {
  const r = await measure(process.execPath, [CLI, '-i', ws.inventory, ws.playbook, '--output', 'json', '--forks', String(forks), '--known-hosts', ws.knownHostsPath, ...extra]);
  const report = JSON.parse(r.stdout);
  const hosts = Object.keys(report.summary);
  const failed = report.tasks.filter((t) => t.status === 'failed');
  if (failed.length > 0) throw new Error(`converge failed:\n${failed.slice(0, 5).map((t) => `${t.host} ${t.task}: ${t.message}`).join('\n')}`);
  const rts = hosts.map((h) => report.stats[h]?.roundTrips ?? NaN);
  const changed = hosts.reduce((n, h) => n + report.summary[h].changed, 0);
  const mountsOk = report.tasks.filter((t) => t.module === 'mount' && t.status === 'ok').map((t) => `${t.host}\t${t.message ?? ''}`);
  return { wallMs: r.wallMs, cpuMs: r.cpuMs, maxRssMb: r.maxRssMb, changed, roundTripsPerHost: Math.max(...rts), roundTrips: Object.fromEntries(hosts.map((h, i) => [h, rts[i]])), mountsOk };
}

const { startHosts } = await import('../packages/testing/dist/index.js');
const results = { started: new Date().toISOString(), workload: 'W50-system', runs: [] };
for (const n of sizes) {
  const lab = await startHosts(n, { prefix: `bs${n}h` });
  try {
    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, PREPARE)));
    const ws = makeWorkspace({ hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })), privateKeyPath: lab.privateKeyPath, knownHostsPath: lab.knownHostsPath, forks: n, prefix: 'converge-bench-system-' });
    writeFileSync(ws.playbook, SYSTEM_PLAYBOOK);
    const run = { hosts: n };
    results.runs.push(run);
    say(`${n} hosts: first apply`);
    run.first = await converge(ws, n);
    say(`${n} hosts: no-op`);
    run.noop = await converge(ws, n);
    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, systemEdits())));
    say(`${n} hosts: --check --diff`);
    run.check = await converge(ws, n, ['--check', '--diff']);
    say(`${n} hosts: repair`);
    run.repair = await converge(ws, n);
    const oneEach = (m) => Object.values(m.roundTrips).length === n && Object.values(m.roundTrips).every((x) => x === 1);
    // The no-op reads every mount point through the mount.point fact of the one probe and finds it as wanted.
    const mountsRead = run.noop.mountsOk.length === 10 * n && run.noop.mountsOk.every((l) => / is in \/etc\/fstab and mounted as wanted$/.test(l));
    if (run.first.changed !== 60 * n || run.noop.changed !== 0 || !oneEach(run.noop) || !mountsRead || !oneEach(run.check) || run.check.changed !== 6 * n || run.repair.changed !== 6 * n) {
      throw new Error(`bench:system: unexpected counts: ${JSON.stringify(run)}`);
    }
  } finally {
    await lab.stop().catch(() => undefined);
  }
}
const s = (ms) => (ms / 1000).toFixed(2);
const rows = ['| hosts | phase | wall s | round trips/host (max) | round trips of each host | changed | CPU s | peak RSS MB |', '|---:|---|---:|---:|---|---:|---:|---:|'];
for (const r of results.runs) {
  for (const [k, label] of [['first', 'first apply'], ['noop', 'no-op re-run'], ['check', '--check --diff after 6 edits/host'], ['repair', 'repairing apply']]) {
    const m = r[k];
    const each = Object.entries(m.roundTrips).map(([h, x]) => `${h}: ${x}`).join(', ');
    rows.push(`| ${r.hosts} | ${label} | ${s(m.wallMs)} | ${m.roundTripsPerHost} | ${each} | ${m.changed} | ${s(m.cpuMs)} | ${Math.round(m.maxRssMb)} |`);
  }
}
process.stdout.write(`\n${rows.join('\n')}\n`);
const dir = join(REPO, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'system-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
