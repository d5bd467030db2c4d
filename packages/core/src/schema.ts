import { Type, type TSchema, type TUnion, type TUnsafe } from '@sinclair/typebox';
import type { Secret } from './secret.js';

/** JSON Schema of a {@link Secret} value (checked with the `x-converge-secret` keyword). */
export function SecretValue(): TUnsafe<Secret> {
  return Type.Unsafe<Secret>({ type: 'object', 'x-converge-secret': true, description: 'a Secret' });
}

/** A param that takes `schema` or a {@link Secret} in its place (e.g. a line that holds a password). */
export function OrSecret<T extends TSchema>(schema: T): TUnion<[T, TUnsafe<Secret>]> {
  return Type.Union([schema, SecretValue()]);
}
