import type { Secret } from '@converge/core';
import { cacheFile, cached, defaultCacheDir } from './cache.js';
import type { InventoryDocument } from './document.js';
import type { PluginConfig } from './plugin-config.js';

/** What the inventory loader gives a source plugin. */
export interface SourceContext {
  config: PluginConfig;
  /** `--refresh-inventory`: read the provider again even when the cache is fresh. */
  refresh: boolean;
  /** Reads a HashiCorp Vault KV field (`PATH#FIELD`) as a Secret, where a Vault client is set up. */
  readVault?: (spec: string) => Promise<Secret>;
  env: NodeJS.ProcessEnv;
}

/** Which address of a host becomes `ansible_host`. */
export type AddressChoice = 'private-first' | 'private' | 'public';

/** Settings every cloud source shares. */
export interface CommonSettings {
  address: AddressChoice;
  hostname: 'name' | 'id';
  /** Prefix of every group the source makes, e.g. `ovh_` (`ovh_region_gra11`). */
  groupPrefix: string;
  /** Timeout of each API request, in milliseconds. */
  timeoutMs: number;
  cacheTtlSeconds: number;
  cacheDir: string;
}

/** The keys of {@link CommonSettings} in a source file. */
export const COMMON_KEYS = ['plugin', 'address', 'hostname', 'group_prefix', 'timeout', 'cache_ttl', 'cache_dir'] as const;

/** Reads the {@link CommonSettings} of a source file; `prefix` is the plugin's default group prefix. */
export function commonSettings(c: PluginConfig, prefix: string, env: NodeJS.ProcessEnv): CommonSettings {
  return {
    address: c.oneOf('address', ['private-first', 'private', 'public'] as const, 'private-first'),
    hostname: c.oneOf('hostname', ['name', 'id'] as const, 'name'),
    groupPrefix: c.values['group_prefix'] === '' ? '' : (c.string('group_prefix', prefix) as string),
    timeoutMs: c.number('timeout', 30, 0.1) * 1000,
    cacheTtlSeconds: c.number('cache_ttl', 300, 0),
    cacheDir: c.string('cache_dir', defaultCacheDir(env)) as string,
  };
}

/**
 * Reads a source through its disk cache ({@link cached}); the cache key is the source file and
 * its settings as written.
 */
export function readThroughCache(ctx: SourceContext, common: CommonSettings, load: () => Promise<InventoryDocument>): Promise<InventoryDocument> {
  const plugin = String(ctx.config.values['plugin']);
  const file = cacheFile(common.cacheDir, plugin, ctx.config.file, ctx.config.values);
  return cached({ dir: common.cacheDir, ttlSeconds: common.cacheTtlSeconds, refresh: ctx.refresh }, { file, source: ctx.config.file }, load).then((r) => r.document);
}

/** Picks `ansible_host` from a host's private and public addresses. @returns undefined when the choice finds none. */
export function pickAddress(choice: AddressChoice, privateAddress: string | undefined, publicAddress: string | undefined): string | undefined {
  if (choice === 'public') return publicAddress;
  if (choice === 'private') return privateAddress;
  return privateAddress ?? publicAddress;
}
