export { JsonLinesFile } from './json-lines-file.js';
export { openEventLog } from './event-log.js';
export type { EventLog } from './event-log.js';
export { AuditLog } from './audit-log.js';
export type { AuditRecord, AuditResult, AuditRunInfo } from './audit-log.js';
export { readAuditRuns } from './audit-query.js';
export type { AuditRun, AuditFilter } from './audit-query.js';
export { currentOperator, gitInfo, hashPath } from './operator.js';
export type { Operator, GitInfo, HashedPath } from './operator.js';
