import { ConvergeError, SecretValue, Type, defineModule, secret } from '@converge/core';
import type { Change, Command, Plan, Secret, Static } from '@converge/core';
import { authMethods, authenticationString, type AuthPlugin } from './auth.js';
import { accountName, mariadbClient, sqlString } from './quote.js';
import { accountResource, mariadbAccount, type AccountInfo } from './server-facts.js';
import { requirePrerequisite } from '@converge/modules';

/** Params of {@link mariadbUser}. */
export const MariadbUserParams = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'User name of the account (the part before `@`).' }),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, default: 'localhost', description: "Host part of the account: a name, an IP, a pattern such as `10.0.0.%`, or `%` for any host." })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: the account exists with this authentication; `absent`: it is dropped.' })),
    password: Type.Optional(SecretValue()),
    plugin: Type.Optional(
      Type.Union([Type.Literal('mysql_native_password'), Type.Literal('ed25519'), Type.Literal('unix_socket')], {
        default: 'mysql_native_password',
        description: 'Authentication plugin. `mysql_native_password` and `ed25519` need `password`; `unix_socket` lets the operating-system user of the same name in over the local socket and takes none.',
      }),
    ),
    update_password: Type.Optional(
      Type.Union([Type.Literal('always'), Type.Literal('on_create')], { default: 'always', description: '`always`: a different password is set; `on_create`: the password is only set when the account is created.' }),
    ),
  },
  { additionalProperties: false },
);
(MariadbUserParams.properties.password as { description?: string }).description = 'The password, as a Secret. Only its hash (what the plugin stores) is sent to the server, on the client\'s stdin.';

/** Params of `mariadb.user`. */
export type MariadbUserParams = Static<typeof MariadbUserParams>;

/**
 * Check mode, when an earlier task starts a stopped server: its accounts cannot be read before it
 * runs; a server that has data is taken to have them already (a fresh install, `absent`, has none).
 */
export const STOPPED_REASON = 'check mode: the server is stopped and an earlier task starts it; its accounts are read when it runs';

interface UserPlan {
  action: 'create' | 'alter' | 'drop';
  installEd25519: boolean;
}

function wantedAuth(p: MariadbUserParams): { plugin: AuthPlugin; authenticationString: string } {
  const plugin = (p.plugin ?? 'mysql_native_password') as AuthPlugin;
  return { plugin, authenticationString: authenticationString(plugin, p.password?.reveal()) };
}

/** `IDENTIFIED …` clause for an account: the plugin and its stored string, never the clear password (MariaDB "CREATE USER"). */
function identifiedClause(p: MariadbUserParams): string {
  const w = wantedAuth(p);
  if (w.plugin === 'unix_socket') return 'IDENTIFIED VIA unix_socket';
  if (w.plugin === 'ed25519') return `IDENTIFIED VIA ed25519 USING ${sqlString(w.authenticationString)}`;
  return `IDENTIFIED BY PASSWORD ${sqlString(w.authenticationString)}`;
}

/** True when the account authenticates exactly as wanted (C-25: compared as the plugin stores it). */
export function authMatches(account: AccountInfo, p: MariadbUserParams, compareSecret: boolean): boolean {
  const methods = authMethods(account.priv);
  const w = wantedAuth(p);
  if (methods.length !== 1) return false;
  const m = methods[0] as { plugin: string; authenticationString: string };
  if (m.plugin !== w.plugin) return false;
  if (w.plugin === 'unix_socket' || !compareSecret) return true;
  return m.authenticationString === w.authenticationString;
}

function describeAuth(account: AccountInfo): string {
  return authMethods(account.priv)
    .map((m) => m.plugin)
    .join(' OR ');
}

/**
 * Module `mariadb.user`: a MariaDB account exists with the given authentication, or is dropped.
 *
 * The password is a `Secret` and is checked the way MariaDB 10.11 stores it (field case C-25):
 * the module computes, on the controller, what the plugin keeps in `mysql.global_priv`
 * (`mysql_native_password`: `*` + hex SHA1(SHA1(password)); `ed25519`: the Ed25519 public key
 * derived from the password) and compares it with the stored string, so an unchanged password is
 * no change and a changed one is. The server only ever receives that string
 * (`IDENTIFIED BY PASSWORD '*…'`, `IDENTIFIED VIA ed25519 USING '…'`), on the client's stdin.
 * An account with several methods (`IDENTIFIED VIA a OR b`) is altered to the single one asked for.
 * On a Galera cluster, run it on one node: account statements replicate (MariaDB "Galera Cluster
 * Limitations"); the `ed25519` plugin must be loaded on every node (`galera.config`'s
 * `plugin_load_add`).
 *
 * Source: MariaDB Server docs, "CREATE USER", "ALTER USER", "mysql.global_priv Table",
 * "Authentication Plugin - mysql_native_password", "Authentication Plugin - ed25519".
 *
 * @example mariadbUser({ name: 'app', host: '10.0.0.%', password: vault('kv/data/db#app') })
 */
export const mariadbUser = defineModule({
  name: 'mariadb.user',
  description: 'Create, alter or drop a MariaDB account.',
  params: MariadbUserParams,
  validate: (p) => {
    const plugin = p.plugin ?? 'mysql_native_password';
    if ((p.state ?? 'present') === 'present') {
      if (plugin === 'unix_socket' && p.password !== undefined) return 'plugin unix_socket takes no password';
      if (plugin !== 'unix_socket' && p.password === undefined) return `plugin ${plugin} needs a password (a Secret)`;
    }
    return undefined;
  },
  facts: (p) => ({ account: mariadbAccount({ user: p.name, host: p.host ?? 'localhost' }) }),
  plan: ({ params: p, facts, upstreamChanged }): Plan<UserPlan> => {
    const a = facts.account;
    const state = p.state ?? 'present';
    const id = `${p.name}@${p.host ?? 'localhost'}`;
    requirePrerequisite(a.server === 'running', upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `mariadb.user ${id}: the MariaDB server ${a.server === 'absent' ? 'is not installed' : 'does not answer on its local socket'}`, {
        hint: 'install and start the server (or join the node to its Galera cluster) before managing accounts',
      }),
    );
    if (a.server === 'down') return { changes: [], reason: STOPPED_REASON };
    const installEd25519 = state === 'present' && p.plugin === 'ed25519' && !a.authPlugins.includes('ed25519');
    if (state === 'absent') {
      if (!a.exists) return { changes: [], reason: `account ${id} does not exist` };
      return { changes: [{ path: 'state', before: 'present', after: 'absent' }], data: { action: 'drop', installEd25519: false } };
    }
    const password: Secret | undefined = p.password;
    if (!a.exists) {
      const changes: Change[] = [{ path: 'state', before: 'absent', after: 'present' }, { path: 'plugin', before: undefined, after: p.plugin ?? 'mysql_native_password' }];
      if (password) changes.push({ path: 'password', before: undefined, after: password });
      return { changes, data: { action: 'create', installEd25519 } };
    }
    if (authMatches(a, p, (p.update_password ?? 'always') === 'always')) return { changes: [], reason: `account ${id} exists and authenticates as asked` };
    const changes: Change[] = [];
    const wantPlugin = p.plugin ?? 'mysql_native_password';
    if (describeAuth(a) !== wantPlugin) changes.push({ path: 'plugin', before: describeAuth(a), after: wantPlugin });
    if (password) changes.push({ path: 'password', before: 'a different password', after: password });
    return { changes, data: { action: 'alter', installEd25519 } };
  },
  apply: ({ params: p, plan }) => {
    const data = plan.data;
    const account = accountName(p.name, p.host ?? 'localhost');
    const steps: Command[] = [];
    if (data.installEd25519) steps.push({ script: mariadbClient(), stdin: "INSTALL SONAME 'auth_ed25519';\n", description: 'load the ed25519 authentication plugin' });
    const sql =
      data.action === 'drop' ? `DROP USER ${account};\n` : data.action === 'create' ? `CREATE USER ${account} ${identifiedClause(p)};\n` : `ALTER USER ${account} ${identifiedClause(p)};\n`;
    steps.push({ script: mariadbClient(), stdin: secret(sql), description: `${data.action} user ${p.name}@${p.host ?? 'localhost'}` });
    return steps;
  },
  resources: (p) => [accountResource(p.name, p.host ?? 'localhost')],
});
