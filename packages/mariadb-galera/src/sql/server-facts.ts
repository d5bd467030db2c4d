import { ConvergeError, defineFact, sh, type RawShell } from '@converge/core';
import { accountName, mariadbClient, sqlString } from './quote.js';

/** Whether the local server answers: `running`, `down` (installed, not answering on its socket) or `absent` (no client installed). */
export type ServerState = 'running' | 'down' | 'absent';

/** What the `mariadb.account` fact knows about one account. */
export interface AccountInfo {
  server: ServerState;
  /** False when the server does not answer (then the rest is empty). */
  exists: boolean;
  /** `mysql.global_priv.Priv` as JSON (plugin, authentication_string, auth_or, access, …). */
  priv: Record<string, unknown>;
  /** `SHOW GRANTS FOR` lines, as the server prints them. */
  grants: string[];
  /** Authentication plugins that are loaded and active (`information_schema.PLUGINS`). */
  authPlugins: string[];
}

/** Resource key of an account (what `mariadb.user` and `mariadb.grants` change and their fact reads). */
export function accountResource(user: string, host: string): string {
  return `mariadb:account:${user}@${host}`;
}

/**
 * Script prefix shared by the server facts: prints `server=absent` when no client is installed,
 * `server=down` plus `error=…` when the server does not answer on the local socket, else
 * `server=running` and runs `body`.
 */
function serverGuard(body: RawShell): RawShell {
  return sh`if ! command -v mariadb >/dev/null 2>&1; then echo server=absent; exit 0; fi
if ! err=$(${mariadbClient('SELECT 1')} 2>&1 >/dev/null); then
  case $err in *"Can't connect to local server"*|*"No such file or directory"*) echo server=down; exit 0;; esac
  printf 'error=%s\\n' "$err" >&2; exit 1
fi
echo server=running
${body}`;
}

function parseLines(stdout: string): { kv: Map<string, string>; multi: Map<string, string[]> } {
  const kv = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    kv.set(k, v);
    multi.set(k, [...(multi.get(k) ?? []), v]);
  }
  return { kv, multi };
}

function failIfError(name: string, exitCode: number, stderr: string): void {
  if (exitCode !== 0) {
    throw new ConvergeError('CONVERGE_FACT', `${name}: the mariadb client failed (exit code ${exitCode})`, {
      detail: stderr.trim(),
      hint: 'the facts connect over the local socket as the task user; run the task as root (become) or give that user access',
    });
  }
}

/** Parses the output of the `mariadb.account` probe. */
export function parseAccount(stdout: string, exitCode = 0, stderr = ''): AccountInfo {
  failIfError('fact mariadb.account', exitCode, stderr);
  const { kv, multi } = parseLines(stdout);
  const server = (kv.get('server') ?? 'absent') as ServerState;
  const privText = kv.get('priv');
  let priv: Record<string, unknown> = {};
  if (privText !== undefined) {
    try {
      priv = JSON.parse(privText) as Record<string, unknown>;
    } catch (e) {
      throw new ConvergeError('CONVERGE_FACT', `fact mariadb.account: mysql.global_priv.Priv is not JSON: ${privText.slice(0, 80)}`, { cause: e });
    }
  }
  return { server, exists: privText !== undefined, priv, grants: multi.get('grant') ?? [], authPlugins: (multi.get('plugin') ?? []).sort() };
}

/**
 * Fact `mariadb.account`: one account's stored authentication (from `mysql.global_priv`, where
 * MariaDB 10.4+ keeps the plugin and its data) and its `SHOW GRANTS`, read over the local socket.
 */
export const mariadbAccount = defineFact({
  name: 'mariadb.account',
  description: "An account's authentication and grants.",
  command: ({ user, host }: { user: string; host: string }) =>
    serverGuard(sh`out=$(${mariadbClient(
      `SELECT CONCAT('plugin=', PLUGIN_NAME) FROM information_schema.PLUGINS WHERE PLUGIN_TYPE = 'AUTHENTICATION' AND PLUGIN_STATUS = 'ACTIVE'; ` +
        `SELECT CONCAT('priv=', Priv) FROM mysql.global_priv WHERE User = ${sqlString(user)} AND Host = ${sqlString(host)}`,
    )}) || exit 1
printf '%s\\n' "$out"
case $out in *priv=*) g=$(${mariadbClient(`SHOW GRANTS FOR ${accountName(user, host)}`)}) || exit 1; printf '%s\\n' "$g" | sed 's/^/grant=/';; esac`),
  parse: (stdout, { exitCode, stderr }) => parseAccount(stdout, exitCode, stderr),
  resources: ({ user, host }) => [accountResource(user, host), 'mariadb:server'],
});

/** What the `mariadb.schema` fact knows about one database. */
export interface SchemaInfo {
  server: ServerState;
  exists: boolean;
  charset?: string;
  collation?: string;
}

/** Parses the output of the `mariadb.schema` probe. */
export function parseSchema(stdout: string, exitCode = 0, stderr = ''): SchemaInfo {
  failIfError('fact mariadb.schema', exitCode, stderr);
  const { kv } = parseLines(stdout);
  const server = (kv.get('server') ?? 'absent') as ServerState;
  const row = kv.get('schema');
  if (row === undefined) return { server, exists: false };
  const [charset, collation] = row.split('\t');
  return { server, exists: true, ...(charset ? { charset } : {}), ...(collation ? { collation } : {}) };
}

/** Resource key of a database. */
export function schemaResource(name: string): string {
  return `mariadb:database:${name}`;
}

/** Fact `mariadb.schema`: whether a database exists, with its default character set and collation (`information_schema.SCHEMATA`). */
export const mariadbSchema = defineFact({
  name: 'mariadb.schema',
  description: 'A database and its default character set and collation.',
  command: ({ name }: { name: string }) =>
    serverGuard(
      mariadbClient(
        `SELECT CONCAT('schema=', DEFAULT_CHARACTER_SET_NAME, '\\t', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(name)}`,
      ),
    ),
  parse: (stdout, { exitCode, stderr }) => parseSchema(stdout, exitCode, stderr),
  resources: ({ name }) => [schemaResource(name), 'mariadb:server'],
});

