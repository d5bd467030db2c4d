import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite, sha256Hex, stableJson } from '@converge/core';
import type { InventoryDocument } from './document.js';

/** How a source caches its result on disk. */
export interface CacheSettings {
  /** Directory of the cache files; default `$XDG_CACHE_HOME/converge/inventory` or `~/.cache/converge/inventory`. */
  dir?: string;
  /** Seconds a result stays fresh; 0 turns the cache off. */
  ttlSeconds: number;
  /** Read the source again even when the cache is fresh (`--refresh-inventory`); the new result is cached. */
  refresh?: boolean;
}

interface CacheFile {
  version: 1;
  /** Unix time in milliseconds. */
  createdAt: number;
  source: string;
  document: InventoryDocument;
}

/** The default cache directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'converge', 'inventory');
}

/**
 * The cache file of a source: named by the plugin and a SHA-256 of the source path and its
 * settings (credential settings as written, `{ env: NAME }`, never their values: a
 * {@link Secret} renders as its mask).
 */
export function cacheFile(dir: string, plugin: string, source: string, settings: unknown): string {
  const key = sha256Hex(stableJson({ plugin, source, settings })).slice(0, 32);
  return join(dir, `${plugin}-${key}.json`);
}

/**
 * Returns the cached document of a source when it is fresh, else reads it with `load` and
 * caches it (a 0600 file written atomically). The document holds what the source gives hosts
 * (names, addresses, metadata), never a credential: sources keep credentials out of host vars.
 * A cache file that cannot be read or parsed is read again from the source.
 */
export async function cached(settings: CacheSettings, where: { file: string; source: string }, load: () => Promise<InventoryDocument>, now: () => number = Date.now): Promise<{ document: InventoryDocument; fromCache: boolean }> {
  const { file, source } = where;
  if (settings.ttlSeconds <= 0) return { document: await load(), fromCache: false };
  if (!settings.refresh) {
    const hit = await readFile(file, 'utf8')
      .then((t) => JSON.parse(t) as CacheFile)
      .catch(() => undefined);
    if (hit?.version === 1 && typeof hit.createdAt === 'number' && now() - hit.createdAt < settings.ttlSeconds * 1000 && hit.document?._meta) {
      return { document: hit.document, fromCache: true };
    }
  }
  const document = await load();
  const body: CacheFile = { version: 1, createdAt: now(), source, document };
  await atomicWrite(file, `${JSON.stringify(body)}\n`);
  return { document, fromCache: false };
}
