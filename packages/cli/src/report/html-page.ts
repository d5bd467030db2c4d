import { maskText } from '@converge/core/lean';
import type { ReportCell, RunView } from './run-view.js';

/** Options of {@link renderReportPage}. */
export interface ReportPageOptions {
  /** When the page was made (ISO 8601); shown in its header. */
  generatedAt: string;
  /** Where the runs come from, shown in the header (a file path). */
  source: string;
}

/**
 * One self-contained HTML page (inline CSS, no script, nothing loaded from elsewhere) for one or
 * more runs, each with: its audit facts (operator, git commit, playbook and inventory hashes,
 * mode), the recap per host, a host × task grid coloured by status, every change with its
 * changes and diff, and the time per host and per task. Every text is HTML-escaped and passed
 * through the secret mask once more (the sources are masked already).
 */
export function renderReportPage(runs: RunView[], options: ReportPageOptions): string {
  const title = runs.length === 1 ? `converge run ${short(runs[0]?.id ?? '')}` : `converge runs (${runs.length})`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<header><h1>${esc(title)}</h1><p>from <code>${esc(options.source)}</code>, made ${esc(options.generatedAt)}. Secrets are shown as ********.</p>`,
    runs.length > 1 ? `<nav><ol>${runs.map((r) => `<li><a href="#run-${esc(r.id)}">${esc(r.startedAt ?? r.id)}</a> ${badge(r.result ?? 'unknown')} <code>${esc(r.facts?.playbook.path ?? r.id)}</code></li>`).join('')}</ol></nav>` : '',
    '</header>',
    ...runs.map(renderRun),
    '</body></html>',
    '',
  ].join('\n');
}

function renderRun(run: RunView): string {
  return [
    `<section class="run" id="run-${esc(run.id)}">`,
    `<h2>${run.check ? 'Check of ' : 'Run '}<code>${esc(run.facts?.playbook.path ?? run.id)}</code> ${badge(run.result ?? 'unknown')}</h2>`,
    facts(run),
    run.error ? `<p class="error">${esc(run.error)}</p>` : '',
    recap(run),
    grid(run),
    changes(run),
    timings(run),
    '</section>',
  ].join('\n');
}

function facts(run: RunView): string {
  const f = run.facts;
  const rows: [string, string][] = [['run', `<code>${esc(run.id)}</code>`]];
  if (run.startedAt) rows.push(['started', esc(run.startedAt)]);
  if (run.durationMs !== undefined) rows.push(['duration', esc(seconds(run.durationMs))]);
  rows.push(['mode', esc(`${run.check ? 'check' : 'apply'}${f?.diff ? ', diff' : ''}`)]);
  if (f) {
    const o = f.operator;
    rows.push(['operator', `${esc(o.user)} (uid ${esc(String(o.uid))}) on <code>${esc(o.host)}</code>`]);
    if (o.git) rows.push(['commit', `<code>${esc(o.git.commit ?? '?')}</code>${o.git.dirty ? ' <span class="dirty">with uncommitted changes</span>' : ''}${o.git.author ? ` by ${esc(o.git.author)}` : ''}${o.git.user ? ` (git user ${esc(o.git.user)})` : ''}`]);
    rows.push(['playbook', hashed(f.playbook)]);
    rows.push(['inventory', f.inventory.map(hashed).join('<br>')]);
    if (f.limit) rows.push(['limit', `<code>${esc(f.limit)}</code>`]);
    if (f.tags?.length) rows.push(['tags', esc(f.tags.join(', '))]);
    if (f.skipTags?.length) rows.push(['skipped tags', esc(f.skipTags.join(', '))]);
    if (f.extraVarNames?.length) rows.push(['extra vars', esc(f.extraVarNames.join(', '))]);
  } else rows.push(['audit facts', 'not in this source: a run writes them to its audit log, and to --output json since it keeps one']);
  if (run.partial) rows.push(['source', 'the audit log, which records the changed and failed tasks: the grid shows those, other cells are not recorded, and diffs and per-task times are not kept']);
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function hashed(p: { path: string; sha256?: string }): string {
  return `<code>${esc(p.path)}</code>${p.sha256 ? ` <span class="hash">sha256 ${esc(p.sha256)}</span>` : ''}`;
}

const COUNTS = ['ok', 'changed', 'failed', 'skipped', 'unreachable', 'ignored', 'rescued'] as const;

function recap(run: RunView): string {
  const head = `<tr><th>host</th>${COUNTS.map((c) => `<th>${c}</th>`).join('')}<th>time</th><th>round trips</th></tr>`;
  const rows = run.hosts.map((h) => {
    const s = run.summary[h];
    const st = run.hostStats[h];
    const cells = COUNTS.map((c) => {
      const n = s?.[c] ?? 0;
      return `<td class="${n > 0 && c !== 'ok' ? `count-${c}` : ''}">${s ? n : ''}</td>`;
    }).join('');
    return `<tr><th><code>${esc(h)}</code>${run.unreachable[h] ? `<div class="why">${esc(run.unreachable[h] as string)}</div>` : ''}</th>${cells}<td>${st?.durationMs !== undefined ? esc(seconds(st.durationMs)) : ''}</td><td>${st?.roundTrips ?? ''}</td></tr>`;
  });
  return `<h3>Recap</h3><table class="recap">${head}${rows.join('')}</table>`;
}

function grid(run: RunView): string {
  if (run.tasks.length === 0) return '<h3>Tasks</h3><p>No task rows in this source.</p>';
  const head = `<tr><th>play</th><th>task</th>${run.hosts.map((h) => `<th class="host"><code>${esc(h)}</code></th>`).join('')}</tr>`;
  const rows = run.tasks.map((t, i) => {
    const byHost = run.cells.get(t.key);
    const cells = run.hosts
      .map((h) => {
        const c = byHost?.get(h);
        if (!c) return `<td class="cell none" title="${run.partial ? 'not recorded' : 'not run on this host'}"></td>`;
        const label = cellLabel(c);
        const link = c.status === 'changed' || c.status === 'failed' ? `<a href="#${anchor(run, i, h)}">${esc(label)}</a>` : esc(label);
        return `<td class="cell status-${c.status}" data-status="${c.status}" title="${esc(`${h}: ${c.name}: ${label}${c.message ? ` — ${c.message}` : ''}`)}">${link}</td>`;
      })
      .join('');
    return `<tr><td class="play">${esc(t.play)}</td><td class="task"${t.site ? ` title="${esc(t.site)}"` : ''}>${t.handler ? '<span class="handler">handler</span> ' : ''}${esc(t.task)} <span class="module">${esc(t.module)}</span></td>${cells}</tr>`;
  });
  const legend = `<p class="legend">${['ok', 'changed', 'failed', 'skipped', 'unreachable'].map((s) => `<span class="cell status-${s}">${s}</span>`).join(' ')} <span class="cell none">${run.partial ? 'not recorded' : 'not run'}</span></p>`;
  return `<h3>Tasks × hosts</h3>${legend}<div class="scroll"><table class="grid">${head}${rows.join('')}</table></div>`;
}

function cellLabel(c: ReportCell): string {
  if (c.status === 'failed' && c.ignored) return 'failed (ignored)';
  if (c.status === 'failed' && c.rescued) return 'failed (rescued)';
  return c.status;
}

function anchor(run: RunView, taskIndex: number, host: string): string {
  return `c-${short(run.id)}-${taskIndex}-${host.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function changes(run: RunView): string {
  const blocks: string[] = [];
  run.tasks.forEach((t, i) => {
    for (const h of run.hosts) {
      const c = run.cells.get(t.key)?.get(h);
      if (!c || (c.status !== 'changed' && c.status !== 'failed')) continue;
      const list = c.changes.length
        ? `<table class="changes"><tr><th>attribute</th><th>before</th><th>after</th></tr>${c.changes.map((ch) => `<tr><td><code>${esc(ch.path)}</code></td><td><code>${esc(show(ch.before))}</code></td><td><code>${esc(show(ch.after))}</code></td></tr>`).join('')}</table>`
        : '';
      const diff = c.diff ? `<pre class="diff">${diffLines(c.diff)}</pre>` : '';
      const message = c.message && c.status === 'failed' ? `<pre class="message">${esc(c.message)}</pre>` : '';
      blocks.push(
        `<details class="change status-${c.status}" id="${anchor(run, i, h)}" open><summary><span class="cell status-${c.status}">${esc(cellLabel(c))}</span> <code>${esc(h)}</code> ${esc(c.name)} <span class="module">${esc(t.module)}</span>${c.durationMs !== undefined ? ` <span class="time">${esc(seconds(c.durationMs))}</span>` : ''}</summary>${list}${diff}${message}</details>`,
      );
    }
  });
  return `<h3>Changes</h3>${blocks.length ? blocks.join('\n') : '<p>Nothing changed.</p>'}`;
}

function diffLines(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
      return `<span class="${cls}">${esc(line)}</span>`;
    })
    .join('\n');
}

function timings(run: RunView): string {
  const hostTimes = run.hosts.map((h) => [h, run.hostStats[h]?.durationMs] as const).filter((x): x is readonly [string, number] => x[1] !== undefined);
  const taskTimes = run.tasks
    .map((t) => {
      const times = [...(run.cells.get(t.key)?.values() ?? [])].map((c) => c.durationMs).filter((d): d is number => d !== undefined);
      return { t, total: times.reduce((a, b) => a + b, 0), max: times.length ? Math.max(...times) : 0, n: times.length };
    })
    .filter((x) => x.n > 0)
    .sort((a, b) => b.total - a.total);
  if (hostTimes.length === 0 && taskTimes.length === 0) return `<h3>Timings</h3><p>${run.durationMs !== undefined ? `The run took ${esc(seconds(run.durationMs))}; ` : ''}this source keeps no time per host or task.</p>`;
  const scale = Math.max(1, ...hostTimes.map((x) => x[1]), ...taskTimes.map((x) => x.total));
  const bar = (ms: number) => `<span class="bar" style="width:${Math.max(1, Math.round((ms / scale) * 100))}%"></span>`;
  const hosts = `<table class="timing"><tr><th>host</th><th>its own time</th><th></th></tr>${hostTimes.map(([h, ms]) => `<tr><td><code>${esc(h)}</code></td><td>${esc(seconds(ms))}</td><td class="bars">${bar(ms)}</td></tr>`).join('')}</table>`;
  const tasks = `<table class="timing"><tr><th>task</th><th>all hosts</th><th>slowest host</th><th></th></tr>${taskTimes
    .map(({ t, total, max }) => `<tr><td>${esc(t.task)} <span class="module">${esc(t.module)}</span></td><td>${esc(seconds(total))}</td><td>${esc(seconds(max))}</td><td class="bars">${bar(total)}</td></tr>`)
    .join('')}</table>`;
  return `<h3>Timings</h3><div class="timings">${hosts}${tasks}</div>`;
}

function badge(result: string): string {
  return `<span class="badge result-${esc(result)}">${esc(result)}</span>`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function short(id: string): string {
  return id.slice(0, 8);
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

/** HTML-escapes a text, after masking any secret the process knows (the sources are masked already). */
function esc(text: string): string {
  return maskText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
:root { --ok: #d7f0d9; --ok-ink: #1d5e26; --changed: #ffe3a3; --changed-ink: #7a4d00; --failed: #f8c7c4; --failed-ink: #8c1d18; --skipped: #e6e6e6; --skipped-ink: #555; --unreachable: #e2d3f5; --unreachable-ink: #4b2a7b; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 1.5rem 2rem 3rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; } h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
code, pre { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
header p { color: #57606a; margin: 0; }
section.run { border-top: 2px solid #d0d7de; margin-top: 1.5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; }
.hash { color: #57606a; font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.dirty { color: var(--failed-ink); }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
table.recap td { text-align: right; min-width: 3.5rem; }
.count-changed { background: var(--changed); } .count-failed, .count-unreachable { background: var(--failed); }
.why { font-weight: normal; color: var(--failed-ink); font-size: 12px; max-width: 28rem; }
.scroll { overflow-x: auto; }
table.grid td.play { color: #57606a; white-space: nowrap; } table.grid td.task { min-width: 16rem; }
table.grid th.host { writing-mode: horizontal-tb; white-space: nowrap; }
.module { color: #57606a; font-size: 12px; font-family: ui-monospace, monospace; }
.handler { font-size: 11px; background: #ddf4ff; border-radius: 3px; padding: 0 .25rem; }
.cell { text-align: center; font-size: 12px; font-weight: 600; border-radius: 3px; padding: .1rem .4rem; }
td.cell { min-width: 5.5rem; border-radius: 0; }
.cell a { color: inherit; }
.status-ok { background: var(--ok); color: var(--ok-ink); }
.status-changed { background: var(--changed); color: var(--changed-ink); }
.status-failed { background: var(--failed); color: var(--failed-ink); }
.status-skipped { background: var(--skipped); color: var(--skipped-ink); }
.status-unreachable { background: var(--unreachable); color: var(--unreachable-ink); }
.cell.none { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f3f3f3 4px, #f3f3f3 8px); color: #888; }
.legend .cell { display: inline-block; margin-right: .25rem; }
details.change { border: 1px solid #d0d7de; border-radius: 6px; margin: .5rem 0; padding: .4rem .6rem; background: #fff; }
details.change summary { cursor: pointer; } details.change.status-failed { border-color: var(--failed-ink); }
table.changes { margin: .5rem 0; } table.changes code { white-space: pre-wrap; word-break: break-all; }
pre.diff, pre.message { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; overflow-x: auto; margin: .5rem 0 0; }
pre.diff .add { background: #dafbe1; display: inline-block; width: 100%; } pre.diff .del { background: #ffebe9; display: inline-block; width: 100%; }
pre.diff .hunk { color: #0550ae; } pre.diff .file { color: #57606a; font-weight: 600; }
.time { color: #57606a; font-size: 12px; }
.timings { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
td.bars { width: 12rem; } .bar { display: inline-block; height: .7rem; background: #6e7781; border-radius: 2px; }
.badge { font-size: 12px; border-radius: 10px; padding: .1rem .6rem; vertical-align: middle; background: var(--skipped); color: var(--skipped-ink); }
.result-ok { background: var(--ok); color: var(--ok-ink); } .result-failed, .result-error, .result-unreachable { background: var(--failed); color: var(--failed-ink); }
.result-changes-pending, .result-interrupted, .result-incomplete { background: var(--changed); color: var(--changed-ink); }
p.error { color: var(--failed-ink); white-space: pre-wrap; }
nav ol { padding-left: 1.25rem; }
`;
