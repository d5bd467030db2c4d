import { raw, sh, type RawShell } from '@converge/core';

/**
 * A MariaDB string literal: single-quoted, with `\`, `'` and NUL escaped, as the server reads
 * literals when `NO_BACKSLASH_ESCAPES` is off (MariaDB's default; see "String Literals" in the
 * MariaDB Server documentation).
 */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A quoted identifier: backticks, an inner backtick doubled ("Identifier Names", MariaDB docs). */
export function sqlIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `'user'@'host'`, the account name of CREATE USER, GRANT and SHOW GRANTS. */
export function accountName(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/**
 * The client command of every fact and step: `mariadb` in batch mode, without column names and
 * without escaping in the output, connecting over the local socket as the task's user (root
 * authenticates with `unix_socket` on Debian, so no password is involved). The SQL comes on
 * stdin (steps) or as `-e` (facts, where it never holds a secret).
 */
export function mariadbClient(sql?: string): RawShell {
  return sql === undefined ? raw('mariadb --batch --skip-column-names --raw') : sh`mariadb --batch --skip-column-names --raw -e ${sql}`;
}
