/**
 * The converge run: prepare -> schedule (plays, serial batches, hosts) -> per host: facts ->
 * plan -> apply -> control -> handlers -> verify -> report. What other packages use; the
 * stages live in `src/internal/` (closed by the package's exports map).
 *
 * @module
 */
export { runPlaybook } from './internal/run/run-playbook.js';
export type { RunOptions, PreparedHostPlay } from './internal/run/run-options.js';
export { validatePlaybook } from './internal/run/validate-playbook.js';
export type { ValidateOptions, PlaybookValidation } from './internal/run/validate-playbook.js';
export type { RunReport, RunEvent, TaskReport, TaskStatus, HostSummary, HostStats, StoppedHost, UnreachableReason } from './internal/report/report.js';
export { maskRunReport, maskRunEvent, maskTaskReport } from './internal/report/report-masking.js';
export { connectionSpec } from './internal/run/connection-spec.js';
export { probe } from './internal/facts/probe.js';
export type { FactResult } from './internal/facts/probe.js';
export { taskVars } from './internal/prepare/task-vars.js';
export type { MagicVars } from './internal/prepare/task-vars.js';
export { listPlaybook } from './internal/prepare/listing.js';
export type { ListOptions } from './internal/prepare/listing.js';
export { writeRetryFile } from './internal/report/retry-file.js';
export { DEFAULT_CONNECT_CONCURRENCY } from './internal/run/run-options.js';
export { mergeShardReports, parseShard, shardHosts } from './internal/run/shard.js';
export type { Shard } from './internal/run/shard.js';
