/**
 * The value of a missing variable or attribute, as Jinja2's `StrictUndefined` (which Ansible
 * uses): it may be passed around and tested with `is defined`, `is undefined` and `default`,
 * but printing, testing for truth, iterating, comparing or computing with it is an error.
 * Source: Jinja2 docs, "Undefined Types"; Ansible docs, "Handling undefined variables".
 *
 * Like Ansible's `AnsibleUndefined`, an attribute of an Undefined is again an Undefined, so
 * `a.b.c is defined` is false (not an error) when `a` is missing.
 */
export class Undefined {
  /** The expression as written, e.g. `port` or `server.port`. */
  readonly expression: string;
  /** Jinja2's wording, e.g. `'port' is undefined` or `'dict object' has no attribute 'port'`. */
  readonly reason: string;
  constructor(expression: string, reason: string) {
    this.expression = expression;
    this.reason = reason;
  }
}

/** Thrown when an {@link Undefined} is used; the renderer adds the file and line. */
export class UndefinedVariableError extends Error {
  readonly expression: string;
  readonly reason: string;
  constructor(u: Undefined) {
    const message = u.reason === `'${u.expression}' is undefined` ? u.reason : `'${u.expression}' is undefined: ${u.reason}`;
    super(message);
    this.name = 'UndefinedVariableError';
    this.expression = u.expression;
    this.reason = u.reason;
  }
}

/** True when `v` is an {@link Undefined}. */
export function isUndefined(v: unknown): v is Undefined {
  return v instanceof Undefined;
}

/** Throws the {@link UndefinedVariableError} of `u`. */
export function throwUndefined(u: Undefined): never {
  throw new UndefinedVariableError(u);
}

/** Returns `v` unchanged, or throws when it is an {@link Undefined} (or JavaScript `undefined`). */
export function strict<T>(v: T, what = 'value'): Exclude<T, Undefined> {
  if (v instanceof Undefined) throwUndefined(v);
  if (v === undefined) throwUndefined(new Undefined(what, `'${what}' is undefined`));
  return v as Exclude<T, Undefined>;
}
