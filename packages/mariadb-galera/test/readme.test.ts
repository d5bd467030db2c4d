// The README documents every param of every module: its tables are generated from the schemas,
// and this test fails when they drift (print the expected tables with README_PRINT=1).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { TSchema } from '@converge/core';
import { galera, mariadb } from '@converge/mariadb-galera';

const MODULES = [mariadb.user, mariadb.grants, mariadb.database, galera.config, galera.bootstrap, galera.member, galera.restart];

type Schema = TSchema & { type?: string; anyOf?: Schema[]; const?: unknown; items?: Schema; properties?: Record<string, Schema>; required?: string[]; default?: unknown; description?: string; 'x-converge-secret'?: boolean; additionalProperties?: Schema | boolean };

function typeOf(s: Schema): string {
  if (s['x-converge-secret']) return 'Secret';
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.type === 'array') return `${typeOf(s.items as Schema)}[]`;
  if (s.type === 'object' && s.properties) return 'object';
  if (s.type === 'object') return `Record<string, ${typeof s.additionalProperties === 'object' ? typeOf(s.additionalProperties) : 'unknown'}>`;
  return s.type ?? 'unknown';
}

function rows(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const required = (schema.required ?? []).includes(name) ? 'yes' : '';
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    out.push(`| \`${prefix}${name}\` | ${typeOf(s)} | ${required} | ${def} | ${(s.description ?? '').replace(/\n/g, ' ').replace(/\|/g, '\\|')} |`);
    const item = s.type === 'array' ? s.items : s;
    if (item?.type === 'object' && item.properties) out.push(...rows(item, `${prefix}${name}${s.type === 'array' ? '[]' : ''}.`));
  }
  return out;
}

/** The params table of a module, as the README shows it. */
export function paramsTable(schema: Schema): string {
  return ['| param | type | required | default | description |', '|---|---|---|---|---|', ...rows(schema)].join('\n');
}

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  test.each(MODULES.map((m) => [m.definition.name, m] as const))('documents every param of %s', (name, m) => {
    const table = paramsTable(m.definition.params as Schema);
    if (process.env.README_PRINT === '1') console.log(`### \`${name}\`\n\n${table}\n`);
    const section = readme.split(/^### /m).find((s) => s.startsWith(`\`${name}\``));
    expect(section, `README has a "### \`${name}\`" section`).toBeDefined();
    expect(section).toContain(table);
  });
  test('the typed example is the one the tests compile', () => {
    expect(readme).toContain("import { databaseClusterPlays } from '@converge/role-database-cluster';");
  });
});
