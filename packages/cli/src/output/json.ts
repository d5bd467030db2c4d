import { maskRunReport, type RunReport } from '@converge/engine';

/**
 * The `--output json` document: `{ summary: { host: { ok, changed, failed, skipped,
 * unreachable, ignored } }, tasks: [ { host, play, task, module, status, changes, diff?, … } ],
 * stats: { host: { roundTrips, durationMs } }, check, unreachable?: { host: { message, code,
 * hint } } }`. Secrets are masked in the data (names, messages, values, output), never in the
 * keys, statuses, module names or codes.
 */
export function renderJson(report: RunReport): string {
  return `${JSON.stringify(maskRunReport(report), null, 2)}\n`;
}
