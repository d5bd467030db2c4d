// Flow and facts: checks, messages, host vars, waiting and reboots, decided on the controller
// or run on the host. Re-exported by the package index.
export { assert, AssertParams, evaluateAssertions } from './assert/assert.js';
export type { Assertion, AssertPrepared } from './assert/assert.js';
export { fail, FailParams } from './fail/fail.js';
export { debug, DebugParams, debugText } from './debug/debug.js';
export type { DebugPrepared } from './debug/debug.js';
export { setFact, SetFactParams } from './set-fact/set-fact.js';
export type { SetFactInput, SetFactModule } from './set-fact/set-fact.js';
export { pause, PauseParams } from './pause/pause.js';
export { waitFor, WaitForParams, conditionOf, timeoutMessage } from './wait-for/wait-for.js';
export { waitCondition, waitScript, conditionFunction, WAIT_TIMED_OUT } from './wait-for/wait-condition.js';
export type { WaitCondition, ConditionNow } from './wait-for/wait-condition.js';
export { reboot, RebootParams, BOOT_ID_COMMAND } from './reboot/reboot.js';
