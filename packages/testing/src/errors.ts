/**
 * Stable codes of the errors thrown by `@converge/testing`; the same `CONVERGE_*` codes as
 * `@converge/core`, so `isConvergeError` and the CLI's rendering accept these errors too.
 */
export type TestHostsErrorCode =
  | 'CONVERGE_OPTIONS' // bad arguments to startHosts
  | 'CONVERGE_CONNECT' // no Docker engine, or a host unreachable from the controller
  | 'CONVERGE_COMMAND' // the image build script failed
  | 'CONVERGE_TIMEOUT'; // a host did not boot in time

/**
 * An error of the test-host helpers: a stable `code`, a message, a `hint` that says what to do
 * next, a `detail` with tool output worth showing verbatim (build log, the host's journal), and
 * the `cause`. Shaped like `ConvergeError` of `@converge/core`.
 *
 * @example
 * throw new TestHostsError('CONVERGE_TIMEOUT', 'host1 did not boot within 90 s', { detail: journal })
 */
export class TestHostsError extends Error {
  readonly code: TestHostsErrorCode;
  readonly hint?: string;
  readonly detail?: string;

  constructor(code: TestHostsErrorCode, message: string, options: { cause?: unknown; hint?: string; detail?: string } = {}) {
    super(
      options.detail === undefined ? message : `${message}\n${options.detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'TestHostsError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}
