import type { RunReport } from '@converge/engine';
import { maskValue } from '@converge/core/lean';

/**
 * The `--output json` document: `{ summary: { host: { ok, changed, failed, skipped,
 * unreachable, ignored } }, tasks: [ { host, play, task, module, status, changes, diff?, … } ],
 * stats: { host: { roundTrips, durationMs } }, check, unreachable?: { host: { message, code,
 * hint } } }`. Secrets are masked.
 */
export function renderJson(report: RunReport): string {
  return `${JSON.stringify(maskValue(report), null, 2)}\n`;
}
