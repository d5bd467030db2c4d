#!/usr/bin/env node
// pnpm bench:templates: rendering speed of the 62-template corpus (test/fixtures/templates/), this
// checkout against another built one (--baseline DIR, e.g. a worktree of main), interleaved.
// See bench/README.md. usage: node bench/templates.mjs [--baseline DIR] [--runs 9] [--passes 20]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './lib/workspace.mjs';

const { values: opts } = parseArgs({ options: { baseline: { type: 'string' }, runs: { type: 'string', default: '9' }, passes: { type: 'string', default: '20' } } });
const FIXTURES = join(REPO, 'test/fixtures/templates');
const SCRIPT = join(REPO, 'bench/lib/render-templates.mjs');
const checkouts = [{ label: 'this checkout', dir: REPO }, ...(opts.baseline ? [{ label: `baseline (${opts.baseline})`, dir: resolve(opts.baseline) }] : [])];
const runs = Number(opts.runs);
const samples = new Map(checkouts.map((c) => [c.label, { cold: [], warm: [], cpu: [] }]));
const loads = [];

for (let i = 0; i < runs; i++) {
  // Alternate which checkout goes first, so that a change in the machine's load hits both alike.
  const order = i % 2 === 0 ? checkouts : [...checkouts].reverse();
  for (const c of order) {
    loads.push(loadavg()[0]);
    const out = JSON.parse(execFileSync(process.execPath, [SCRIPT, c.dir, FIXTURES, opts.passes], { encoding: 'utf8' }));
    const s = samples.get(c.label);
    s.cold.push(out.coldMs);
    s.warm.push(out.warmMs.reduce((a, b) => a + b, 0) / out.warmMs.length);
    s.cpu.push(out.cpuMs);
    s.templates = out.templates;
  }
}

const stats = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v.at(-1) };
};
const fmt = (n) => n.toFixed(1);
const rows = [];
for (const c of checkouts) {
  const s = samples.get(c.label);
  for (const [phase, key] of [['first pass (parse + compile + render)', 'cold'], [`warm pass (mean of ${opts.passes}, compiled code cached)`, 'warm'], ['CPU of all passes', 'cpu']]) {
    const st = stats(s[key]);
    rows.push(`| ${c.label} | ${phase} | ${fmt(st.min)} | ${fmt(st.median)} | ${fmt(st.max)} |`);
  }
}
const load = stats(loads);
const table = [
  `Rendering ${samples.get(checkouts[0].label).templates} templates (test/fixtures/templates/), ${runs} interleaved runs per checkout, one process each;`,
  `load average (1 min) during the runs: min ${load.min.toFixed(1)}, median ${load.median.toFixed(1)}, max ${load.max.toFixed(1)}, on a ${execFileSync('nproc', { encoding: 'utf8' }).trim()}-core machine.`,
  '',
  '| checkout | phase | min ms | median ms | max ms |',
  '|---|---|---:|---:|---:|',
  ...rows,
  '',
].join('\n');
process.stdout.write(table);
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
writeFileSync(join(REPO, 'bench/results/templates-latest.json'), JSON.stringify({ runs, passes: Number(opts.passes), loads, samples: Object.fromEntries(samples) }, null, 1));
