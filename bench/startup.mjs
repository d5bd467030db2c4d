#!/usr/bin/env node
// pnpm bench:startup: the CLI start-up times of `pnpm bench` alone (no containers, no ansible).
// See bench/README.md. usage: node bench/startup.mjs [--runs 7]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime } from './lib/measure.mjs';
import { startup } from './lib/startup.mjs';
import { REPO } from './lib/workspace.mjs';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
ensureGnuTime();
if (!existsSync(join(REPO, 'packages/cli/dist/main.bundle.js'))) throw new Error('bench:startup: run `pnpm run build` first');
const load = loadavg()[0];
const r = await startup(Number(opts.runs));
const row = (name, k) => `| ${name} | ${r[k]} | ${r.cpu[k]} |`;
process.stdout.write(
  [
    `CLI start-up, median of ${r.runs} warm runs (load average ${load.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end)`,
    '',
    '| run | wall ms | CPU ms |',
    '|---|---:|---:|',
    row('`node -e 0`', 'nodeEmptyMs'),
    row('`converge --version`', 'versionMs'),
    row('W50 playbook, empty inventory', 'emptyRunMs'),
    row('W50 playbook, 1 host refusing the connection (start to first host contact)', 'firstContactMs'),
    row('loading the playbook (empty inventory - `--version`)', 'playbookLoadMs'),
    '',
    `${r.playbookLoadMs <= 150 ? 'PASS' : 'FAIL'}  loading a playbook adds <= 150 ms (warm): ${r.playbookLoadMs} ms wall, ${r.cpu.playbookLoadMs} ms CPU`,
    `${r.versionMs <= 250 ? 'PASS' : 'FAIL'}  converge --version starts in <= 250 ms: ${r.versionMs} ms wall, ${r.cpu.versionMs} ms CPU`,
    '',
  ].join('\n'),
);
