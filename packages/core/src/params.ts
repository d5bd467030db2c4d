import { Kind, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConvergeError } from './errors.js';
import { isSecret, maskValue } from './secret.js';

// Made on the first validation: a run that validates nothing (an empty inventory, `--list-tasks`)
// does not set up ajv.
let instance: Ajv | undefined;
const cache = new WeakMap<object, ValidateFunction>();

function validator(): Ajv {
  if (instance) return instance;
  instance = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false, validateSchema: false, verbose: true });
  instance.addKeyword({
    keyword: 'x-converge-secret',
    schemaType: 'boolean',
    validate: (flag: boolean, data: unknown) => !flag || isSecret(data),
    errors: false,
  });
  return instance;
}

function compiled(schema: TSchema): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    const ajv = validator();
    // A schema built with TypeBox (it carries TypeBox's Kind) is valid JSON Schema by construction,
    // so it is not checked against the JSON Schema meta-schema: that check compiles the meta-schema
    // first, the largest part of the first compile of a run. A schema written by hand is still
    // checked, with the same error as before. packages/core/test/module-schemas.test.ts checks every
    // package module's schema (Type.Unsafe parts included) against the meta-schema.
    if (typeof schema !== 'object' || schema === null || !(Kind in schema)) ajv.validateSchema(schema, true);
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

/**
 * Validates a task's params against its module's JSON Schema (ajv, defaults applied in place)
 * and returns them.
 *
 * @param where - names the task for the message, e.g. `task "copy motd" (copy) on web1`.
 * @throws ConvergeError `CONVERGE_PARAMS` naming the task, every offending param path and value
 * (secrets masked).
 */
export function validateParams<T>(schema: TSchema, params: unknown, where: string): T {
  const validate = compiled(schema);
  if (validate(params)) return params as T;
  const problems = withoutBranchErrors(validate.errors ?? []).map((e) => describe(e, params));
  throw new ConvergeError('CONVERGE_PARAMS', `${where}: invalid params:\n  ${[...new Set(problems)].join('\n  ')}`);
}

function describe(e: ErrorObject, root: unknown): string {
  const path = e.instancePath || '/';
  let value: unknown = root;
  for (const part of e.instancePath.split('/').slice(1)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  let msg = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') msg = `unknown param ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
  if (e.keyword === 'const') msg = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  if (e.keyword === 'enum') msg = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'anyOf') msg = describeAlternatives((e.schema ?? []) as Record<string, unknown>[]);
  const shown = e.keyword === 'additionalProperties' || e.keyword === 'required' ? '' : ` (got ${JSON.stringify(maskValue(value)) ?? 'undefined'})`;
  return `${path}: ${msg}${shown}`;
}

/**
 * The errors without those of the branches of an `anyOf` that failed as a whole (ajv reports each
 * branch, `must be equal to constant` once per allowed value, then the `anyOf` itself): the
 * `anyOf` error alone says what is allowed.
 */
function withoutBranchErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
}

/** What an `anyOf` allows, e.g. `must be one of "present", "absent"` or `must be a string or an integer`. */
function describeAlternatives(branches: readonly Record<string, unknown>[]): string {
  if (branches.length > 0 && branches.every((b) => 'const' in b)) return `must be one of ${branches.map((b) => JSON.stringify(b['const'])).join(', ')}`;
  const parts = branches.map((b) => ('const' in b ? JSON.stringify(b['const']) : typeof b['type'] === 'string' ? article(b['type']) : 'a value of another shape'));
  return `must be ${[...new Set(parts)].join(' or ')}`;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
