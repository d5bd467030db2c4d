/**
 * Stable error codes of converge. Every error thrown by converge carries one of these codes,
 * keeps its cause, and may carry a hint that says what to do next.
 */
export type ErrorCode =
  | 'CONVERGE_INVENTORY'
  | 'CONVERGE_PLAYBOOK'
  | 'CONVERGE_VARS'
  | 'CONVERGE_PARAMS'
  | 'CONVERGE_TEMPLATE'
  | 'CONVERGE_OPTIONS'
  | 'CONVERGE_CONNECT'
  | 'CONVERGE_HOST_KEY'
  | 'CONVERGE_AUTH'
  | 'CONVERGE_BECOME'
  | 'CONVERGE_COMMAND'
  | 'CONVERGE_TIMEOUT'
  | 'CONVERGE_FACT'
  | 'CONVERGE_PLAN'
  | 'CONVERGE_APPLY'
  | 'CONVERGE_NOT_CONVERGED'
  /** An `assert` or `fail` task failed the host, as the playbook asked. */
  | 'CONVERGE_ASSERT'
  | 'CONVERGE_TRANSPORT'
  | 'CONVERGE_STATE'
  | 'CONVERGE_VAULT'
  /**
   * A service converge reads from before it contacts hosts (HashiCorp Vault, a cloud provider's
   * API) did not answer or could not serve: unreachable, sealed, failing (5xx). Not an error of
   * converge nor of the playbook: the run can be retried when the service is back.
   */
  | 'CONVERGE_UNAVAILABLE'
  /** A cloud provider's API refused or failed a request while an inventory source was read. */
  | 'CONVERGE_CLOUD'
  /** A data-residency policy forbids a host or an endpoint of the run. */
  | 'CONVERGE_RESIDENCY'
  | 'CONVERGE_INTERNAL';

/** Where in a user's file an error was found: 1-based line and column. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** Options of {@link ConvergeError}. */
export interface ConvergeErrorOptions {
  cause?: unknown;
  /** What the user can do about it, rendered by the CLI under the message. */
  hint?: string;
  location?: SourceLocation;
  /** Remote stderr or tool output worth showing verbatim. */
  detail?: string;
}

/**
 * The one error class of converge: a stable `code`, a message, an optional location in a user's
 * file, a hint and the cause.
 *
 * @example
 * throw new ConvergeError('CONVERGE_PARAMS', 'task "copy motd": /mode must be a string', { hint: 'write modes as strings, e.g. "0644"' })
 */
export class ConvergeError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly location?: SourceLocation;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, options: ConvergeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConvergeError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.location !== undefined) this.location = options.location;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

/** True when `e` is a {@link ConvergeError}, also across duplicated copies of this package. */
export function isConvergeError(e: unknown): e is ConvergeError {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('CONVERGE_');
}

/** Renders a location as `file:line:column` (parts that are unknown are left out). */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}
