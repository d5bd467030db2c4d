import { ConvergeError, isConvergeError, maskText } from '@converge/core';
import type { UnreachableReason } from './report.js';

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

/** Why a host is unreachable, from the error that said so: message with detail, code and hint, masked. */
export function unreachableReason(e: unknown): UnreachableReason {
  return {
    message: maskText(describeError(e)),
    ...(isConvergeError(e) ? { code: e.code } : {}),
    ...(isConvergeError(e) && e.hint ? { hint: maskText(e.hint) } : {}),
  };
}
