import { isVaultLookup, storeVaultValue, hasVaultValue, type VaultLookup } from '@converge/core';
import { VaultClient, type VaultClientOptions } from './client.js';

/** Options of {@link resolveVaultLookups}. */
export interface ResolveVaultOptions extends VaultClientOptions {
  /** A connected client to use instead of connecting with the options (tests, custom auth). */
  client?: VaultClient;
}

/**
 * Finds every {@link vault} lookup in `roots` (deep: plain objects, arrays, Maps, Sets and
 * class instances such as the inventory model and playbook; functions are not called) and reads
 * each distinct one from Vault once, so that they reveal their value during the run. Call it
 * before the run contacts any host (the CLI does, after loading inventory and playbook). Does
 * nothing, and does not connect, when there is no lookup.
 *
 * @returns the number of distinct lookups read.
 * @throws ConvergeError `CONVERGE_VAULT` (see {@link VaultClient}) naming the lookup that failed.
 */
export async function resolveVaultLookups(roots: unknown[], options: ResolveVaultOptions = {}): Promise<number> {
  const found = new Map<string, VaultLookup>();
  const seen = new WeakSet<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > 64) return;
    if (isVaultLookup(v)) {
      if (!found.has(v.key)) found.set(v.key, v);
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) return;
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k, depth + 1);
        visit(x, depth + 1);
      }
      return;
    }
    if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    if (isProxyLike(v)) return;
    for (const x of Object.values(v)) visit(x, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  const pending = [...found.values()].filter((l) => !hasVaultValue(l.key));
  if (pending.length === 0) return 0;
  const client = options.client ?? (await VaultClient.connect(options));
  try {
    for (const l of pending) storeVaultValue(l.key, await client.readField(l.ref));
  } finally {
    if (!options.client) client.close();
  }
  return pending.length;
}

function isProxyLike(v: object): boolean {
  // Getters of lazy structures (hostvars) are not walked: Object.values on them could compute.
  try {
    Object.values(v);
    return false;
  } catch {
    return true;
  }
}
