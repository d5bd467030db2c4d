import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConvergeError, isPlaybook, type Playbook } from '@converge/core';

/**
 * Loads a TypeScript (or JavaScript) playbook module with jiti and returns its default export.
 * jiti keeps a transpile cache, so a second load of an unchanged playbook is fast.
 *
 * @throws ConvergeError CONVERGE_PLAYBOOK when the file is missing, does not compile or load
 * (with the loader's message and location), or its default export is not a playbook.
 */
export async function loadPlaybook(path: string): Promise<{ playbook: Playbook; path: string }> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConvergeError('CONVERGE_PLAYBOOK', `playbook not found: ${path}`);
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { interopDefault: true, fsCache: true, moduleCache: true });
  let mod: unknown;
  try {
    mod = await jiti.import(abs);
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    throw new ConvergeError('CONVERGE_PLAYBOOK', `cannot load playbook ${path}: ${err.message}`, {
      cause: e,
      location: { file: abs, ...(err.loc ? { line: err.loc.line, column: err.loc.column + 1 } : {}) },
    });
  }
  const candidate = (mod as { default?: unknown })?.default ?? mod;
  if (!isPlaybook(candidate)) {
    throw new ConvergeError('CONVERGE_PLAYBOOK', `${path} must default-export a playbook`, {
      hint: "write `export default definePlaybook([...])` (import { definePlaybook } from '@converge/core')",
    });
  }
  return { playbook: candidate, path: abs };
}
