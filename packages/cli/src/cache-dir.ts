import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where converge keeps what it computes once for many runs (compiled params validators):
 * `CONVERGE_CACHE_DIR`, else `$XDG_CACHE_HOME/converge`, else `~/.cache/converge` (XDG Base
 * Directory Specification). An empty `CONVERGE_CACHE_DIR` turns the cache off.
 */
export function convergeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env['CONVERGE_CACHE_DIR'];
  if (set !== undefined) return set === '' ? undefined : set;
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'converge');
}
