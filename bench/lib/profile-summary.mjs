#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package/file,
// and total (inclusive) time of the heaviest functions.
// usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const where = (cf) => {
  const u = cf.url || '(native)';
  const m = u.match(/node_modules\/\.pnpm\/([^/]+)\//) ?? u.match(/packages\/([^/]+)\//);
  return m ? m[1] : u.startsWith('node:') ? 'node:' + u.slice(5).split('/')[0] : u;
};
const fnKey = (cf) => `${cf.functionName || '(anonymous)'} ${(cf.url || '').replace(/^.*\/(packages|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
const selfFn = new Map();
const selfPkg = new Map();
const incl = new Map();
for (const [id, t] of self) {
  const n = byId.get(id);
  const k = fnKey(n.callFrame);
  selfFn.set(k, (selfFn.get(k) ?? 0) + t);
  const p = where(n.callFrame);
  selfPkg.set(p, (selfPkg.get(p) ?? 0) + t);
  const seen = new Set();
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const kk = fnKey(byId.get(x).callFrame);
    if (seen.has(kk)) continue;
    seen.add(kk);
    incl.set(kk, (incl.get(kk) ?? 0) + t);
  }
}
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const show = (title, m) => {
  console.log(`\n## ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(v)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`);
show('self time by package/file', selfPkg);
show('self time by function', selfFn);
show('inclusive time by function', incl);
