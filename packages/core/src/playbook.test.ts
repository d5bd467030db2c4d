import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { definePlay, definePlaybook, defineRole, useRole, type RoleDefinition } from './playbook.js';

const WebVars = Type.Object({ http_port: Type.Integer() });

describe('definePlaybook', () => {
  it('gives a vars schema to each of its plays that declares none', () => {
    const own = Type.Object({ other: Type.String() });
    const pb = definePlaybook(WebVars, [
      { name: 'a', hosts: 'web', tasks: [] },
      { name: 'b', hosts: 'web', tasks: [], varsSchema: own as never },
    ]);
    expect(pb.plays.map((p) => p.varsSchema)).toEqual([WebVars, own]);
  });

  it('takes plays that declare different vars (definePlay)', () => {
    const DbVars = Type.Object({ db_name: Type.String() });
    const pb = definePlaybook([definePlay(WebVars, { name: 'web', hosts: 'web', tasks: [] }), definePlay(DbVars, { name: 'db', hosts: 'db', tasks: [] }), { name: 'all', hosts: 'all' }]);
    expect(pb.plays.map((p) => p.varsSchema)).toEqual([WebVars, DbVars, undefined]);
  });

  it('records where it was called', () => {
    const pb = definePlaybook({ name: 'a', hosts: 'web', tasks: [] });
    expect(pb.site?.file).toBe(import.meta.filename);
    expect(pb.site?.line).toBe(24);
  });

  it.each([
    [[Type.String(), { name: 'a', hosts: 'web' }], /must be an object schema/],
    [[{ name: 'a', hosts: '' }], /needs a "hosts" pattern/],
  ])('refuses %j', (args, message) => {
    expect(() => (definePlaybook as (...a: unknown[]) => unknown)(...args)).toThrow(message);
  });
});

describe('defineRole and useRole', () => {
  it('defineRole(schema, role) keeps the schema on the role', () => {
    const role = defineRole(WebVars, { name: 'web', tasks: [] });
    expect(role.varsSchema).toBe(WebVars);
  });

  it("records the line that uses the role: the first caller outside the role's folder", () => {
    const inRole = (role: RoleDefinition) => useRole(role, { http_port: 80 });
    const here = defineRole({ name: 'x', tasks: [] });
    // The helper is in this file: with the role's folder elsewhere, the helper's own line is the site.
    expect(inRole({ ...here, baseDir: '/elsewhere' })).toMatchObject({ vars: { http_port: 80 }, site: { file: import.meta.filename, line: 44 } });
    // With the role's folder here, the helper is skipped and its caller (vitest's runner) is the site.
    const use = inRole({ ...here, baseDir: import.meta.dirname }) as { site?: { file: string } };
    expect(use.site?.file).not.toBe(import.meta.filename);
  });
});
