#!/usr/bin/env node
// pnpm bench: workload W50 on fresh Debian 12 container hosts, converge vs ansible-playbook,
// phase by phase, plus the ssh2 floor and the CLI start-up times. See bench/README.md.
//
// usage: node bench/run.mjs [--hosts 4,20] [--tools converge,ansible] [--startup-runs 5] [--baseline DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime, measure } from './lib/measure.mjs';
import { handEdits } from './lib/w50.mjs';
import { REPO, cliOf, makeWorkspace } from './lib/workspace.mjs';
import { startup } from './lib/startup.mjs';
import { evaluateTargets, printBaselineTable, printTable, printTargets } from './lib/report.mjs';

const { values: opts } = parseArgs({
  options: {
    hosts: { type: 'string', default: '4,20' },
    tools: { type: 'string', default: 'converge,ansible' },
    'startup-runs': { type: 'string', default: '5' },
    baseline: { type: 'string' },
  },
});
const sizes = opts.hosts.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const tools = new Set(opts.tools.split(','));
const ROOT = '/srv/w50';
/** Another built checkout of converge whose phases run beside this one's, phase by phase, on hosts of their own. */
const BASELINE = opts.baseline ? resolve(opts.baseline) : undefined;
if (BASELINE && !existsSync(cliOf(BASELINE))) throw new Error(`bench: --baseline ${BASELINE} has no ${cliOf(BASELINE)} (build it first)`);

function prepare() {
  ensureGnuTime();
  if (!existsSync(join(REPO, 'packages/cli/dist/main.js')) || !existsSync(join(REPO, 'packages/testing/dist/index.js'))) {
    process.stderr.write('bench: building the workspace (pnpm run build)\n');
    const r = spawnSync('pnpm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('bench: pnpm run build failed');
  }
  if (tools.has('ansible') && spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('bench: ansible-playbook not found (apt-get install ansible-core)');
  }
  if (!process.env.CONVERGE_TEST_IMAGE) {
    const r = spawnSync('bash', [join(REPO, 'scripts/build-image.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error('bench: scripts/build-image.sh failed');
    process.env.CONVERGE_TEST_IMAGE = r.stdout.trim().split('\n').at(-1);
  }
}

async function converge(ws, forks, extra = [], cli = cliOf()) {
  const r = await measure(process.execPath, [cli, '-i', ws.inventory, ws.playbook, '--output', 'json', '--forks', String(forks), '--known-hosts', ws.knownHostsPath, ...extra]);
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`converge printed no JSON report (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  }
  const hosts = Object.keys(report.summary);
  const rts = hosts.map((h) => report.stats[h]?.roundTrips ?? NaN);
  const changed = hosts.reduce((n, h) => n + report.summary[h].changed, 0);
  const failed = hosts.reduce((n, h) => n + report.summary[h].failed + report.summary[h].unreachable, 0);
  if (failed > 0) throw new Error(`converge: ${failed} failed/unreachable host-tasks:\n${report.tasks.filter((t) => t.status === 'failed').slice(0, 5).map((t) => `${t.host} ${t.task}: ${t.message}`).join('\n')}`);
  const { stdout: _o, stderr: _e, ...m } = r;
  return { ...m, changed, roundTripsPerHost: Math.max(...rts), roundTripsMean: rts.reduce((a, b) => a + b, 0) / rts.length };
}

async function ansible(ws, extra = []) {
  const r = await measure('ansible-playbook', [ws.ansiblePlaybook, ...extra], {
    cwd: ws.dir,
    env: { ANSIBLE_CONFIG: ws.ansibleCfg, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1' },
  });
  let changed = 0;
  let failed = 0;
  for (const m of r.stdout.matchAll(/changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    changed += Number(m[1]);
    failed += Number(m[2]) + Number(m[3]);
  }
  if (r.code !== 0 || failed > 0) throw new Error(`ansible-playbook exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  const { stdout: _o, stderr: _e, ...m } = r;
  return { ...m, changed };
}

async function floor(lab, ws) {
  const spec = join(ws.dir, 'floor.json');
  writeFileSync(spec, JSON.stringify({ privateKeyPath: lab.privateKeyPath, knownHostsPath: lab.knownHostsPath, user: 'root', hosts: lab.hosts.map((h) => ({ address: h.address, port: h.port, root: ROOT })) }));
  const r = await measure(process.execPath, [join(REPO, 'bench/floor.mjs'), spec]);
  if (r.code !== 0) throw new Error(`floor failed:\n${r.stderr}`);
  const { stdout: _o, stderr: _e, ...m } = r;
  return m;
}

function checkCounts(label, n, out) {
  if (out.first.changed !== 50 * n || out.noop.changed !== 0 || out.check.changed !== out.repair.changed) {
    throw new Error(`${label} changed counts are off: ${JSON.stringify({ first: out.first.changed, noop: out.noop.changed, check: out.check.changed, repair: out.repair.changed })}`);
  }
}

/**
 * This checkout's converge and the baseline's, each on its own fresh hosts, phase by phase in
 * turn (which goes first alternates from phase to phase), so that a change in the machine's load
 * hits both alike.
 */
async function convergeBeside(run, n, mine, base) {
  const out = {};
  const baseOut = {};
  run.converge = out;
  run.baseline = baseOut;
  const baseWs = base.ws;
  let turn = 0;
  const both = async (phase, extra = []) => {
    const runs = [
      async () => {
        say(`converge, ${n} hosts: ${phase}`);
        out[phase] = await converge(mine.ws, n, extra);
      },
      async () => {
        say(`baseline converge, ${n} hosts: ${phase}`);
        baseOut[phase] = await converge(baseWs, n, extra, cliOf(BASELINE));
      },
    ];
    if (turn++ % 2 === 1) runs.reverse();
    for (const r of runs) await r();
    savePartial(results);
  };
  await both('first');
  await both('noop');
  say(`floor, ${n} hosts`);
  run.floor = await floor(mine.lab, mine.ws);
  await Promise.all([edit(mine.lab), edit(base.lab)]);
  await both('check', ['--check', '--diff']);
  await both('repair');
  checkCounts('converge', n, out);
  checkCounts('baseline converge', n, baseOut);
}

async function withHosts(n, prefix, fn, repo = REPO) {
  const { startHosts } = await import('../packages/testing/dist/index.js');
  const t0 = performance.now();
  const lab = await startHosts(n, { prefix });
  process.stderr.write(`bench: ${n} hosts up in ${Math.round(performance.now() - t0)} ms\n`);
  try {
    const ws = makeWorkspace({ hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })), privateKeyPath: lab.privateKeyPath, knownHostsPath: lab.knownHostsPath, forks: n, repo });
    return await fn(lab, ws);
  } finally {
    await lab.stop().catch(() => undefined);
  }
}

/** Writes what was measured so far (bench/results/partial.json), so a long run that is cut short keeps its numbers. */
function savePartial(results) {
  const dir = join(REPO, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'partial.json'), `${JSON.stringify(results, null, 2)}\n`);
}

const edit = (lab) => Promise.all(lab.hosts.map((h) => lab.exec(h.name, handEdits(ROOT))));
const say = (s) => process.stderr.write(`bench: ${s}\n`);

prepare();
const results = { started: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version, load: (await import('node:os')).loadavg() }, startup: undefined, runs: [] };
if (Number(opts['startup-runs']) > 0) {
  say('measuring CLI start-up');
  results.startup = await startup(Number(opts['startup-runs']));
  say(JSON.stringify(results.startup));
}
for (const n of sizes) {
  const run = { hosts: n, converge: undefined, baseline: undefined, ansible: undefined, floor: undefined };
  results.runs.push(run);
  if (tools.has('converge') && BASELINE) {
    await withHosts(n, `bc${n}h`, (lab, ws) => withHosts(n, `bb${n}h`, (baseLab, baseWs) => convergeBeside(run, n, { lab, ws }, { lab: baseLab, ws: baseWs }), BASELINE));
  } else if (tools.has('converge')) {
    run.converge = await withHosts(n, `bc${n}h`, async (lab, ws) => {
      const out = {};
      say(`converge, ${n} hosts: first apply`);
      run.converge = out;
      out.first = await converge(ws, n);
      savePartial(results);
      say(`converge, ${n} hosts: no-op`);
      out.noop = await converge(ws, n);
      savePartial(results);
      say(`floor, ${n} hosts`);
      run.floor = await floor(lab, ws);
      await edit(lab);
      say(`converge, ${n} hosts: --check --diff`);
      out.check = await converge(ws, n, ['--check', '--diff']);
      say(`converge, ${n} hosts: repair`);
      out.repair = await converge(ws, n);
      checkCounts('converge', n, out);
      return out;
    });
  }
  if (tools.has('ansible')) {
    run.ansible = await withHosts(n, `ba${n}h`, async (lab, ws) => {
      const out = {};
      say(`ansible-playbook, ${n} hosts: first apply`);
      run.ansible = out;
      out.first = await ansible(ws);
      savePartial(results);
      say(`ansible-playbook, ${n} hosts: no-op`);
      out.noop = await ansible(ws);
      savePartial(results);
      await edit(lab);
      say(`ansible-playbook, ${n} hosts: --check --diff`);
      out.check = await ansible(ws, ['--check', '--diff']);
      savePartial(results);
      say(`ansible-playbook, ${n} hosts: repair`);
      out.repair = await ansible(ws);
      return out;
    });
  }
}
results.targets = evaluateTargets(results);
printTable(results);
if (BASELINE) printBaselineTable(results, BASELINE);
printTargets(results.targets);
const dir = join(REPO, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${results.started.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
say(`results: ${file}`);
