import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { AuditRun } from '@converge/cli';
import { ConvergeError } from '@converge/core/lean';

interface AuditFlags {
  auditLog?: string;
  playbook?: string;
  since?: string;
  host?: string;
  failed?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/**
 * The default audit log of a playbook: `<playbook dir>/.converge/audit.jsonl` (with `--state-dir`,
 * `<state dir>/audit.jsonl`); without a playbook, `./.converge/audit.jsonl`.
 */
export function defaultAuditLogPath(playbookPath: string | undefined, stateDir?: string): string {
  if (stateDir) return resolve(stateDir, 'audit.jsonl');
  return join(playbookPath ? dirname(resolve(playbookPath)) : process.cwd(), '.converge', 'audit.jsonl');
}

/**
 * Registers `converge audit [--since DATE] [--host H] [--failed] [--audit-log FILE | --playbook P]
 * [--json] [-v]`: lists past runs from the audit log, oldest first, one line each (start time,
 * result, operator, git commit, playbook, hosts, changed/failed counts); `-v` adds the changed
 * and failed tasks; `--json` prints one JSON object per run.
 */
export function registerAudit(program: Command, stdout: NodeJS.WritableStream): void {
  program
    .command('audit')
    .description('list past runs from the audit log')
    .option('--audit-log <file>', 'audit log to read (default .converge/audit.jsonl beside the playbook, or in the current directory)')
    .option('--playbook <path>', 'read the audit log of this playbook')
    .option('--since <date>', 'only runs started at or after this date/time (ISO 8601, e.g. 2026-05-01 or 2026-05-01T12:00Z)')
    .option('--host <host>', 'only runs that touched this host')
    .option('--failed', 'only runs that did not end ok (failed, unreachable, error, pending changes, interrupted)')
    .option('--json', 'one JSON object per run')
    .option('-v, --verbose', 'also list the changed and failed tasks of each run')
    .action(async (flags: AuditFlags) => {
      const { readAuditRuns } = await import('../audit/audit-query.js');
      let since: Date | undefined;
      if (flags.since !== undefined) {
        since = new Date(flags.since);
        if (Number.isNaN(since.getTime())) throw new ConvergeError('CONVERGE_OPTIONS', `--since ${JSON.stringify(flags.since)} is not a date`, { hint: 'use ISO 8601, e.g. 2026-05-01 or 2026-05-01T12:00:00Z' });
      }
      const path = flags.auditLog ? resolve(flags.auditLog) : defaultAuditLogPath(flags.playbook);
      const { runs, skippedLineNumbers } = readAuditRuns(path, { ...(since ? { since } : {}), ...(flags.host ? { host: flags.host } : {}), ...(flags.failed ? { failed: true } : {}) });
      for (const r of runs) {
        const tasks = flags.host ? r.tasks.filter((t) => t.host === flags.host) : r.tasks;
        if (flags.json) {
          stdout.write(`${JSON.stringify({ ...r, tasks })}\n`);
          continue;
        }
        stdout.write(`${runLine(r, tasks)}\n`);
        if (flags.verbose) {
          for (const t of tasks) stdout.write(`    ${t.status.padEnd(8)} ${t.host}  ${t.task} (${t.module})${t.changes.length ? `: ${t.changes.map((c) => (c as { path?: string }).path).join(', ')}` : ''}${t.message ? ` — ${t.message.split('\n')[0]}` : ''}\n`);
          for (const u of r.unreachable) stdout.write(`    unreachable ${u.host}  ${u.message.split('\n')[0]}\n`);
          if (r.end?.error) stdout.write(`    error    ${r.end.error.split('\n')[0]}\n`);
          for (const t of r.end?.inFlight ?? []) stdout.write(`    running  ${t.host}  ${t.task} (${t.module}) when interrupted: outcome unknown\n`);
          if (r.result === 'incomplete') stdout.write('    no end record: converge was killed (SIGKILL), crashed or lost power, or the run is still going\n');
        }
      }
      if (runs.length === 0 && !flags.json) stdout.write(`no runs in ${path}\n`);
      if (skippedLineNumbers.length > 0)
        process.stderr.write(`converge: warning: skipped ${skippedLineNumbers.length} unreadable line(s) of ${path} (line ${skippedLineNumbers.slice(0, 10).join(', ')}${skippedLineNumbers.length > 10 ? ', ...' : ''}): not a complete JSON record, e.g. a write cut short by a power loss\n`);
    });
}

function runLine(r: AuditRun, tasks: AuditRun['tasks']): string {
  const s = r.start;
  const when = s?.time ?? r.end?.time ?? '?';
  const who = s ? `${s.operator.user}@${s.operator.host}` : '?';
  const commit = s?.operator.git?.commit ? ` ${s.operator.git.commit.slice(0, 10)}${s.operator.git.dirty ? '+dirty' : ''}` : '';
  const changed = tasks.filter((t) => t.status === 'changed').length;
  const failed = tasks.filter((t) => t.status === 'failed' && !t.ignored).length;
  const mode = s?.check ? ' check' : '';
  const hosts = s ? `${s.hosts.length} host${s.hosts.length === 1 ? '' : 's'}${s.limit ? ` (limit ${s.limit})` : ''}` : '';
  const result = r.end?.signal ? `${r.result} (${r.end.signal})` : r.result;
  return `${when}  ${result.padEnd(21)} ${r.run.slice(0, 8)}  ${who}${commit}  ${s?.playbook.path ?? '?'}  ${hosts}  changed=${changed} failed=${failed}${mode}`;
}
