// Statistics, the Markdown table and the targets of `pnpm bench`, from the raw samples.
// Ratios are taken pair by pair: sample i of one tool against sample i of the other, which ran
// next to it (interleaved), so a change in the machine's load hits both sides of a ratio alike.

/** Phases of `pnpm bench`, in table order: key, label, converge extra flags. */
export const PHASES = [
  ['first', 'first apply (fresh hosts)'],
  ['noop', 'no-op re-run'],
  ['noopReuse', 'no-op, connections reused (--control-persist)'],
  ['check', '--check --diff after 5 edits/host'],
  ['checkReuse', '--check --diff, connections reused'],
  ['repair', 'repairing apply'],
];

/** The comparison of each converge phase with ansible-playbook: with connection reuse, converge is compared with ansible's same phase (it reuses its connections, ControlPersist=60s). */
const ANSIBLE_PHASE = { first: 'first', noop: 'noop', noopReuse: 'noop', check: 'check', checkReuse: 'check', repair: 'repair' };

/** `{ min, median, max, n }` of numbers (the median of an even count is the mean of the middle two). */
export function stats(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1], n: s.length };
}

/** The ratios `a[i] / b[i]` of samples taken in the same run `i`. */
export function pairwise(a = [], b = []) {
  const byRun = new Map(b.map((x) => [x.run, x]));
  return a.flatMap((x) => {
    const y = byRun.get(x.run);
    return y && y.wallMs > 0 ? [x.wallMs / y.wallMs] : [];
  });
}

const sec = (ms) => (ms / 1000).toFixed(2);
const span = (st, f = sec) => (st ? `${f(st.min)} / **${f(st.median)}** / ${f(st.max)}` : '');
const times = (st) => span(st, (x) => `${x.toFixed(1)}x`);

/**
 * The highest load average at the start of any sample (the bench waits for the load its previous
 * sample left to fall below the core count first, so this is the load of other work).
 */
export function maxLoad(results) {
  let m = 0;
  for (const size of results.sizes) {
    for (const tool of [size.converge, size.ansible, size.baseline, { floor: size.floor }]) {
      for (const list of Object.values(tool ?? {})) for (const x of list ?? []) m = Math.max(m, x.load?.[0] ?? 0);
    }
  }
  return m;
}

/** One size's rows: every phase with min / median / max, the pairwise ratios, CPU, round trips and load. */
function sizeRows(size) {
  const rows = [];
  const c = size.converge ?? {};
  const a = size.ansible ?? {};
  const load = (list) => {
    const st = stats((list ?? []).map((x) => x.load?.[0] ?? NaN));
    return st ? `${st.min.toFixed(1)}-${st.max.toFixed(1)}` : '';
  };
  const med = (list, k) => stats((list ?? []).map((x) => x[k]))?.median;
  for (const [k, label] of PHASES) {
    if (!c[k] && !(a[k] && !k.endsWith('Reuse'))) continue;
    const ak = ANSIBLE_PHASE[k];
    const ansibleHere = k === ak ? a[ak] : undefined;
    const ratio = stats(pairwise(a[ak], c[k]));
    const overFloor = k === 'noop' || k === 'check' || k === 'noopReuse' || k === 'checkReuse' ? stats(pairwise(c[k], size.floor)) : undefined;
    const cpu = [med(c[k], 'cpuMs'), med(ansibleHere, 'cpuMs')].map((x) => (x === undefined ? '' : sec(x))).join(' / ');
    rows.push(
      `| ${size.hosts} | ${label} | ${span(stats((c[k] ?? []).map((x) => x.wallMs)))} | ${span(stats((ansibleHere ?? []).map((x) => x.wallMs)))} | ${times(ratio)} | ${times(overFloor)} | ${cpu} | ${med(c[k], 'roundTripsPerHost') ?? ''} | ${load([...(c[k] ?? []), ...(ansibleHere ?? [])])} |`,
    );
  }
  if (size.floor?.length) {
    rows.push(`| ${size.hosts} | floor: ssh2 connect + 1 exec doing the probe's stat/sha256sum/base64 | ${span(stats(size.floor.map((x) => x.wallMs)))} | | | 1.0x | ${sec(med(size.floor, 'cpuMs'))} / | 1 | ${load(size.floor)} |`);
  }
  return rows;
}

/** The Markdown table of a run, with the line saying where and when it was measured. */
export function tableText(results) {
  const m = results.machine;
  const head = [
    `\`pnpm bench ${results.argv.join(' ')}\`, ${results.started.slice(0, 16).replace('T', ' ')} UTC, ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, Linux ${m.kernel}, converge on Node ${results.convergeNode}, ansible-core ${results.ansibleVersion ?? '-'}; ${results.runs} run${results.runs === 1 ? "" : "s"} per phase, interleaved; load average ${results.loadRange.map((x) => x.toFixed(1)).join('-')} at the samples' starts`,
    '',
    '| hosts | phase | converge wall s (min / **median** / max) | ansible-playbook wall s | ansible / converge, pairwise | converge / floor, pairwise | CPU s, median (converge / ansible) | round trips/host | load average at sample start |',
    '|---:|---|---|---|---|---|---|---:|---|',
  ];
  return `${[...head, ...results.sizes.flatMap(sizeRows)].join('\n')}\n`;
}

/**
 * This checkout's converge beside the baseline's (`--baseline DIR`), phase by phase: medians of
 * wall and CPU time, the ratio pair by pair, and round trips per host.
 */
export function baselineTableText(results, baseline) {
  const rows = [
    `Baseline: ${baseline}`,
    '',
    '| hosts | phase | wall s (median) | baseline wall s (median) | wall / baseline, pairwise | CPU s | baseline CPU s | round trips/host | baseline round trips/host |',
    '|---:|---|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const size of results.sizes) {
    if (!size.baseline) continue;
    for (const [k, label] of PHASES) {
      const c = size.converge?.[k];
      const b = size.baseline[k];
      if (!c || !b) continue;
      const med = (list, f) => stats(list.map((x) => x[f]))?.median;
      rows.push(`| ${size.hosts} | ${label} | ${sec(med(c, 'wallMs'))} | ${sec(med(b, 'wallMs'))} | ${times(stats(pairwise(c, b)))} | ${sec(med(c, 'cpuMs'))} | ${sec(med(b, 'cpuMs'))} | ${med(c, 'roundTripsPerHost')} | ${med(b, 'roundTripsPerHost')} |`);
    }
  }
  return `${rows.join('\n')}\n`;
}

/** Every performance target (bench/FINDINGS.md) that this run decides: `{ name, value, limit, pass }`. */
export function evaluateTargets(results) {
  const t = [];
  const add = (name, st, limit, pass) => st && t.push({ name, value: Math.round(st.median * 100) / 100, limit, pass: pass(st.median) });
  for (const size of results.sizes) {
    const c = size.converge;
    const a = size.ansible;
    if (c && size.floor) {
      add(`${size.hosts} hosts: no-op <= 1.2x the floor`, stats(pairwise(c.noop, size.floor)), '<= 1.2x', (v) => v <= 1.2);
      add(`${size.hosts} hosts: check with diffs <= 1.2x the floor`, stats(pairwise(c.check, size.floor)), '<= 1.2x', (v) => v <= 1.2);
    }
    if (c && a) {
      add(`${size.hosts} hosts: no-op with connections reused >= 50x ansible-playbook`, stats(pairwise(a.noop, c.noopReuse)), '>= 50x', (v) => v >= 50);
      add(`${size.hosts} hosts: no-op >= 50x ansible-playbook`, stats(pairwise(a.noop, c.noop)), '>= 50x', (v) => v >= 50);
      add(`${size.hosts} hosts: first apply >= 15x ansible-playbook`, stats(pairwise(a.first, c.first)), '>= 15x', (v) => v >= 15);
      add(`${size.hosts} hosts: repair >= 20x ansible-playbook`, stats(pairwise(a.repair, c.repair)), '>= 20x', (v) => v >= 20);
    }
    if (c?.noop) add(`${size.hosts} hosts: no-op costs 1 round trip per host`, stats(c.noop.map((x) => x.roundTripsPerHost)), '<= 1', (v) => v <= 1);
  }
  return t;
}

/** The targets as PASS/FAIL lines, or why no headline is printed. */
export function targetsText(results) {
  if (results.loaded) {
    return `NO HEADLINE: the load average was ${results.loadRange[1].toFixed(1)} on ${results.machine.cores} cores at the start of a sample (after waiting up to three minutes for it to fall); the times above measure the machine's other work as much as the tools. Run again on a quiet machine (load average below ${results.machine.cores}).\n`;
  }
  return `${results.targets.map((x) => `${x.pass ? 'PASS' : 'FAIL'}  ${x.name}: ${x.value} (target ${x.limit}${x.limit.endsWith('x') ? ', median of pairwise ratios' : ', median'})`).join('\n')}\n`;
}
