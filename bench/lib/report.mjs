// The benchmark's table (Markdown, so the README can carry it as printed) and its targets.

const PHASES = [
  ['first', 'first apply'],
  ['noop', 'no-op re-run'],
  ['check', '--check --diff after 5 edits/host'],
  ['repair', 'repairing apply'],
];
const s = (ms) => (ms === undefined || Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(2));
const mb = (x) => (x === undefined ? '–' : String(Math.round(x)));
const ratio = (a, c) => (a && c ? a.wallMs / c.wallMs : undefined);

/** Markdown table of every run. */
export function tableText(results) {
  const rows = [
    '| hosts | phase | converge wall s | ansible wall s | ansible/converge | converge round trips/host | converge CPU s | ansible CPU s | converge peak RSS MB | ansible peak RSS MB |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.runs) {
    for (const [k, label] of PHASES) {
      const c = r.converge?.[k];
      const a = r.ansible?.[k];
      const q = ratio(a, c);
      rows.push(`| ${r.hosts} | ${label} | ${s(c?.wallMs)} | ${s(a?.wallMs)} | ${q === undefined ? '–' : `${q.toFixed(1)}x`} | ${c ? c.roundTripsPerHost : '–'} | ${s(c?.cpuMs)} | ${s(a?.cpuMs)} | ${mb(c?.maxRssMb)} | ${mb(a?.maxRssMb)} |`);
    }
    if (r.floor) rows.push(`| ${r.hosts} | floor: ssh2, 50 probes in 1 command/host | ${s(r.floor.wallMs)} | | | 1 | ${s(r.floor.cpuMs)} | | ${mb(r.floor.maxRssMb)} | |`);
  }
  const st = results.startup;
  const extra = st
    ? `\nCLI start-up (median, warm): \`node -e 0\` ${st.nodeEmptyMs} ms, \`converge --version\` ${st.versionMs} ms, W50 playbook on an empty inventory ${st.emptyRunMs} ms (loading the playbook adds ${st.playbookLoadMs} ms), to first host contact ${st.firstContactMs} ms; CPU: ${st.cpu.versionMs}, ${st.cpu.emptyRunMs} (load adds ${st.cpu.playbookLoadMs}), ${st.cpu.firstContactMs} ms.\n`
    : '';
  return `${rows.join('\n')}\n${extra}`;
}

export function printTable(results) {
  process.stdout.write(`\n${tableText(results)}\n`);
}

/**
 * Markdown table of this checkout's converge beside the baseline's (`--baseline DIR`), phase by
 * phase: wall and CPU time, and round trips per host (the most of any host, and the mean).
 */
export function baselineTableText(results, baseline) {
  const rows = [
    `Baseline: ${baseline}`,
    '',
    '| hosts | phase | wall s | baseline wall s | wall / baseline | CPU s | baseline CPU s | round trips/host (max, mean) | baseline round trips/host (max, mean) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.runs) {
    if (!r.baseline) continue;
    for (const [k, label] of PHASES) {
      const c = r.converge?.[k];
      const b = r.baseline[k];
      const q = c && b ? c.wallMs / b.wallMs : undefined;
      const rt = (x) => (x ? `${x.roundTripsPerHost}, ${x.roundTripsMean.toFixed(2)}` : '–');
      rows.push(`| ${r.hosts} | ${label} | ${s(c?.wallMs)} | ${s(b?.wallMs)} | ${q === undefined ? '–' : q.toFixed(2)} | ${s(c?.cpuMs)} | ${s(b?.cpuMs)} | ${rt(c)} | ${rt(b)} |`);
    }
  }
  return `${rows.join('\n')}\n`;
}

export function printBaselineTable(results, baseline) {
  process.stdout.write(`\n${baselineTableText(results, baseline)}\n`);
}

/** Every target of the issue that this run can decide: `{ name, value, limit, pass }`. */
export function evaluateTargets(results) {
  const t = [];
  const add = (name, value, limit, pass, unit = '') => t.push({ name, value: Math.round(value * 100) / 100, limit, unit, pass });
  for (const r of results.runs) {
    const c = r.converge;
    const a = r.ansible;
    if (c && a) {
      add(`${r.hosts} hosts: no-op >= 50x faster than ansible`, ratio(a.noop, c.noop), '>= 50', ratio(a.noop, c.noop) >= 50, 'x');
      add(`${r.hosts} hosts: first apply >= 15x faster`, ratio(a.first, c.first), '>= 15', ratio(a.first, c.first) >= 15, 'x');
      add(`${r.hosts} hosts: check with diffs >= 50x faster`, ratio(a.check, c.check), '>= 50', ratio(a.check, c.check) >= 50, 'x');
      add(`${r.hosts} hosts: repair >= 20x faster`, ratio(a.repair, c.repair), '>= 20', ratio(a.repair, c.repair) >= 20, 'x');
    }
    if (c && r.floor) add(`${r.hosts} hosts: no-op <= 2x the floor`, c.noop.wallMs / r.floor.wallMs, '<= 2', c.noop.wallMs / r.floor.wallMs <= 2, 'x');
    if (c) add(`${r.hosts} hosts: no-op costs 1 round trip per host`, c.noop.roundTripsPerHost, '<= 1', c.noop.roundTripsPerHost <= 1);
  }
  const withC = results.runs.filter((r) => r.converge);
  if (withC.length >= 2) {
    const lo = withC[0];
    const hi = withC[withC.length - 1];
    const g = hi.converge.noop.wallMs / lo.converge.noop.wallMs;
    add(`no-op wall grows <= 2x from ${lo.hosts} to ${hi.hosts} hosts`, g, '<= 2', g <= 2, 'x');
  }
  if (results.startup) {
    add('converge --version starts in <= 250 ms', results.startup.versionMs, '<= 250', results.startup.versionMs <= 250, ' ms');
    add('loading a playbook adds <= 150 ms (warm)', results.startup.playbookLoadMs, '<= 150', results.startup.playbookLoadMs <= 150, ' ms');
  }
  return t;
}

export function targetsText(targets) {
  return targets.map((x) => `${x.pass ? 'PASS' : 'FAIL'}  ${x.name}: ${x.value}${x.unit} (target ${x.limit})`).join('\n');
}

export function printTargets(targets) {
  process.stdout.write(`${targetsText(targets)}\n`);
}
