import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import type { Ajv, ErrorObject, KeywordCxt, ValidateFunction } from 'ajv';
import { atomicWrite } from './atomic-write.js';
import { ConvergeError } from './errors.js';
import { privateDirProblem } from './private-dir.js';
import { maskValue } from './secret.js';
import { sha256Hex } from './sha256.js';

// Made on the first validation that the validator cache cannot serve: a run that validates
// nothing (an empty inventory, `--list-tasks`), or only with cached validators, does not set up ajv.
let instance: Ajv | undefined;
// Vars are checked, never changed: a second instance that applies no defaults (the vars of a
// host share their nested objects with the inventory).
let varsInstance: Ajv | undefined;
const cache = new WeakMap<object, ValidateFunction>();
const varsCache = new WeakMap<object, ValidateFunction>();
let cacheDir: string | undefined;

/** The version of the generated code: part of every cache key, so that other ajv options or versions never share an entry. */
const CODE_VERSION = 'ajv-8.20.0/allErrors,useDefaults,verbose,x-converge-secret/1';

/** A CommonJS module's default export, however the ESM interop (Node's or the bundler's) wrapped it. */
function defaultExport<T>(m: unknown): T {
  // Each interop layer adds a `default`; fast-uri's object is its own `default`, hence the bound.
  let v = m as { default?: unknown };
  for (let i = 0; i < 3 && typeof v !== 'function' && v && typeof v === 'object' && 'default' in v && v.default !== v; i++) v = v.default as { default?: unknown };
  return v as T;
}

// ajv (about 60 CommonJS files) is loaded on the first validator the cache cannot serve, and a
// cached validator loads only the runtime helpers its code requires: a run whose validators are
// all cached never loads ajv's compiler.
const requireLibrary = createRequire(import.meta.url);
let ajvLibrary: typeof import('ajv') | undefined;
const ajvModule = (): typeof import('ajv') => (ajvLibrary ??= requireLibrary('ajv') as typeof import('ajv'));
const standaloneCode = (ajv: Ajv, validate: ValidateFunction): string =>
  defaultExport<(ajv: Ajv, validate: ValidateFunction) => string>(requireLibrary('ajv/dist/standalone/index.js'))(ajv, validate);

/** The modules ajv's standalone code may require (it reads their `default`). */
const RUNTIME = new Set(['ajv/dist/runtime/equal', 'ajv/dist/runtime/ucs2length', 'ajv/dist/runtime/uri', 'ajv/dist/runtime/validation_error']);

function makeAjv(useDefaults: boolean): Ajv {
  const { Ajv, _ } = ajvModule();
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults, coerceTypes: false, validateSchema: false, verbose: true, code: { source: true } });
  // A Secret is branded with Symbol.for('converge.secret') (secret.ts), so that the check is
  // generated code, which the validator cache can keep.
  ajv.addKeyword({
    keyword: 'x-converge-secret',
    schemaType: 'boolean',
    code(cxt: KeywordCxt) {
      if (cxt.schema === true) cxt.fail(_`!(typeof ${cxt.data} == "object" && ${cxt.data} !== null && ${cxt.data}[Symbol.for("converge.secret")] === true)`);
    },
  });
  return ajv;
}

/**
 * Keeps the validators of params schemas on disk, keyed by the sha256 of the schema and of the
 * validator options: a later run loads each as code instead of compiling it with ajv (which
 * costs most of the validation of a run's first tasks). The directory holds code that runs, so it
 * must be private: made with mode 0700 when missing, and not used (validators are then compiled)
 * when it is a link, another user's, or open to group or others. The CLI enables it; without
 * it, every validator is compiled.
 *
 * @param dir - e.g. `~/.cache/converge/validators`; undefined turns the cache off.
 */
export function enableValidatorCache(dir: string | undefined): void {
  cacheDir = undefined;
  if (dir === undefined) return;
  try {
    if (privateDirProblem(dir) === undefined) cacheDir = dir;
  } catch {
    /* no cache */
  }
}

/** The validator of `schema` kept on disk, or undefined (none yet, or unreadable: it is compiled then). */
function cachedValidator(key: string): ValidateFunction | undefined {
  let code: string;
  try {
    code = readFileSync(join(cacheDir as string, `${key}.cjs`), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const module = { exports: {} as unknown };
    const require = (id: string): unknown => {
      if (!RUNTIME.has(id)) throw new Error(`not an ajv runtime module: ${id}`);
      return { default: defaultExport(requireLibrary(id)) };
    };
    new Function('require', 'module', 'exports', code)(require, module, module.exports);
    return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}

function validator(): Ajv {
  return (instance ??= makeAjv(true));
}

function compiled(schema: TSchema, forVars = false): ValidateFunction {
  const store = forVars ? varsCache : cache;
  let v = store.get(schema);
  if (v) return v;
  const typebox = typeof schema === 'object' && schema !== null && Kind in schema;
  // Only params validators are kept on disk: CODE_VERSION is that of the instance with defaults.
  const key = cacheDir && typebox && !forVars ? sha256Hex(`${CODE_VERSION}\0${JSON.stringify(schema)}`) : undefined;
  if (key) v = cachedValidator(key);
  if (!v) {
    const ajv = forVars ? (varsInstance ??= makeAjv(false)) : validator();
    // A schema built with TypeBox (it carries TypeBox's Kind) is valid JSON Schema by construction,
    // so it is not checked against the JSON Schema meta-schema: that check compiles the meta-schema
    // first, the largest part of the first compile of a run. A schema written by hand is still
    // checked, with the same error as before. packages/core/test/module-schemas.test.ts checks every
    // package module's schema (Type.Unsafe parts included) against the meta-schema.
    if (typeof schema !== 'object' || schema === null || !(Kind in schema)) ajv.validateSchema(schema, true);
    v = ajv.compile(schema);
    // Written while the run goes on; when it fails, the next run compiles it again.
    if (key) void atomicWrite(join(cacheDir as string, `${key}.cjs`), standaloneCode(ajv, v)).catch(() => undefined);
  }
  store.set(schema, v);
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

/**
 * Checks a host's vars against the vars schema a play or role declares (`varsSchema`), without
 * changing them (no defaults applied).
 *
 * @param where - names the play or role and the host, e.g. `play "web" on web1`.
 * @returns nothing when the vars fit.
 * @throws ConvergeError `CONVERGE_VARS` listing every var that is missing (`var http_port is not
 * defined`), of another type or out of range, with its value (secrets masked); the hint says
 * where vars come from.
 */
export function validateVars(schema: TSchema, vars: Record<string, unknown>, where: string): void {
  const validate = compiled(schema, true);
  if (validate(vars)) return;
  const errors = withoutBranchErrors(validate.errors ?? []);
  const problems = errors.map((e) => (e.keyword === 'required' && e.instancePath === '' ? `var ${(e.params as { missingProperty: string }).missingProperty} is not defined` : describe(e, vars).replace(/^\//, 'var ')));
  const stringly = errors.some((e) => e.keyword === 'type' && typeof valueAt(vars, e.instancePath) === 'string' && ['number', 'integer', 'boolean'].includes(String((e.params as { type?: unknown }).type)));
  throw new ConvergeError('CONVERGE_VARS', `${where}: the vars do not fit the declared varsSchema:\n  ${[...new Set(problems)].join('\n  ')}`, {
    hint: `define the vars in the inventory (group_vars/, host_vars/), the play's vars, the role's defaults or with -e${stringly ? '; a number or boolean written as text is a string: -e key=value gives strings (use -e \'{"key": 8080}\'), and so does a quoted YAML value' : ''}`,
  });
}

function valueAt(root: unknown, pointer: string): unknown {
  let value: unknown = root;
  for (const part of pointer.split('/').slice(1)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return value;
}

function describe(e: ErrorObject, root: unknown): string {
  const path = e.instancePath || '/';
  const value = valueAt(root, e.instancePath);
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

/**
 * A copy of a task's params that validation may change (ajv applies defaults in place) without
 * touching what the playbook holds: plain objects and arrays are copied deeply; anything else
 * (a `Secret`, a `Uint8Array`, a class instance) is kept as it is, so secrets stay secrets.
 */
export function cloneParams(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneParams);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneParams(x)]));
  }
  return v;
}
