import { ConvergeError, type SourceLocation } from '@converge/core';

/**
 * Builds the `CONVERGE_INVENTORY` error of a bad inventory source.
 *
 * @param message What is wrong, in the user's words (the location is not repeated in it).
 * @param location `file:line:column` (1-based) of the offending text.
 */
export function inventoryError(message: string, location: SourceLocation, options: { cause?: unknown; hint?: string } = {}): ConvergeError {
  return new ConvergeError('CONVERGE_INVENTORY', message, { ...options, location });
}

/**
 * Error thrown by the building blocks (ranges, group links) that do not know where in a file
 * they were called from; parsers catch it and rethrow it with a location.
 */
export class InventoryRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryRuleError';
  }
}

/** Rethrows `e` as an inventory error at `location` when it is an {@link InventoryRuleError}. */
export function withLocation<T>(location: SourceLocation, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InventoryRuleError) throw inventoryError(e.message, location, { cause: e });
    throw e;
  }
}
