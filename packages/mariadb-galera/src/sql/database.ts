import { ConvergeError, Type, defineModule } from '@converge/core';
import type { Change, Static } from '@converge/core';
import { mariadbClient, sqlIdent } from './quote.js';
import { mariadbSchema, schemaResource } from './server-facts.js';
import { STOPPED_REASON } from './user.js';
import { requirePrerequisite } from '@converge/modules';

/** Params of {@link mariadbDatabase}. */
export const MariadbDatabaseParams = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'Database name.' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`absent` drops the database and everything in it.' })),
    encoding: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]+$', description: 'Default character set, e.g. `utf8mb4`; absent: the server default on create, unchanged after.' })),
    collation: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]+$', description: 'Default collation, e.g. `utf8mb4_unicode_ci`; absent: the character set\'s default on create, unchanged after.' })),
  },
  { additionalProperties: false },
);

/** Params of `mariadb.database`. */
export type MariadbDatabaseParams = Static<typeof MariadbDatabaseParams>;

/**
 * Module `mariadb.database`: a database exists with a default character set and collation, or is
 * dropped. On Galera, run it on one node: DDL replicates (total order isolation).
 *
 * Source: MariaDB Server docs, "CREATE DATABASE", "ALTER DATABASE", "DROP DATABASE",
 * "Information Schema SCHEMATA Table".
 *
 * @example mariadbDatabase({ name: 'app', encoding: 'utf8mb4', collation: 'utf8mb4_unicode_ci' })
 */
export const mariadbDatabase = defineModule({
  name: 'mariadb.database',
  description: 'Create, alter or drop a MariaDB database.',
  params: MariadbDatabaseParams,
  facts: (p) => ({ schema: mariadbSchema({ name: p.name }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const s = facts.schema;
    requirePrerequisite(s.server === 'running', upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `mariadb.database ${p.name}: the MariaDB server ${s.server === 'absent' ? 'is not installed' : 'does not answer on its local socket'}`),
    );
    if (s.server === 'down') return { changes: [], reason: STOPPED_REASON.replace('accounts', 'databases') };
    if ((p.state ?? 'present') === 'absent') {
      return s.exists ? { changes: [{ path: 'state', before: 'present', after: 'absent' }] } : { changes: [], reason: `database ${p.name} does not exist` };
    }
    if (!s.exists) return { changes: [{ path: 'state', before: 'absent', after: 'present' }] };
    const changes: Change[] = [];
    if (p.encoding !== undefined && p.encoding.toLowerCase() !== s.charset) changes.push({ path: 'encoding', before: s.charset, after: p.encoding.toLowerCase() });
    if (p.collation !== undefined && p.collation.toLowerCase() !== s.collation) changes.push({ path: 'collation', before: s.collation, after: p.collation.toLowerCase() });
    return changes.length > 0 ? { changes } : { changes: [], reason: `database ${p.name} exists as asked` };
  },
  apply: ({ params: p, plan }) => {
    const options = `${p.encoding ? ` CHARACTER SET ${p.encoding}` : ''}${p.collation ? ` COLLATE ${p.collation}` : ''}`;
    const creating = plan.changes.some((c) => c.path === 'state' && c.after === 'present');
    const sql =
      (p.state ?? 'present') === 'absent'
        ? `DROP DATABASE ${sqlIdent(p.name)}`
        : creating
          ? `CREATE DATABASE ${sqlIdent(p.name)}${options}`
          : `ALTER DATABASE ${sqlIdent(p.name)}${options}`;
    return [{ script: mariadbClient(), stdin: `${sql};\n`, description: `${sql.split(' ')[0]?.toLowerCase()} database ${p.name}` }];
  },
  resources: (p) => [schemaResource(p.name)],
});
