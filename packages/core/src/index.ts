import { planModule as planModuleCase } from './testing/module-harness.js';
import type { ModuleCaseResult as TestingModuleCaseResult } from './testing/module-harness.js';

export { ConvergeError, isConvergeError, formatLocation } from './errors.js';
export type { ErrorCode, SourceLocation, ConvergeErrorOptions } from './errors.js';
export { Secret, secret, secretText, findSecretMask, isSecret, reveal, maskText, maskValue, registerSecretValue, SECRET_MASK } from './secret.js';
export { sh, quote, raw, RawShell } from './sh.js';
export { shlexSplit } from './shlex.js';
export type { ShlexOptions } from './shlex.js';
export { translatePythonRegex, expandPythonTemplate, escapeRegex } from './python-regex.js';
export type { TranslatedRegex, MatchGroups } from './python-regex.js';
export type { Transport, ExecOptions, ExecResult, BecomeMethod, BecomeSpec, TransportStats, ConnectionSpec } from './transport.js';
export { ShellSession, frame } from './shell-session.js';
export type { ShellStreams, ShellSessionOptions } from './shell-session.js';
export { becomeCommand, becomeHandshake, BecomeRefusals } from './become.js';
export type { BecomeHandshakeOptions } from './become.js';
export { LocalTransport } from './local-transport.js';
export { defineFact, factCommand, stableJson, resourcesOverlap } from './fact.js';
export { atomicWrite } from './atomic-write.js';
export { privateDirProblem } from './private-dir.js';
export type { Fact, FactDefinition, FactRequest, FactOutput } from './fact.js';
export type { FactProbeHints, PlanProbeHints } from './probe-hints.js';
export { defineModule, callSite, factValue, isControllerFile } from './module.js';
export type {
  ControllerFile,
  DataEndpoint,
  Module,
  ModuleDefinition,
  Change,
  FileDiff,
  Plan,
  Reconnect,
  Command,
  HostInfo,
  PrepareContext,
  FactValues,
  FactRequests,
  PlanWithChanges,
  PlanInput,
  ApplyInput,
  ApplyOutcome,
  TaskOptions,
  TaskResultData,
  TaskContext,
  LoopControl,
  RegisteredResult,
  ParamsInput,
  Task,
  AnyVars,
  VarsView,
  MagicVarValues,
} from './module.js';
export { definePlaybook, definePlay, defineRole, isPlaybook, useRole } from './playbook.js';
export { checkRoleVars } from './role-vars.js';
export type { KnownVars, KnownVar } from './role-vars.js';
export { block, isBlock } from './block.js';
export type { Block, BlockOptions, TaskListItem } from './block.js';
export type { Play, Playbook, RoleDefinition, RoleUse, HostOrder, GivenVars, VarsSchema } from './playbook.js';
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
export { enableValidatorCache, validateParams, cloneParams, validateVars } from './params.js';
export { sha256Hex } from './sha256.js';
export { SecretValue, OrSecret } from './schema.js';
/** @deprecated Import it from `@converge/core/testing`, with the other test helpers. */
export const planModule: typeof planModuleCase = planModuleCase;
/** @deprecated Import it from `@converge/core/testing`. */
export type ModuleCaseResult = TestingModuleCaseResult;
export { hostFacts } from './host-facts.js';
export { vault, parseVaultSpec, isVaultLookup, VaultLookup, lookupKey, clearVaultValues, storeVaultValue, hasVaultValue } from './vault-lookup.js';
export type { VaultRef, VaultLookupOptions } from './vault-lookup.js';
export { YAML_MAX_ALIAS_COUNT, YAML_ALIAS_BOMB_MESSAGE, isYamlAliasBomb } from './yaml-limits.js';
export type { HostFacts } from './host-facts.js';
export { awaitShellStart } from './shell-start.js';
export type { ShellStartControl } from './shell-start.js';
