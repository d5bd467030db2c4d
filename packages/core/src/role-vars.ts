import { ConvergeError } from './errors.js';
import { maskValue } from './secret.js';

/**
 * Every var of a role's vars object `T`, listed once: `true` for a var the role reads as it is
 * (a string, a Secret, or module params, which their module's schema checks), or the known vars
 * of a nested object the role defines itself, or `[known]` for a list of such objects. The key
 * list is complete by type: a var added to `T` and left out here does not compile, and a key
 * that is not in `T` does not either.
 *
 * @example
 * const KNOWN: KnownVars<AppVars> = { version: true, database: { addresses: [{ host: true, port: true }], name: true, user: true, password: true }, sentry: { dsn: true, environment: true } };
 */
export type KnownVars<T> = { readonly [K in keyof T]-?: KnownVar<NonNullable<T[K]>> };

/** One entry of {@link KnownVars}: `true`, a nested object's known vars, or those of a list's items. */
export type KnownVar<V> = true | (V extends readonly (infer E)[] ? readonly [KnownVars<E>] : V extends object ? KnownVars<V> : never);

// A mapping as YAML, JSON or an object literal gives it: not a list, a Secret or another class's instance.
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * Refuses a var a role does not know under its own var (`load_balancer.backend_prot` for
 * `backend_port`), which would otherwise be left out without a word. Only the role's own vars
 * object is checked, never the host's other vars; nested objects marked `true` (module params)
 * are left to their module's schema. Call it where the role reads the var, so that
 * `converge validate` and a run's planning refuse it before any host is touched.
 *
 * @param role - the role's name, e.g. `load-balancer`.
 * @param name - the var's name, e.g. `load_balancer`; nested paths are reported under it.
 * @param value - the var's value for the host (absent vars are the caller's to default).
 * @param known - the vars the role knows ({@link KnownVars}).
 * @returns `value`, typed.
 * @throws ConvergeError `CONVERGE_VARS` naming the var's full path (`load_balancer.backend_prot`,
 * `app.database.addresses[0].hots`), the role and the known vars at that level; or naming a var
 * that should be an object or a list and is not.
 */
export function checkRoleVars<T>(role: string, name: string, value: unknown, known: KnownVars<T>): T {
  checkLevel(role, name, value, known as Readonly<Record<string, unknown>>);
  return value as T;
}

function checkLevel(role: string, path: string, value: unknown, known: Readonly<Record<string, unknown>>): void {
  if (!isMapping(value)) {
    throw new ConvergeError('CONVERGE_VARS', `role ${role}: ${path} is not an object (got ${Array.isArray(value) ? 'a list' : JSON.stringify(maskValue(value)) ?? typeof value})`, {
      hint: `give ${path} as a mapping of: ${Object.keys(known).join(', ')}`,
    });
  }
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(known, key)) {
      throw new ConvergeError('CONVERGE_VARS', `role ${role}: ${path}.${key} is not a var of the role (known: ${Object.keys(known).join(', ')})`, {
        hint: `correct the spelling of ${path}.${key} or remove it`,
      });
    }
    const entry = known[key];
    if (entry === true || v === undefined) continue;
    if (Array.isArray(entry)) {
      if (!Array.isArray(v)) throw new ConvergeError('CONVERGE_VARS', `role ${role}: ${path}.${key} is not a list`, { hint: `give ${path}.${key} as a list of mappings` });
      v.forEach((item, i) => checkLevel(role, `${path}.${key}[${i}]`, item, entry[0] as Readonly<Record<string, unknown>>));
      continue;
    }
    checkLevel(role, `${path}.${key}`, v, entry as Readonly<Record<string, unknown>>);
  }
}
