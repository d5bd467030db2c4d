import type { ModuleDefinition, Task } from '@converge/core';
import { modulePackages, workspacePackages } from '../scripts/workspace.mjs';

/**
 * Every workspace package that exports modules (it declares `converge.modules` in its
 * package.json), as `[package name, its exports]`; `@converge/modules` first. Found, not listed:
 * a new service package is tested by the schema, fuzz and README tests by being there.
 */
export const PACKAGES: [string, Record<string, unknown>][] = await Promise.all(
  modulePackages(workspacePackages()).map(async (p): Promise<[string, Record<string, unknown>]> => [p.name, (await import(p.name)) as Record<string, unknown>]),
);

/** One module a package exports: its id, its definition, and the function that makes its tasks. */
export interface ExportedModule {
  id: string;
  definition: ModuleDefinition;
  make: (params: never, options?: never) => Task;
}

/**
 * Every module a package exports: a value made by defineModule, at the top or one level down
 * (`systemd.service`, `apt.repository`), each once, in export order.
 */
export function modulesOf(pkg: Record<string, unknown>): ExportedModule[] {
  const found = new Map<ModuleDefinition, ExportedModule>();
  const visit = (v: unknown, depth: number): void => {
    const def = typeof v === 'function' ? (v as { definition?: ModuleDefinition }).definition : undefined;
    if (def && typeof def.name === 'string' && def.params) {
      if (!found.has(def)) found.set(def, { id: def.name, definition: def, make: v as ExportedModule['make'] });
    }
    if (depth === 0 && v && (typeof v === 'object' || typeof v === 'function')) for (const inner of Object.values(v)) visit(inner, 1);
  };
  for (const v of Object.values(pkg)) visit(v, 0);
  return [...found.values()];
}
