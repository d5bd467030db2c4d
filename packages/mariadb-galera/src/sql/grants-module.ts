import { ConvergeError, Type, defineModule } from '@converge/core';
import type { Command, Static } from '@converge/core';
import { describeGrants, diffGrants, parseShowGrants, privilegeList, wantedGrants, type GrantDifference } from './grants.js';
import { accountName, mariadbClient } from './quote.js';
import { accountResource, mariadbAccount } from './server-facts.js';
import { STOPPED_REASON } from './user.js';
import { requirePrerequisite } from '@converge/modules';

/** One entry of `mariadb.grants`' `privileges`. */
export const GrantEntry = Type.Object(
  {
    on: Type.String({ minLength: 1, description: 'The object: `*.*`, `db.*`, `db.table` (backticks allowed), or `PROCEDURE db.name` / `FUNCTION db.name`.' }),
    privileges: Type.Array(Type.String({ minLength: 1 }), {
      description: 'Privileges as MariaDB names them (`SELECT`, `ALL`, `REPLICATION CLIENT`, column privileges as `SELECT (a, b)`); case, order, aliases and column order do not matter.',
    }),
    grant_option: Type.Optional(Type.Boolean({ default: false, description: 'WITH GRANT OPTION on this object.' })),
  },
  { additionalProperties: false },
);

/** Params of {@link mariadbGrants}. */
export const MariadbGrantsParams = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 128, description: 'User name of the account.' }),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, default: 'localhost', description: 'Host part of the account.' })),
    privileges: Type.Array(GrantEntry, { description: "The account's privileges, one entry per object." }),
    exclusive: Type.Optional(
      Type.Boolean({ default: true, description: 'Revoke privileges (and objects) not listed; `false` only adds what is missing.' }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `mariadb.grants`. */
export type MariadbGrantsParams = Static<typeof MariadbGrantsParams>;

/** The REVOKE and GRANT statements that turn the current grants into the wanted ones (revokes first). */
export function grantStatements(account: string, differences: readonly GrantDifference[]): string[] {
  const out: string[] = [];
  for (const d of differences) {
    if (d.revoke.length > 0) out.push(`REVOKE ${privilegeList(d.revoke)} ON ${d.on} FROM ${account}`);
    if (d.grantOption === false) out.push(`REVOKE GRANT OPTION ON ${d.on} FROM ${account}`);
  }
  for (const d of differences) {
    if (d.grant.length > 0 || d.grantOption === true) {
      out.push(`GRANT ${d.grant.length > 0 ? privilegeList(d.grant) : 'USAGE'} ON ${d.on} TO ${account}${d.grantOption === true ? ' WITH GRANT OPTION' : ''}`);
    }
  }
  return out;
}

/**
 * Module `mariadb.grants`: an account has exactly the given privileges (or at least them, with
 * `exclusive: false`).
 *
 * Grants are compared as sets, not as text the server rewrites (field cases C-23 and C-24): the
 * current grants come from `SHOW GRANTS` and are parsed, names are upper-cased and their aliases
 * resolved (`REPLICATION CLIENT` is printed `BINLOG MONITOR` since MariaDB 10.5), column lists
 * are split into one privilege per column, and a complete list of a level's privileges counts as
 * `ALL PRIVILEGES`, as the server prints it. Only the difference is applied, revokes first.
 * Role and PROXY grants are not managed. On Galera, run it on one node: grants replicate.
 *
 * Source: MariaDB Server docs, "GRANT", "REVOKE", "SHOW GRANTS", "SHOW PRIVILEGES".
 *
 * @example mariadbGrants({ user: 'app', host: '10.0.0.%', privileges: [{ on: 'app.*', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] }] })
 */
export const mariadbGrants = defineModule({
  name: 'mariadb.grants',
  description: "Set a MariaDB account's privileges.",
  params: MariadbGrantsParams,
  validate: (p) => {
    // Each item on its own, so that the message names the item at fault.
    for (const [i, item] of p.privileges.entries()) {
      try {
        wantedGrants([item]);
      } catch (e) {
        return `privileges[${i}]: ${(e as Error).message}`;
      }
    }
    return undefined;
  },
  facts: (p) => ({ account: mariadbAccount({ user: p.user, host: p.host ?? 'localhost' }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const a = facts.account;
    const id = `${p.user}@${p.host ?? 'localhost'}`;
    const wanted = wantedGrants(p.privileges);
    if (a.server === 'down' && upstreamChanged) return { changes: [], reason: STOPPED_REASON };
    if (!a.exists) {
      requirePrerequisite(false, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `mariadb.grants ${id}: ${a.server === 'running' ? 'the account does not exist' : 'the MariaDB server does not answer'}`, {
          hint: 'create the account with mariadb.user in an earlier task',
        }),
      );
      return { changes: [{ path: 'grants', before: {}, after: describeGrants(wanted) }], data: diffGrants(new Map(), wanted, p.exclusive ?? true) };
    }
    const current = parseShowGrants(a.grants);
    const differences = diffGrants(current, wanted, p.exclusive ?? true);
    if (differences.length === 0) return { changes: [], reason: `${id} has the privileges asked for` };
    return {
      changes: differences.map((d) => ({
        path: `grants.${d.on}`,
        before: describeGrants(new Map([[d.on, current.get(d.on) ?? { on: d.on, privileges: new Set<string>(), grantOption: false }]]))[d.on],
        after: wanted.has(d.on) ? describeGrants(new Map([[d.on, wanted.get(d.on)!]]))[d.on] : 'USAGE',
      })),
      data: differences,
    };
  },
  apply: ({ params: p, plan }) => {
    const account = accountName(p.user, p.host ?? 'localhost');
    const sql = grantStatements(account, plan.data);
    const steps: Command[] = [{ script: mariadbClient(), stdin: `${sql.join(';\n')};\n`, description: `grant privileges to ${p.user}@${p.host ?? 'localhost'}` }];
    return steps;
  },
  resources: (p) => [accountResource(p.user, p.host ?? 'localhost')],
});
