export { ConvergeError, isConvergeError, formatLocation } from './errors.js';
export type { ErrorCode, SourceLocation, ConvergeErrorOptions } from './errors.js';
export { Secret, secret, secretText, findSecretMask, isSecret, reveal, maskText, maskValue, registerSecretValue, SECRET_MASK } from './secret.js';
export { sh, quote, raw, RawShell } from './sh.js';
export { shlexSplit } from './shlex.js';
export type { Transport, ExecOptions, ExecResult, BecomeMethod, BecomeSpec, TransportStats, ConnectionSpec } from './transport.js';
export { ShellSession, frame } from './shell-session.js';
export type { ShellStreams, ShellSessionOptions } from './shell-session.js';
export { becomeCommand, becomeHandshake, BecomeRefusals } from './become.js';
export type { BecomeHandshakeOptions } from './become.js';
export { LocalTransport } from './local-transport.js';
export { defineFact, factCommand, stableJson, resourcesOverlap } from './fact.js';
export { atomicWrite } from './atomic-write.js';
export type { Fact, FactDefinition, FactRequest, FactOutput } from './fact.js';
export type { FactProbeHints, PlanProbeHints } from './probe-hints.js';
export { defineModule, callSite, isControllerFile } from './module.js';
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
} from './module.js';
export { definePlaybook, defineRole, isPlaybook, useRole } from './playbook.js';
export { block, isBlock } from './block.js';
export type { Block, BlockOptions, TaskListItem } from './block.js';
export type { Play, Playbook, RoleDefinition, RoleUse, HostOrder } from './playbook.js';
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
export { validateParams } from './params.js';
export { SecretValue, OrSecret } from './schema.js';
export { planModule } from './module-harness.js';
export type { ModuleCaseResult } from './module-harness.js';
export { hostFacts } from './host-facts.js';
export { vault, parseVaultSpec, isVaultLookup, VaultLookup, lookupKey, clearVaultValues, storeVaultValue, hasVaultValue } from './vault-lookup.js';
export type { VaultRef, VaultLookupOptions } from './vault-lookup.js';
export { YAML_MAX_ALIAS_COUNT, YAML_ALIAS_BOMB_MESSAGE, isYamlAliasBomb } from './yaml-limits.js';
export type { HostFacts } from './host-facts.js';
export { awaitShellStart } from './shell-start.js';
export type { ShellStartControl } from './shell-start.js';
