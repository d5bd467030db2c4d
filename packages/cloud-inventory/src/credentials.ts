import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConvergeError, isSecret, Secret, type SourceLocation } from '@converge/core';

/**
 * Where an inventory source reads a credential: a {@link Secret} (TypeScript, or an
 * ansible-vault `!vault` value decrypted by the loader), an environment variable, a file
 * (its first line; the file must not be readable by group or others), or a HashiCorp Vault KV
 * field (`PATH#FIELD`, read through the lookup the caller provides).
 */
export type CredentialSpec = Secret | { env: string } | { file: string } | { vault: string };

/** Context of {@link resolveCredential}. */
export interface CredentialContext {
  /** The setting's name, for messages (`application_secret`). */
  name: string;
  /** Environment variable read when the setting is absent, e.g. `OVH_APPLICATION_SECRET`. */
  envDefault?: string;
  /** Where the setting is in the source file. */
  location: SourceLocation;
  /** Reads a Vault KV field (`PATH#FIELD`) as a Secret; absent where no Vault client is set up. */
  readVault?: (spec: string) => Promise<Secret>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads one credential as a {@link Secret}, or undefined when it is absent everywhere.
 *
 * A plain string is refused: a credential written in clear in an inventory file would end up in
 * version control. The value never appears in an error.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for a malformed spec, a missing or empty variable or
 *   file, a file readable by group or others; `CONVERGE_VAULT` from the Vault lookup.
 */
export async function resolveCredential(spec: unknown, ctx: CredentialContext): Promise<Secret | undefined> {
  const env = ctx.env ?? process.env;
  const fail = (message: string, hint?: string): never => {
    throw new ConvergeError('CONVERGE_INVENTORY', `${ctx.name}: ${message}`, { location: ctx.location, ...(hint ? { hint } : {}) });
  };
  if (spec === undefined || spec === null) {
    if (!ctx.envDefault) return undefined;
    const v = env[ctx.envDefault];
    return v ? new Secret(v) : undefined;
  }
  if (isSecret(spec)) return spec as Secret;
  if (typeof spec === 'string') {
    return fail('a credential may not be written in clear in an inventory source', 'write { env: VARIABLE }, { file: PATH }, { vault: "PATH#FIELD" } or an ansible-vault !vault value');
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) return fail('must be { env: VARIABLE }, { file: PATH } or { vault: "PATH#FIELD" }');
  const keys = Object.keys(spec);
  if (keys.length !== 1) return fail(`must have exactly one of env, file, vault (found ${keys.join(', ') || 'none'})`);
  const [key] = keys as [string];
  const value = (spec as Record<string, unknown>)[key];
  if (typeof value !== 'string' || value === '') return fail(`${key} must be a non-empty string`);
  if (key === 'env') {
    const v = env[value];
    if (!v) return fail(`the environment variable ${value} is not set or empty`, `export ${value} before running converge`);
    return new Secret(v);
  }
  if (key === 'file') {
    const path = isAbsolute(value) ? value : resolve(dirname(ctx.location.file), value);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) return fail(`the file ${path} does not exist`);
    if ((st.mode & 0o077) !== 0) return fail(`the file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
    const first = (await readFile(path, 'utf8')).split(/\r?\n/)[0] ?? '';
    if (first === '') return fail(`the file ${path} is empty`);
    return new Secret(first);
  }
  if (key === 'vault') {
    if (!ctx.readVault) return fail('a Vault lookup needs a Vault client (the converge command line sets one up from VAULT_ADDR)');
    return (ctx.readVault as (s: string) => Promise<Secret>)(value);
  }
  return fail(`unknown credential source "${key}"; use env, file or vault`);
}
