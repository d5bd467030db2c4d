import type { TSchema } from '@converge/core';

interface Schema {
  type?: string;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  patternProperties?: Record<string, Schema>;
  const?: unknown;
  default?: unknown;
  description?: string;
  'x-converge-secret'?: boolean;
}

/** One documented param: its dotted name (`a.b`, list items `a[].b`), short type, whether required, description. */
export interface ParamRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

function typeOf(s: Schema): string {
  if (s['x-converge-secret']) return 'Secret';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  if (s.type === 'array') return `${s.items && (s.items.anyOf || s.items.const !== undefined) ? `(${typeOf(s.items)})` : typeOf(s.items ?? {})}[]`;
  if (s.type === 'object' && s.patternProperties) return `Record<string, ${typeOf(Object.values(s.patternProperties)[0] ?? {})}>`;
  return s.type ?? 'unknown';
}

/**
 * Every param of a module's schema, nested objects as `a.b` and list items as `a[].b`, in schema
 * order, with the schema's description and default: the rows of a package README's param table.
 */
export function paramRows(schema: TSchema): ParamRow[] {
  const rows: ParamRow[] = [];
  const walk = (s: Schema, prefix: string) => {
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      const name = `${prefix}${key}`;
      const description = [child.description ?? '', child.default !== undefined && !/Default/.test(child.description ?? '') ? `Default ${JSON.stringify(child.default)}.` : '']
        .filter(Boolean)
        .join(' ');
      rows.push({ name, type: typeOf(child), required: (s.required ?? []).includes(key), description });
      if (child.type === 'object' && child.properties) walk(child, `${name}.`);
      if (child.type === 'array' && child.items?.properties) walk(child.items, `${name}[].`);
    }
  };
  walk(schema as unknown as Schema, '');
  return rows;
}

/** The Markdown table (`| param | type | required | description |`) of {@link paramRows}. */
export function paramTable(schema: TSchema): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| param | type | required | description |', '|---|---|---|---|'];
  for (const r of paramRows(schema)) lines.push(`| \`${r.name}\` | \`${esc(r.type)}\` | ${r.required ? 'yes' : ''} | ${esc(r.description)} |`);
  return `${lines.join('\n')}\n`;
}

/**
 * Checks that a README holds, between `<!-- params:MODULE -->` and `<!-- /params:MODULE -->`,
 * exactly the {@link paramTable} of each schema; with `update`, rewrites those blocks instead (and
 * appends a block under a `### module` heading for a module that has none).
 *
 * @returns the README text (rewritten when `update`) and one message per block that is missing or differs.
 */
export function checkParamTables(readme: string, schemas: Record<string, TSchema>, update = false): { text: string; problems: string[] } {
  let text = readme;
  const problems: string[] = [];
  for (const [module, schema] of Object.entries(schemas)) {
    const start = `<!-- params:${module} -->\n`;
    const end = `<!-- /params:${module} -->`;
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < i) {
      if (update) text = `${text.replace(/\n*$/, '\n')}\n### \`${module}\`\n\n${start}${paramTable(schema)}${end}\n`;
      else problems.push(`README needs a block ${start.trim()} ... ${end} (CONVERGE_UPDATE_FIXTURES=1 adds it at the end)`);
      continue;
    }
    const table = paramTable(schema);
    if (text.slice(i + start.length, j) !== table) {
      if (update) text = text.slice(0, i + start.length) + table + text.slice(j);
      else problems.push(`the ${module} param table differs from its schema (CONVERGE_UPDATE_FIXTURES=1 rewrites it):\n${table}`);
    }
  }
  return { text, problems };
}
