import { ConvergeError } from './errors.js';
import { Secret } from './secret.js';

const LOOKUP = Symbol.for('converge.vault.lookup');

/** What one Vault lookup reads: a KV secret's field. */
export interface VaultRef {
  /** API path under `/v1/`, e.g. `kv/data/db` (KV v2) or `secret/db` (KV v1). */
  path: string;
  /** Field of the secret's data. */
  field: string;
  /** KV v2 version to read (default: the latest). Only with KV v2. */
  version?: number;
  /** KV engine version: 2 when `path` has a `data/` segment after the mount, else 1, unless given. */
  kv: 1 | 2;
}

/** Options of {@link vault}. */
export interface VaultLookupOptions {
  version?: number;
  /** KV engine version, when the path does not say (a KV v2 path without `data/` gets it inserted after the mount). */
  kv?: 1 | 2;
}

/** A {@link Secret} whose value comes from Vault, read before any host is contacted. */
export class VaultLookup extends Secret {
  readonly [LOOKUP] = true;
  readonly ref: VaultRef;
  /** Stable identity of what is read (`path#field@version`); the per-run cache key. */
  readonly key: string;

  constructor(ref: VaultRef) {
    const key = lookupKey(ref);
    super(() => activeValue(key));
    this.ref = ref;
    this.key = key;
  }
}

/** True for a {@link VaultLookup}, also one made by another copy of this package. */
export function isVaultLookup(v: unknown): v is VaultLookup {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[LOOKUP] === true;
}

/**
 * A Vault KV lookup usable wherever a value is: play/role vars, inventory vars, task params,
 * template vars. It is a lazy {@link Secret}: converge reads every lookup of a run from Vault once
 * (cached per run) before it contacts any host, and masks the value in every output.
 *
 * `spec` is `PATH#FIELD`, optionally `PATH#FIELD@VERSION`; a path with a `data/` segment after the
 * mount is KV v2 (`kv/data/db`), any other is KV v1 (`secret/db`). Sources: Vault API docs,
 * "KV secrets engine - version 1" and "version 2" (`GET /v1/:mount/data/:path?version=N`).
 *
 * @throws ConvergeError `CONVERGE_VAULT` for a spec without a path or field, or a bad version.
 * @example
 * vars: { db_password: vault('kv/data/db#password') }
 * vault('kv/data/db#password@3')             // version 3
 * vault('kv/db#password', { kv: 2 })         // same as kv/data/db#password
 */
export function vault(spec: string, options: VaultLookupOptions = {}): VaultLookup {
  return new VaultLookup(parseVaultSpec(spec, options));
}

/** Parses a {@link vault} spec. @throws ConvergeError `CONVERGE_VAULT` when it is malformed. */
export function parseVaultSpec(spec: string, options: VaultLookupOptions = {}): VaultRef {
  const m = /^\/?([^#]+?)\/?#([^@#]+)(?:@(\d+))?$/.exec(spec.trim());
  if (!m) {
    throw new ConvergeError('CONVERGE_VAULT', `vault lookup ${JSON.stringify(spec)} is not PATH#FIELD[@VERSION]`, { hint: "write e.g. vault('kv/data/db#password')" });
  }
  let path = (m[1] as string).replace(/^v1\//, '');
  const field = m[2] as string;
  const version = m[3] !== undefined ? Number(m[3]) : options.version;
  const segments = path.split('/');
  let kv: 1 | 2 = options.kv ?? (segments.length > 2 && segments[1] === 'data' ? 2 : 1);
  if (kv === 2 && segments[1] !== 'data') path = [segments[0], 'data', ...segments.slice(1)].join('/');
  if (version !== undefined) {
    if (!Number.isInteger(version) || version < 1) throw new ConvergeError('CONVERGE_VAULT', `vault lookup ${JSON.stringify(spec)}: version must be a whole number >= 1`);
    if (kv === 1) throw new ConvergeError('CONVERGE_VAULT', `vault lookup ${JSON.stringify(spec)}: versions exist only in KV v2`, { hint: 'use a kv/data/... path' });
  }
  return { path, field, kv, ...(version !== undefined ? { version } : {}) };
}

/** `path#field` or `path#field@version`. */
export function lookupKey(ref: Pick<VaultRef, 'path' | 'field' | 'version'>): string {
  return `${ref.path}#${ref.field}${ref.version !== undefined ? `@${ref.version}` : ''}`;
}

const GLOBAL = Symbol.for('converge.vault.values');
const values: Map<string, string> = ((globalThis as Record<symbol, unknown>)[GLOBAL] ??= new Map<string, string>()) as Map<string, string>;

function activeValue(key: string): string {
  const v = values.get(key);
  if (v === undefined) {
    throw new ConvergeError('CONVERGE_VAULT', `vault lookup ${key} was used before converge read it from Vault`, {
      hint: 'put the lookup in vars, inventory vars or static params (they are read before the run); a lookup made inside a params function must also appear in vars',
    });
  }
  return v;
}

/** Stores read values for this process's run (see {@link resolveVaultLookups}). @internal */
export function storeVaultValue(key: string, value: string): void {
  values.set(key, value);
}

/** Forgets every value read (a new run reads again). */
export function clearVaultValues(): void {
  values.clear();
}

/** True when `key` was read in this run. @internal */
export function hasVaultValue(key: string): boolean {
  return values.has(key);
}
