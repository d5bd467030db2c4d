// Every package module's params schema is valid JSON Schema (draft-07, ajv's default meta-schema).
// validateParams does not check schemas built with TypeBox against the meta-schema at run time
// (they are valid by construction, and the check costs start-up time), so this test is where an
// invalid one, e.g. from Type.Unsafe or a wrong option, fails.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ModuleDefinition } from '@converge/core';
import { PACKAGES } from '../../../test/package-modules.js';


/** Every module a package exports: a value made by defineModule, at the top or one level down (`systemd.service`). */
function modulesOf(pkg: Record<string, unknown>): ModuleDefinition[] {
  const defs = new Set<ModuleDefinition>();
  const visit = (v: unknown, depth: number): void => {
    const def = typeof v === 'function' ? (v as { definition?: ModuleDefinition }).definition : undefined;
    if (def && typeof def.name === 'string' && def.params) defs.add(def);
    else if (depth === 0 && v && typeof v === 'object') for (const inner of Object.values(v)) visit(inner, 1);
  };
  for (const v of Object.values(pkg)) visit(v, 0);
  return [...defs];
}

describe('params schemas of every package module', () => {
  const ajv = new Ajv({ strict: false });
  for (const [pkgName, pkg] of PACKAGES) {
    const modules = modulesOf(pkg);
    it(`${pkgName} exports modules`, () => expect(modules.length).toBeGreaterThan(0));
    for (const def of modules) {
      it(`${pkgName}: ${def.name} is valid JSON Schema`, () => {
        const valid = ajv.validateSchema(def.params);
        expect(valid ? '' : ajv.errorsText(ajv.errors)).toBe('');
      });
    }
  }

  it('the check fails for an invalid schema', () => {
    expect(ajv.validateSchema({ type: 'object', properties: { port: { type: 'integer', minimum: '1' } } })).toBe(false);
  });
});
