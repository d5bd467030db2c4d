import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConvergeError } from '@converge/core/lean';
import { ExitCode } from '../exit-codes.js';
import type { RunDocument } from '../output/json.js';
import type { RunView } from '../report/run-view.js';
import { defaultAuditLogPath } from './audit.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface ReportFlags {
  html?: string;
  fromJson?: string[];
  auditLog?: string;
  playbook?: string;
  run?: string;
  since?: string;
  until?: string;
}

/**
 * Registers the `converge report` command group.
 *
 * `converge report --html FILE`: one self-contained HTML page of one run or a range of runs (see
 * {@link import('../report/html-page.js').renderReportPage}), from a run's `--output json`
 * document (`--from-json FILE`, repeatable) or from the audit log (`--audit-log FILE` or
 * `--playbook PB.ts`; `--run ID` for one run, `--since`/`--until` for a range, the last run by
 * default). The page is written atomically.
 *
 * `converge report merge FILE... [--output
 * pretty|json|junit]` combines the JSON reports of the shards of one run (`--shard I/N
 * --report-file FILE`) into one: the recap, the `--output json` document (without `shard`) or
 * JUnit, exactly as one run over all hosts prints them; its exit code is the one that run would
 * have had (4 unreachable, 2 failed, else 0).
 */
export function registerReport(program: Command, io: { stdout: NodeJS.WritableStream; setCode: (code: number) => void }): void {
  const report = program
    .command('report')
    .description('write an HTML page of a run (or a range of runs): recap, host x task grid, changes with diffs, timings, audit facts; or merge the reports of the shards of a run')
    .option('--html <file>', 'the HTML file to write')
    .option('--from-json <file>', "a run's --output json document; repeatable", collect)
    .option('--audit-log <file>', 'read the runs from this audit log (default .converge/audit.jsonl beside --playbook, or in the current directory)')
    .option('--playbook <path>', 'read the audit log of this playbook')
    .option('--run <id>', 'the run with this id (or a prefix of it) from the audit log')
    .option('--since <date>', 'runs started at or after this date/time (ISO 8601)')
    .option('--until <date>', 'runs started at or before this date/time (ISO 8601)')
    .action(async (flags: ReportFlags) => {
      if (flags.html === undefined) throw new ConvergeError('CONVERGE_OPTIONS', 'report: give --html FILE (the page to write), or use report merge', { hint: 'converge report --from-json run.json --html run.html' });
      const html = flags.html;
      const views = flags.fromJson?.length ? await fromJsonFiles(flags) : await fromAuditLog(flags);
      const [{ renderReportPage }, { atomicWrite }] = await Promise.all([import('../report/html-page.js'), import('@converge/core')]);
      const source = flags.fromJson?.length ? flags.fromJson.join(', ') : resolve(flags.auditLog ?? defaultAuditLogPath(flags.playbook));
      await atomicWrite(resolve(html), renderReportPage(views, { generatedAt: new Date().toISOString(), source }));
      const hosts = new Set(views.flatMap((v) => v.hosts)).size;
      io.stdout.write(`wrote ${html}: ${views.length} run${views.length === 1 ? '' : 's'}, ${hosts} host${hosts === 1 ? '' : 's'}\n`);
    });
  report
    .command('merge')
    .description('combine the JSON reports of the shards of a run (--shard I/N) into one recap, JSON document or JUnit file')
    .argument('<reports...>', 'the JSON reports of every shard (--report-file, or --output json)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['pretty', 'json', 'junit']).default('pretty'))
    .action(async (files: string[], flags: { output: 'pretty' | 'json' | 'junit' }) => {
      const { mergeShardReports } = await import('@converge/engine');
      const reports = files.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          throw new ConvergeError('CONVERGE_OPTIONS', `report merge: cannot read ${file}: ${(e as Error).message}`, { cause: e });
        }
        try {
          return { file, report: JSON.parse(text) as import('@converge/engine').RunReport };
        } catch (e) {
          throw new ConvergeError('CONVERGE_OPTIONS', `report merge: ${file} is not a JSON report: ${(e as Error).message}`, { cause: e, hint: 'write each shard\'s report with --report-file FILE (or --output json > FILE)' });
        }
      });
      const merged = mergeShardReports(reports);
      if (flags.output === 'json') io.stdout.write((await import('../output/json.js')).renderJson(merged));
      else if (flags.output === 'junit') io.stdout.write((await import('../output/junit.js')).renderJunit(merged));
      else {
        const { PrettyReporter } = await import('../output/pretty.js');
        const pretty = new PrettyReporter(io.stdout as NodeJS.WritableStream & { isTTY?: boolean });
        const hosts = Object.keys(merged.summary);
        pretty.onEvent({ type: 'run-start', check: merged.check, diff: false, hosts });
        pretty.onEvent({ type: 'run-end', report: merged });
      }
      const rows = Object.values(merged.summary);
      io.setCode(rows.some((s) => s.unreachable > 0) ? ExitCode.unreachable : rows.some((s) => s.failed > 0) || (merged.stopped?.length ?? 0) > 0 ? ExitCode.hostFailed : ExitCode.ok);
    });
}

async function fromJsonFiles(flags: ReportFlags): Promise<RunView[]> {
  for (const f of ['auditLog', 'playbook', 'run', 'since', 'until'] as const) {
    if (flags[f] !== undefined) throw new ConvergeError('CONVERGE_OPTIONS', `--from-json reads runs from JSON documents; --${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} selects runs of an audit log: give one or the other`);
  }
  const { viewFromJson } = await import('../report/run-view.js');
  return (flags.fromJson ?? []).map((file) => {
    let doc: RunDocument;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as RunDocument;
    } catch (e) {
      throw new ConvergeError('CONVERGE_OPTIONS', `--from-json ${file}: ${(e as Error).message}`, { cause: e, location: { file } });
    }
    if (!doc || typeof doc !== 'object' || !doc.summary || !Array.isArray(doc.tasks)) {
      throw new ConvergeError('CONVERGE_OPTIONS', `--from-json ${file} is not the JSON output of a run`, { location: { file }, hint: 'write it with converge -i INVENTORY PLAYBOOK --output json > FILE' });
    }
    return viewFromJson(doc, basename(file));
  });
}

async function fromAuditLog(flags: ReportFlags): Promise<RunView[]> {
  const [{ readAuditRuns }, { viewFromAudit }] = await Promise.all([import('../audit/audit-query.js'), import('../report/run-view.js')]);
  const path = flags.auditLog ? resolve(flags.auditLog) : defaultAuditLogPath(flags.playbook);
  const date = (name: string, v: string | undefined): Date | undefined => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new ConvergeError('CONVERGE_OPTIONS', `--${name} ${JSON.stringify(v)} is not a date`, { hint: 'use ISO 8601, e.g. 2026-05-01 or 2026-05-01T12:00:00Z' });
    return d;
  };
  const since = date('since', flags.since);
  const until = date('until', flags.until);
  if (flags.run !== undefined && (since || until)) throw new ConvergeError('CONVERGE_OPTIONS', '--run names one run; --since and --until a range: give one or the other');
  const { runs } = readAuditRuns(path, since ? { since } : {});
  let chosen = runs.filter((r) => !until || new Date(r.start?.time ?? r.end?.time ?? 0) <= until);
  if (flags.run !== undefined) {
    chosen = runs.filter((r) => r.run.startsWith(flags.run as string));
    if (chosen.length > 1) throw new ConvergeError('CONVERGE_OPTIONS', `--run ${flags.run} matches ${chosen.length} runs of ${path}`, { hint: `give more of the id: ${chosen.map((r) => r.run).join(', ')}` });
  } else if (!since && !until) chosen = chosen.slice(-1);
  if (chosen.length === 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `no run of ${path} matches${flags.run ? ` --run ${flags.run}` : since || until ? ' the dates' : ' (the log is empty or missing)'}`, { hint: 'converge audit --audit-log FILE lists the runs with their ids' });
  }
  return chosen.map(viewFromAudit);
}
