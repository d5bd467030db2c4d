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

/** A short type of a schema: `string`, `"http" | "tcp"`, `Bind[]`-style `object[]`, `string | Secret`. */
function typeOf(s: Schema): string {
  if (s['x-converge-secret']) return 'Secret';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  if (s.type === 'array') return `${s.items && (s.items.anyOf || s.items.const !== undefined) ? `(${typeOf(s.items)})` : typeOf(s.items ?? {})}[]`;
  if (s.type === 'object' && s.patternProperties) return `Record<string, ${typeOf(Object.values(s.patternProperties)[0] ?? {})}>`;
  return s.type ?? 'unknown';
}

/** Every param of a module's schema, nested ones as `a.b`, list items as `a[].b`, in schema order. */
export function paramRows(schema: TSchema): { name: string; type: string; required: boolean; description: string }[] {
  const rows: { name: string; type: string; required: boolean; description: string }[] = [];
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

/** The Markdown table of {@link paramRows}. */
export function paramTable(schema: TSchema): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| param | type | required | description |', '|---|---|---|---|'];
  for (const r of paramRows(schema)) lines.push(`| \`${r.name}\` | \`${esc(r.type)}\` | ${r.required ? 'yes' : ''} | ${esc(r.description)} |`);
  return `${lines.join('\n')}\n`;
}
