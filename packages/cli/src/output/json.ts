import { maskRunReport, type RunReport } from '@converge/engine';
import { maskValue } from '@converge/core/lean';
import type { AuditRecord } from '../audit/audit-log.js';

/** A run's `--output json` document: the run report, and the run's audit facts when it kept an audit log. */
export type RunDocument = RunReport & { audit?: Omit<Extract<AuditRecord, { type: 'run-start' }>, 'type'> };

/**
 * The `--output json` document: `{ summary: { host: { ok, changed, failed, skipped,
 * unreachable, ignored } }, tasks: [ { host, play, task, module, status, changes, diff?, … } ],
 * stats: { host: { roundTrips, durationMs } }, check, unreachable?: { host: { message, code,
 * hint } }, audit?: { run, time, operator, playbook, inventory, hosts, check, diff, … } }`
 * (`audit`: the run's `run-start` audit record, see {@link AuditLog}). Secrets are masked in the
 * data (names, messages, values, output), never in the keys, statuses, module names or codes.
 */
export function renderJson(report: RunReport, audit?: Extract<AuditRecord, { type: 'run-start' }>): string {
  const masked = maskRunReport(report);
  const doc: RunDocument = audit ? { ...masked, audit: maskValue(withoutType(audit)) as RunDocument['audit'] } : masked;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function withoutType(r: Extract<AuditRecord, { type: 'run-start' }>): Omit<Extract<AuditRecord, { type: 'run-start' }>, 'type'> {
  const { type: _type, ...rest } = r;
  return rest;
}
