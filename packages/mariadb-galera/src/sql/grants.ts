import { ConvergeError } from '@converge/core';
import { sqlIdent } from './quote.js';

/**
 * The privileges of one account on one object, as sets that compare semantically: the order the
 * server prints them in, the case, aliases (`REPLICATION CLIENT` is `BINLOG MONITOR` since
 * MariaDB 10.5) and column lists in any order do not count (field cases C-23, C-24).
 */
export interface ObjectGrant {
  /** Canonical object: `*.*`, `` `db`.* ``, `` `db`.`table` ``, `` PROCEDURE `db`.`name` ``. */
  on: string;
  /**
   * Canonical privilege tokens: upper case, single spaces (`SELECT`, `ALL PRIVILEGES`), one
   * token per column for column privileges (`` SELECT (`a`) ``, column names in lower case as
   * MariaDB compares them).
   */
  privileges: Set<string>;
  grantOption: boolean;
}

/** An account's privileges: canonical object -> grant. */
export type GrantSet = Map<string, ObjectGrant>;

/**
 * The privileges that `ALL PRIVILEGES` stands for at each level on MariaDB 10.11, from
 * `SHOW PRIVILEGES` and the "GRANT" page of the MariaDB Server documentation. The server prints
 * a complete list as `ALL PRIVILEGES`, so a task that lists all of them is normalised the same
 * way (recorded on 10.11.19: granting these lists gives `GRANT ALL PRIVILEGES`).
 */
export const ALL_PRIVILEGES: Readonly<Record<'global' | 'database' | 'table', readonly string[]>> = {
  global: [
    'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'RELOAD', 'SHUTDOWN', 'PROCESS', 'FILE', 'REFERENCES', 'INDEX', 'ALTER',
    'SHOW DATABASES', 'SUPER', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'REPLICATION SLAVE', 'BINLOG MONITOR', 'CREATE VIEW',
    'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'CREATE USER', 'EVENT', 'TRIGGER', 'CREATE TABLESPACE', 'DELETE HISTORY', 'SET USER',
    'FEDERATED ADMIN', 'CONNECTION ADMIN', 'READ_ONLY ADMIN', 'REPLICATION SLAVE ADMIN', 'REPLICATION MASTER ADMIN', 'BINLOG ADMIN',
    'BINLOG REPLAY', 'SLAVE MONITOR',
  ],
  database: [
    'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER', 'CREATE TEMPORARY TABLES', 'LOCK TABLES',
    'EXECUTE', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'EVENT', 'TRIGGER', 'DELETE HISTORY',
  ],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'DELETE HISTORY'],
};

/** Old and alternative names MariaDB accepts for a privilege, mapped to the name SHOW GRANTS prints (MariaDB 10.5+). */
const ALIASES: Record<string, string> = {
  ALL: 'ALL PRIVILEGES',
  'REPLICATION CLIENT': 'BINLOG MONITOR',
  'REPLICA MONITOR': 'SLAVE MONITOR',
  'REPLICATION REPLICA': 'REPLICATION SLAVE',
  'REPLICATION REPLICA ADMIN': 'REPLICATION SLAVE ADMIN',
  'READ ONLY ADMIN': 'READ_ONLY ADMIN',
};

/** Splits `text` at `sep` (one character) outside backticks, quotes and parentheses. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      cur += c;
      if (c === '\\' && quote === "'") {
        cur += text[++i] ?? '';
      } else if (c === quote) {
        if (text[i + 1] === quote) cur += text[++i];
        else quote = undefined;
      }
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Index of the keyword ` WORD ` at top level (outside quotes and parentheses), or -1. */
function findKeyword(text: string, word: string, from = 0): number {
  let depth = 0;
  let quote: string | undefined;
  const needle = ` ${word} `;
  for (let i = from; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === '\\' && quote === "'") i++;
      else if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && c === ' ' && text.slice(i, i + needle.length).toUpperCase() === needle) return i;
  }
  return -1;
}

/** Reads a possibly backtick-quoted identifier at the start of `text`; returns it and the rest. */
function readIdent(text: string): [string, string] {
  if (text.startsWith('`')) {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i] as string;
      if (c === '`') {
        if (text[i + 1] === '`') {
          out += '`';
          i++;
          continue;
        }
        return [out, text.slice(i + 1)];
      }
      out += c;
    }
    throw new Error(`unterminated identifier in ${JSON.stringify(text)}`);
  }
  const m = /^[^.\s`]+/.exec(text);
  if (!m) throw new Error(`expected a name in ${JSON.stringify(text)}`);
  return [m[0], text.slice(m[0].length)];
}

/**
 * The canonical form of a grant's object (`ON` part): `*.*`, `db.*`, `db.table` with or without
 * backticks, optionally after `TABLE`, `PROCEDURE`, `FUNCTION` or `PACKAGE`.
 *
 * @throws Error for text that is not such an object.
 */
export function canonicalObject(on: string): string {
  let text = on.trim();
  let kind = '';
  const k = /^(TABLE|PROCEDURE|FUNCTION|PACKAGE BODY|PACKAGE)\s+/i.exec(text);
  if (k) {
    kind = (k[1] as string).toUpperCase();
    text = text.slice(k[0].length);
  }
  if (text === '*' || text === '*.*') {
    if (kind && kind !== 'TABLE') throw new Error(`${kind} needs a routine name, not ${on}`);
    return '*.*';
  }
  const [db, rest] = readIdent(text);
  if (!rest.startsWith('.')) throw new Error(`expected db.name or db.* in ${JSON.stringify(on)}`);
  const tail = rest.slice(1);
  if (tail === '*') {
    if (kind && kind !== 'TABLE') throw new Error(`${kind} needs a routine name, not ${on}`);
    return `${sqlIdent(db)}.*`;
  }
  const [name, after] = readIdent(tail);
  if (after.trim() !== '') throw new Error(`unexpected ${JSON.stringify(after)} in ${JSON.stringify(on)}`);
  return `${kind && kind !== 'TABLE' ? `${kind} ` : ''}${sqlIdent(db)}.${sqlIdent(name)}`;
}

/** `global`, `database`, `table` or `routine`, from a canonical object. */
export function objectLevel(on: string): 'global' | 'database' | 'table' | 'routine' {
  if (on === '*.*') return 'global';
  if (/^(PROCEDURE|FUNCTION|PACKAGE)/.test(on)) return 'routine';
  return on.endsWith('.*') ? 'database' : 'table';
}

/**
 * Canonical tokens of one privilege item: `select` -> `SELECT`, `ALL` -> `ALL PRIVILEGES`,
 * `SELECT (b, A)` -> `` SELECT (`a`) ``, `` SELECT (`b`) ``. `USAGE` gives no token; `GRANT
 * OPTION` gives the marker `GRANT OPTION`.
 */
export function privilegeTokens(item: string): string[] {
  const m = /^([A-Za-z_ ]+?)\s*(?:\((.*)\))?$/s.exec(item.trim());
  if (!m) throw new Error(`not a privilege: ${JSON.stringify(item)}`);
  let name = (m[1] as string).trim().replace(/\s+/g, ' ').toUpperCase();
  if (name === 'ALL PRIVILEGES' || name === 'ALL') name = 'ALL PRIVILEGES';
  name = ALIASES[name] ?? name;
  if (name === 'USAGE') return [];
  if (m[2] === undefined) return [name];
  return splitTop(m[2], ',').map((col) => `${name} (${sqlIdent(readIdent(col.trim())[0].toLowerCase())})`);
}

/** Replaces a complete list of a level's privileges with `ALL PRIVILEGES`, as the server prints it. */
function normaliseAll(on: string, privileges: Set<string>): Set<string> {
  const level = objectLevel(on);
  if (level === 'routine' || privileges.has('ALL PRIVILEGES')) {
    if (privileges.has('ALL PRIVILEGES')) return new Set([...privileges].filter((p) => p === 'ALL PRIVILEGES' || p.includes('(')));
    return privileges;
  }
  const all = ALL_PRIVILEGES[level];
  if (!all.every((p) => privileges.has(p))) return privileges;
  return new Set(['ALL PRIVILEGES', ...[...privileges].filter((p) => !all.includes(p))]);
}

/** Adds privileges on one object to a grant set (merging with what is there). */
function addGrant(set: GrantSet, on: string, items: string[], grantOption: boolean): void {
  const g = set.get(on) ?? { on, privileges: new Set<string>(), grantOption: false };
  for (const item of items) {
    for (const t of privilegeTokens(item)) {
      if (t === 'GRANT OPTION') g.grantOption = true;
      else g.privileges.add(t);
    }
  }
  if (grantOption) g.grantOption = true;
  g.privileges = normaliseAll(on, g.privileges);
  set.set(on, g);
}

/** One line of `SHOW GRANTS` that grants privileges (role and PROXY grants are `undefined`). */
export function parseGrantLine(line: string): { on: string; privileges: string[]; grantOption: boolean } | undefined {
  const text = line.trim();
  if (!/^GRANT /i.test(text)) throw new Error(`not a GRANT statement: ${JSON.stringify(line)}`);
  const onAt = findKeyword(text, 'ON');
  const toAt = findKeyword(text, 'TO');
  if (onAt < 0 || toAt < 0 || toAt < onAt) return undefined; // GRANT role TO account
  const privText = text.slice('GRANT '.length, onAt);
  if (/^PROXY$/i.test(privText.trim())) return undefined;
  const on = canonicalObject(text.slice(onAt + 4, toAt));
  const grantOption = findKeyword(`${text} `, 'WITH GRANT OPTION', toAt) >= 0 || / WITH GRANT OPTION$/i.test(text);
  return { on, privileges: splitTop(privText, ','), grantOption };
}

/**
 * The grant set of an account from its `SHOW GRANTS` lines (MariaDB 10.11 output). Role and
 * PROXY grants are left out: they are not managed by `mariadb.grants`.
 *
 * @throws ConvergeError `CONVERGE_FACT` for a line that cannot be read.
 */
export function parseShowGrants(lines: readonly string[]): GrantSet {
  const set: GrantSet = new Map();
  for (const line of lines) {
    if (line.trim() === '') continue;
    let parsed;
    try {
      parsed = parseGrantLine(line);
    } catch (e) {
      throw new ConvergeError('CONVERGE_FACT', `cannot read the SHOW GRANTS line ${JSON.stringify(line)}: ${(e as Error).message}`, { cause: e });
    }
    if (parsed) addGrant(set, parsed.on, parsed.privileges, parsed.grantOption);
  }
  return set;
}

/** What a task asks for on one object. */
export interface WantedGrant {
  on: string;
  privileges: string[];
  grant_option?: boolean;
}

/**
 * The grant set a task asks for.
 *
 * @throws Error naming the bad object or privilege.
 */
export function wantedGrants(wanted: readonly WantedGrant[]): GrantSet {
  const set: GrantSet = new Map();
  for (const w of wanted) addGrant(set, canonicalObject(w.on), w.privileges, w.grant_option ?? false);
  for (const [on, g] of set) if (g.privileges.size === 0 && !g.grantOption && on !== '*.*') set.delete(on);
  return set;
}

/** One object whose privileges differ. */
export interface GrantDifference {
  on: string;
  grant: string[];
  revoke: string[];
  /** `true`: add WITH GRANT OPTION; `false`: revoke it; absent: unchanged. */
  grantOption?: boolean;
}

/**
 * The differences between an account's grants and the wanted ones. With `exclusive`, privileges
 * the task does not name are revoked; without, only missing ones are granted.
 */
export function diffGrants(current: GrantSet, wanted: GrantSet, exclusive: boolean): GrantDifference[] {
  const out: GrantDifference[] = [];
  const objects = [...new Set([...wanted.keys(), ...(exclusive ? current.keys() : [])])].sort();
  for (const on of objects) {
    const have = current.get(on)?.privileges ?? new Set<string>();
    const want = wanted.get(on)?.privileges ?? new Set<string>();
    const covered = (p: string): boolean => want.has(p) || (want.has('ALL PRIVILEGES') && !p.includes('('));
    const revoke = exclusive ? [...have].filter((p) => !covered(p)).sort() : [];
    const haveAll = have.has('ALL PRIVILEGES') && !revoke.includes('ALL PRIVILEGES');
    const grant = [...want].filter((p) => !have.has(p) && !(haveAll && !p.includes('('))).sort();
    const haveOption = current.get(on)?.grantOption ?? false;
    const wantOption = wanted.get(on)?.grantOption ?? false;
    const d: GrantDifference = { on, grant, revoke };
    if (wantOption !== haveOption && (wantOption || exclusive)) d.grantOption = wantOption;
    if (grant.length > 0 || revoke.length > 0 || d.grantOption !== undefined) out.push(d);
  }
  return out;
}

/** Joins tokens back into a privilege list, merging the columns of one privilege: `` SELECT (`a`, `b`), UPDATE ``. */
export function privilegeList(tokens: readonly string[]): string {
  const plain: string[] = [];
  const columns = new Map<string, string[]>();
  for (const t of tokens) {
    const m = /^(.+?) \((.+)\)$/.exec(t);
    if (!m) plain.push(t);
    else columns.set(m[1] as string, [...(columns.get(m[1] as string) ?? []), m[2] as string]);
  }
  return [...plain, ...[...columns].map(([p, cols]) => `${p} (${cols.join(', ')})`)].join(', ');
}

/** Grants as plain data for reports and diffs: `{ "`db`.*": "SELECT, INSERT (with grant option)" }`. */
export function describeGrants(set: GrantSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const on of [...set.keys()].sort()) {
    const g = set.get(on) as ObjectGrant;
    const list = g.privileges.size === 0 ? 'USAGE' : privilegeList([...g.privileges].sort());
    out[on] = g.grantOption ? `${list} WITH GRANT OPTION` : list;
  }
  return out;
}
