/**
 * The light entry of `@converge/core` (`@converge/core/lean`): errors, secret masking and sha256 only,
 * without the engine and its dependencies (ajv, nunjucks, yaml, node-vault), so that a command
 * line can start and report errors without loading them. The values are the same objects as
 * those of the main entry (`ConvergeError` here is `ConvergeError` there).
 */
export { ConvergeError, isConvergeError, formatLocation } from './errors.js';
export type { ErrorCode, SourceLocation, ConvergeErrorOptions } from './errors.js';
export { Secret, secret, secretText, findSecretMask, isSecret, reveal, maskText, maskValue, registerSecretValue, SECRET_MASK } from './secret.js';
export { sha256Hex } from './sha256.js';
export { YAML_MAX_ALIAS_COUNT, YAML_ALIAS_BOMB_MESSAGE, isYamlAliasBomb } from './yaml-limits.js';
