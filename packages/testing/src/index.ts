export { startHosts, ensureTestImage, removeStaleTestHosts, TEST_HOST_LABEL } from './hosts.js';
export type { TestHost, TestHosts, StartHostsOptions } from './hosts.js';
export { runTasks, runPlays, convergeTwice, changedTasks, failures } from './harness.js';
export type { RunTasksOptions, ConvergeTwiceResult } from './harness.js';
export { TestHostsError } from './errors.js';
export type { TestHostsErrorCode } from './errors.js';
export { paramRows, paramTable, checkParamTables } from './param-table.js';
export type { ParamRow } from './param-table.js';
