export { runPlaybook, renderDiff, DEFAULT_CONNECT_CONCURRENCY } from './run.js';
export type { RunOptions } from './run.js';
export type { RunReport, RunEvent, TaskReport, TaskStatus, HostSummary, HostStats } from './report.js';
export { connectionSpec, becomePasswordFromVars } from './connection.js';
export { probe, probeScript, parseProbeOutput } from './probe.js';
export type { FactResult } from './probe.js';
export { stepsScript, parseStepsOutput } from './steps.js';
export { PendingHandlers, atomicWrite } from './state.js';
export { taskVars } from './vars.js';
