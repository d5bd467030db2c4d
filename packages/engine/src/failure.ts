import { ConvergeError, isConvergeError } from '@converge/core';

/** The message of an error with its detail, for reports and events (callers mask it). */
export function describeError(e: unknown): string {
  if (isConvergeError(e)) return e.detail ? `${e.message}\n${e.detail}` : e.message;
  return e instanceof Error ? e.message : String(e);
}

/** The error as a ConvergeError, wrapping anything else with the given code. */
export function asConvergeError(e: unknown, code: ConvergeError['code']): ConvergeError {
  if (isConvergeError(e)) return e;
  return new ConvergeError(code, e instanceof Error ? e.message : String(e), { cause: e });
}
