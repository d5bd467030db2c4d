import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { PluginConfig } from '../../src/plugin-config.js';
import type { SourceContext } from '../../src/plugin.js';

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A source context for settings as a YAML source file would give them. */
export function sourceContext(values: Record<string, unknown>, env: NodeJS.ProcessEnv, refresh = false, file = '/inventory/source.yml'): SourceContext {
  return { config: new PluginConfig(file, values), refresh, env };
}
