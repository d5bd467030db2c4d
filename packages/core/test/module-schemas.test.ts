// Every package module's params schema is valid JSON Schema (draft-07, ajv's default meta-schema).
// validateParams does not check schemas built with TypeBox against the meta-schema at run time
// (they are valid by construction, and the check costs start-up time), so this test is where an
// invalid one, e.g. from Type.Unsafe or a wrong option, fails.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { PACKAGES, modulesOf } from '../../../test/package-modules.js';

describe('params schemas of every package module', () => {
  const ajv = new Ajv({ strict: false });
  for (const [pkgName, pkg] of PACKAGES) {
    const modules = modulesOf(pkg).map((m) => m.definition);
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
