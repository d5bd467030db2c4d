#!/usr/bin/env node
// pnpm bench: workload W50 on fresh Debian 12 container hosts, converge and ansible-playbook
// interleaved run by run, each phase repeated, plus the ssh2 floor. See bench/README.md.
//
// usage: node bench/run.mjs [--hosts 2,4] [--runs 5] [--tools converge,ansible] [--node PATH|24] [--startup-runs 3] [--baseline DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime, machine, measure, waitIdle } from './lib/measure.mjs';
import { handEdits } from './lib/w50.mjs';
import { REPO, cliOf, makeWorkspace } from './lib/workspace.mjs';
import { startup } from './lib/startup.mjs';
import { baselineTableText, evaluateTargets, maxLoad, tableText, targetsText } from './lib/report.mjs';

const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv,
  options: {
    hosts: { type: 'string', default: '2,4' },
    runs: { type: 'string', default: '5' },
    tools: { type: 'string', default: 'converge,ansible' },
    node: { type: 'string' },
    'startup-runs': { type: 'string', default: '3' },
    baseline: { type: 'string' },
  },
});
const sizes = opts.hosts.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const runs = Number(opts.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('bench: --runs must be a whole number >= 1');
const tools = new Set(opts.tools.split(','));
const ROOT = '/srv/w50';
const CLI = cliOf();
/** Another built checkout of converge whose plain phases run beside this one's, run by run, on hosts of their own. */
const BASELINE = opts.baseline ? resolve(opts.baseline) : undefined;
if (BASELINE && !existsSync(cliOf(BASELINE))) throw new Error(`bench: --baseline ${BASELINE} has no ${cliOf(BASELINE)} (build it first)`);
const say = (s) => process.stderr.write(`bench: ${s}\n`);

/** The Node that runs converge and the floor: `--node PATH`, `--node 24` (scripts/node24.sh), else this one. */
function convergeNode() {
  if (!opts.node) return process.execPath;
  if (opts.node === '24') {
    const r = spawnSync('bash', [join(REPO, 'scripts/node24.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error('bench: scripts/node24.sh failed');
    return r.stdout.trim();
  }
  return opts.node;
}

function prepare() {
  ensureGnuTime();
  if (!existsSync(join(REPO, 'packages/cli/dist/main.bundle.js')) || !existsSync(join(REPO, 'packages/testing/dist/index.js'))) {
    say('building the workspace (pnpm run build)');
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

prepare();
const NODE = convergeNode();
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
// Connection reuse: converge's control processes keep their sockets here (private to the bench).
const controlDir = mkdtempSync(join(tmpdir(), 'converge-bench-control-'));
const controlEnv = { CONVERGE_CONTROL_DIR: controlDir };

/**
 * Waits (up to three minutes) until the 1-minute load average is below the core count, so that a
 * sample does not start on the load the previous one left (ansible-playbook's runs raise it
 * themselves); the load at each sample's start then says what else the machine was doing.
 */
async function settle() {
  const cores = cpus().length;
  for (let waited = 0; loadavg()[0] >= cores && waited < 180_000; waited += 2000) await new Promise((r) => setTimeout(r, 2000));
  return waitIdle();
}

async function converge(ws, forks, run, extra = [], cli = CLI) {
  const busyBefore = await settle();
  const r = await measure(NODE, [cli, '-i', ws.inventory, ws.playbook, '--output', 'json', '--forks', String(forks), '--known-hosts', ws.knownHostsPath, ...extra], { env: controlEnv });
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
  if (failed > 0) throw new Error(`converge: ${failed} failed/unreachable host-tasks:\n${report.tasks.filter((t) => t.status === 'failed').slice(0, 5).map((t) => `${t.host} ${t.task}: ${t.message}`).join('\n')}\n${r.stderr.slice(-2000)}`);
  const { stdout: _o, stderr: _e, ...m } = r;
  return { run, ...m, busyBefore, changed, roundTripsPerHost: Math.max(...rts) };
}

async function ansible(ws, run, extra = []) {
  const busyBefore = await settle();
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
  return { run, ...m, busyBefore, changed };
}

async function floor(lab, ws, run) {
  const spec = join(ws.dir, 'floor.json');
  writeFileSync(spec, JSON.stringify({ privateKeyPath: lab.privateKeyPath, knownHostsPath: lab.knownHostsPath, user: 'root', hosts: lab.hosts.map((h) => ({ address: h.address, port: h.port, root: ROOT })) }));
  const busyBefore = await settle();
  const r = await measure(NODE, [join(REPO, 'bench/floor.mjs'), spec]);
  if (r.code !== 0) throw new Error(`floor failed:\n${r.stderr}`);
  const { stdout: _o, stderr: _e, ...m } = r;
  return { run, ...m, busyBefore };
}

async function startLab(n, prefix, repo = REPO) {
  const { startHosts } = await import('../packages/testing/dist/index.js');
  const t0 = performance.now();
  const lab = await startHosts(n, { prefix });
  say(`${n} hosts (${prefix}) up in ${Math.round(performance.now() - t0)} ms`);
  const ws = makeWorkspace({ hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })), privateKeyPath: lab.privateKeyPath, knownHostsPath: lab.knownHostsPath, forks: n, repo });
  return { lab, ws };
}

const dir = join(REPO, 'bench/results');
mkdirSync(dir, { recursive: true });
/** Writes what was measured so far (bench/results/partial.json), so a long run that is cut short keeps its samples. */
const savePartial = (results) => writeFileSync(join(dir, 'partial.json'), `${JSON.stringify(results, null, 2)}\n`);
const onHosts = (lab, command) => Promise.all(lab.hosts.map((h) => lab.exec(h.name, command)));
const push = (obj, k, v) => (obj[k] ??= []).push(v);

const results = {
  started: new Date().toISOString(),
  argv,
  machine: machine(process.version),
  convergeNode: nodeVersion,
  ansibleVersion: tools.has('ansible') ? /core ([\d.]+)/.exec(spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout)?.[1] : undefined,
  runs,
  startup: undefined,
  sizes: [],
};
try {
  if (Number(opts['startup-runs']) > 0) {
    say('measuring CLI start-up');
    results.startup = await startup(Number(opts['startup-runs']), NODE);
    say(JSON.stringify(results.startup));
  }
  for (const n of sizes) {
    const size = { hosts: n, converge: tools.has('converge') ? {} : undefined, ansible: tools.has('ansible') ? {} : undefined, baseline: BASELINE ? {} : undefined, floor: [] };
    results.sizes.push(size);
    // Each tool converges its own hosts (same image, started together), so neither sees the other's state.
    const labs = {};
    try {
      if (size.converge) labs.converge = await startLab(n, `bc${n}h`);
      if (size.ansible) labs.ansible = await startLab(n, `ba${n}h`);
      if (size.baseline) labs.baseline = await startLab(n, `bb${n}h`, BASELINE);
      const c = labs.converge;
      const a = labs.ansible;
      const b = labs.baseline;
      const base = (k, extra = []) => b && (async () => push(size.baseline, k, await converge(b.ws, n, run, extra, cliOf(BASELINE))));
      const phase = async (run, name, steps) => {
        // Alternate which tool goes first, so that neither always runs on the machine the other left.
        for (const step of run % 2 ? [...steps].reverse() : steps) if (step) await step();
        say(`${n} hosts, run ${run}: ${name} done`);
        savePartial(results);
      };
      for (let run = 1; run <= runs; run++) {
        await Promise.all(Object.values(labs).map((l) => onHosts(l.lab, `rm -rf ${ROOT}`)));
        await phase(run, 'first apply', [c && (async () => push(size.converge, 'first', await converge(c.ws, n, run))), base('first'), a && (async () => push(size.ansible, 'first', await ansible(a.ws, run)))]);
        await phase(run, 'no-op', [c && (async () => push(size.converge, 'noop', await converge(c.ws, n, run))), base('noop'), a && (async () => push(size.ansible, 'noop', await ansible(a.ws, run)))]);
        if (c) {
          await phase(run, 'floor', [async () => size.floor.push(await floor(c.lab, c.ws, run))]);
          // The first run with --control-persist starts the control process and its connections (as
          // ansible's first run starts its ControlPersist masters); the measured run reuses them.
          await converge(c.ws, n, run, ['--control-persist', '60']);
          await phase(run, 'no-op, connections reused', [async () => push(size.converge, 'noopReuse', await converge(c.ws, n, run, ['--control-persist', '60']))]);
        }
        await Promise.all(Object.values(labs).map((l) => onHosts(l.lab, handEdits(ROOT))));
        await phase(run, 'check', [
          c && (async () => push(size.converge, 'check', await converge(c.ws, n, run, ['--check', '--diff']))),
          base('check', ['--check', '--diff']),
          a && (async () => push(size.ansible, 'check', await ansible(a.ws, run, ['--check', '--diff']))),
        ]);
        if (c) await phase(run, 'check, connections reused', [async () => push(size.converge, 'checkReuse', await converge(c.ws, n, run, ['--check', '--diff', '--control-persist', '60']))]);
        await phase(run, 'repair', [c && (async () => push(size.converge, 'repair', await converge(c.ws, n, run))), base('repair'), a && (async () => push(size.ansible, 'repair', await ansible(a.ws, run)))]);
        if (c) {
          const last = (k) => size.converge[k].at(-1).changed;
          if (last('first') !== 50 * n || last('noop') !== 0 || last('noopReuse') !== 0 || last('check') !== last('repair') || last('checkReuse') !== last('check')) {
            throw new Error(`converge changed counts are off in run ${run}: ${JSON.stringify(Object.fromEntries(Object.entries(size.converge).map(([k, v]) => [k, v.at(-1).changed])))}`);
          }
        }
      }
    } finally {
      spawnSync(NODE, [CLI, 'control', 'stop'], { env: { ...process.env, ...controlEnv }, stdio: 'ignore' });
      await Promise.all(Object.values(labs).map((l) => l.lab.stop().catch(() => undefined)));
      for (const l of Object.values(labs)) rmSync(l.ws.dir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(controlDir, { recursive: true, force: true });
}
const loads = results.sizes.flatMap((s) => [...Object.values(s.converge ?? {}), ...Object.values(s.ansible ?? {}), ...Object.values(s.baseline ?? {}), s.floor].flat().map((x) => x.load?.[0] ?? 0));
results.loadRange = [Math.min(...loads), maxLoad(results)];
results.loaded = results.loadRange[1] > results.machine.cores;
results.targets = evaluateTargets(results);
// What the command prints is also kept as Markdown (bench/results/bench-<start>.md, and
// latest.md), so that the README's table is the file of one run, pasted as it is.
let text = tableText(results);
if (BASELINE) text += `\n${baselineTableText(results, BASELINE)}`;
if (results.startup) {
  const st = results.startup;
  text += `\nCLI start-up (median of ${st.runs} warm runs, wall / CPU ms): \`node -e 0\` ${st.nodeEmptyMs} / ${st.cpu.nodeEmptyMs}, \`converge --version\` ${st.versionMs} / ${st.cpu.versionMs}, W50 playbook on an empty inventory ${st.emptyRunMs} / ${st.cpu.emptyRunMs}.\n`;
}
text += `\n${targetsText(results)}`;
process.stdout.write(`\n${text}`);
const stamp = results.started.replace(/[:.]/g, '-');
const file = join(dir, `bench-${stamp}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, `bench-${stamp}.md`), text);
writeFileSync(join(dir, 'latest.md'), text);
say(`raw samples: ${file}; the table as printed: ${join(dir, `bench-${stamp}.md`)}`);
