// Unit tests of the SQL side: grants compared semantically (C-23, C-24), passwords checked the way
// MariaDB 10.11 stores them (C-25). Recorded outputs come from MariaDB 10.11.19 (Debian 12).
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import {
  canonicalObject,
  diffGrants,
  ed25519PasswordHash,
  grantStatements,
  mariadbGrants,
  mariadbUser,
  nativePasswordHash,
  parseAccount,
  parseShowGrants,
  privilegeTokens,
  wantedGrants,
  describeGrants,
  sqlString,
} from '@converge/mariadb-galera';

const ADMIN_GRANTS = ["GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` IDENTIFIED BY PASSWORD '*B96B0EC13EC8A5A6B0FFD3DE77B23FE9FDE2CEDD' WITH GRANT OPTION"];
const COL_GRANTS = [
  "GRANT SHOW DATABASES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `col`@`10.0.0.%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
  'GRANT SELECT, INSERT ON `app`.* TO `col`@`10.0.0.%`',
  'GRANT SELECT (`a`, `c`), INSERT (`a`, `b`), UPDATE ON `app`.`t` TO `col`@`10.0.0.%`',
];
const ROOT_GRANTS = [
  "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION",
  'GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION',
];

describe('grants', () => {
  test('objects are canonical whatever the quoting', () => {
    expect(canonicalObject('*.*')).toBe('*.*');
    expect(canonicalObject('app.*')).toBe('`app`.*');
    expect(canonicalObject('`app`.`t`')).toBe('`app`.`t`');
    expect(canonicalObject('procedure app.p')).toBe('PROCEDURE `app`.`p`');
    expect(() => canonicalObject('app')).toThrow(/db.name/);
  });
  test('privilege names: case, aliases, ALL, column lists', () => {
    expect(privilegeTokens('all')).toEqual(['ALL PRIVILEGES']);
    expect(privilegeTokens('replication client')).toEqual(['BINLOG MONITOR']);
    expect(privilegeTokens('SELECT (B, a)')).toEqual(['SELECT (`b`)', 'SELECT (`a`)']);
    expect(privilegeTokens('usage')).toEqual([]);
  });
  test('C-23: ALL PRIVILEGES ... WITH GRANT OPTION on *.* is no change', () => {
    const current = parseShowGrants(ADMIN_GRANTS);
    expect(diffGrants(current, wantedGrants([{ on: '*.*', privileges: ['ALL'], grant_option: true }]), true)).toEqual([]);
    expect(diffGrants(current, wantedGrants([{ on: '*.*', privileges: ['all privileges'], grant_option: true }]), true)).toEqual([]);
  });
  test('C-23: a complete list counts as ALL PRIVILEGES, as the server prints it', () => {
    const list = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'DELETE HISTORY'];
    expect(diffGrants(parseShowGrants(['GRANT ALL PRIVILEGES ON `app`.`t` TO `l`@`h`']), wantedGrants([{ on: 'app.t', privileges: list }]), true)).toEqual([]);
  });
  test('C-23: losing the grant option is a change', () => {
    expect(diffGrants(parseShowGrants(ADMIN_GRANTS), wantedGrants([{ on: '*.*', privileges: ['ALL'] }]), true)).toEqual([{ on: '*.*', grant: [], revoke: [], grantOption: false }]);
  });
  test('C-24: column privileges in another order, aliases and case are no change', () => {
    const wanted = wantedGrants([
      { on: '*.*', privileges: ['replication client', 'Show Databases', 'SLAVE MONITOR'] },
      { on: 'app.*', privileges: ['insert', 'select'] },
      { on: 'app.t', privileges: ['UPDATE', 'INSERT (b, a)', 'SELECT (c, a)'] },
    ]);
    expect(diffGrants(parseShowGrants(COL_GRANTS), wanted, true)).toEqual([]);
  });
  test('C-24: a column more or less is exactly that change', () => {
    const wanted = wantedGrants([
      { on: '*.*', privileges: ['BINLOG MONITOR', 'SHOW DATABASES', 'SLAVE MONITOR'] },
      { on: 'app.*', privileges: ['SELECT', 'INSERT'] },
      { on: 'app.t', privileges: ['UPDATE', 'INSERT (a)', 'SELECT (a, b, c)'] },
    ]);
    const d = diffGrants(parseShowGrants(COL_GRANTS), wanted, true);
    expect(d).toEqual([{ on: '`app`.`t`', grant: ['SELECT (`b`)'], revoke: ['INSERT (`b`)'] }]);
    expect(grantStatements("'col'@'10.0.0.%'", d)).toEqual(["REVOKE INSERT (`b`) ON `app`.`t` FROM 'col'@'10.0.0.%'", "GRANT SELECT (`b`) ON `app`.`t` TO 'col'@'10.0.0.%'"]);
  });
  test('exclusive revokes objects not named; non-exclusive only adds', () => {
    const current = parseShowGrants(COL_GRANTS);
    const wanted = wantedGrants([{ on: 'app.*', privileges: ['SELECT', 'INSERT'] }]);
    expect(diffGrants(current, wanted, false)).toEqual([]);
    const d = diffGrants(current, wanted, true);
    expect(d.map((x) => [x.on, x.revoke])).toEqual([
      ['*.*', ['BINLOG MONITOR', 'SHOW DATABASES', 'SLAVE MONITOR']],
      ['`app`.`t`', ['INSERT (`a`)', 'INSERT (`b`)', 'SELECT (`a`)', 'SELECT (`c`)', 'UPDATE']],
    ]);
    expect(grantStatements('a', d)[1]).toBe('REVOKE UPDATE, INSERT (`a`, `b`), SELECT (`a`, `c`) ON `app`.`t` FROM a');
  });
  test('role and PROXY grants are left alone; IDENTIFIED ... OR is read past', () => {
    expect(describeGrants(parseShowGrants(ROOT_GRANTS))).toEqual({ '*.*': 'ALL PRIVILEGES WITH GRANT OPTION' });
    expect(describeGrants(parseShowGrants(['GRANT `dba` TO `u`@`h`']))).toEqual({});
  });
  test('ALL replaces a narrower set by a plain grant, a narrower set replaces ALL by revoke then grant', () => {
    const all = parseShowGrants(['GRANT ALL PRIVILEGES ON `app`.* TO `u`@`h`']);
    const narrow = wantedGrants([{ on: 'app.*', privileges: ['SELECT'] }]);
    expect(grantStatements('u', diffGrants(all, narrow, true))).toEqual(['REVOKE ALL PRIVILEGES ON `app`.* FROM u', 'GRANT SELECT ON `app`.* TO u']);
    expect(grantStatements('u', diffGrants(parseShowGrants(['GRANT SELECT ON `app`.* TO `u`@`h`']), wantedGrants([{ on: 'app.*', privileges: ['ALL'] }]), true))).toEqual([
      'GRANT ALL PRIVILEGES ON `app`.* TO u',
    ]);
  });
});

describe('passwords (C-25)', () => {
  test('mysql_native_password: what PASSWORD() returns', () => {
    expect(nativePasswordHash('pw-admin-1')).toBe('*B96B0EC13EC8A5A6B0FFD3DE77B23FE9FDE2CEDD');
  });
  test('ed25519: what the plugin stores', () => {
    expect(ed25519PasswordHash('secret-ed')).toBe('ZgBTiND4B1aUa8JKhBuyS36pgmtIfavAGRrQBmAOUww');
  });
  test('string literals escape quotes and backslashes', () => {
    expect(sqlString("it's \\ here")).toBe("'it\\'s \\\\ here'");
  });
});

const account = (priv: object, grants: string[] = []) =>
  parseAccount(['server=running', 'plugin=mysql_native_password', 'plugin=unix_socket', `priv=${JSON.stringify(priv)}`, ...grants.map((g) => `grant=${g}`)].join('\n'));
const ADMIN_PRIV = { access: 549755813887, plugin: 'mysql_native_password', authentication_string: '*B96B0EC13EC8A5A6B0FFD3DE77B23FE9FDE2CEDD', password_last_changed: 1795969417 };

describe('module mariadb.user', () => {
  test('C-25: the same password is no change', () => {
    const r = planModule(mariadbUser, { params: { name: 'admin', host: '%', password: secret('pw-admin-1') }, facts: { account: account(ADMIN_PRIV) } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toMatch(/authenticates as asked/);
  });
  test('C-25: a changed password is detected; only its hash goes to the server, on stdin', () => {
    const r = planModule(mariadbUser, { params: { name: 'admin', host: '%', password: secret('pw-admin-2') }, facts: { account: account(ADMIN_PRIV) } });
    expect(r.changes.map((c) => c.path)).toEqual(['password']);
    expect(String(r.commands[0]?.script)).not.toContain('pw-admin');
    const stdin = r.commands[0]?.stdin as { reveal(): string };
    expect(stdin.reveal()).toBe(`ALTER USER 'admin'@'%' IDENTIFIED BY PASSWORD '${nativePasswordHash('pw-admin-2')}';\n`);
    expect(stdin.reveal()).not.toContain('pw-admin-2');
  });
  test('C-25: update_password on_create ignores a different password', () => {
    const r = planModule(mariadbUser, { params: { name: 'admin', host: '%', password: secret('other'), update_password: 'on_create' }, facts: { account: account(ADMIN_PRIV) } });
    expect(r.changes).toEqual([]);
  });
  test('C-25: root with mysql_native_password OR unix_socket becomes unix_socket only', () => {
    const root = account({ access: 1, plugin: 'mysql_native_password', authentication_string: 'invalid', auth_or: [{}, { plugin: 'unix_socket' }] });
    const r = planModule(mariadbUser, { params: { name: 'root', plugin: 'unix_socket' }, facts: { account: root } });
    expect(r.changes).toEqual([{ path: 'plugin', before: 'mysql_native_password OR unix_socket', after: 'unix_socket' }]);
  });
  test('ed25519: compares the stored public key, loads the plugin when missing', () => {
    const ed = parseAccount(['server=running', 'plugin=mysql_native_password', `priv=${JSON.stringify({ plugin: 'ed25519', authentication_string: 'ZgBTiND4B1aUa8JKhBuyS36pgmtIfavAGRrQBmAOUww' })}`].join('\n'));
    expect(planModule(mariadbUser, { params: { name: 'ed', host: 'h', plugin: 'ed25519', password: secret('secret-ed') }, facts: { account: ed } }).changes).toEqual([]);
    const r = planModule(mariadbUser, { params: { name: 'ed', host: 'h', plugin: 'ed25519', password: secret('new-ed-pw') }, facts: { account: ed } });
    expect(r.commands.map((c) => c.description)).toEqual(['load the ed25519 authentication plugin', 'alter user ed@h']);
  });
  test('creates a missing account; drops with state absent', () => {
    const none = parseAccount('server=running\nplugin=mysql_native_password\n');
    const r = planModule(mariadbUser, { params: { name: 'app', host: '10.%', password: secret('pw-app-1') }, facts: { account: none } });
    expect(r.changes.map((c) => c.path)).toEqual(['state', 'plugin', 'password']);
    expect((r.commands[0]?.stdin as { reveal(): string }).reveal()).toMatch(/^CREATE USER 'app'@'10.%' IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}';/);
    expect(planModule(mariadbUser, { params: { name: 'app', state: 'absent' }, facts: { account: none } }).changes).toEqual([]);
  });
  test('a server that does not answer is an error, unless an earlier task of the run installs it (check mode)', () => {
    const down = parseAccount('server=down\n');
    expect(() => planModule(mariadbUser, { params: { name: 'app', password: secret('pw-app-1') }, facts: { account: down } })).toThrow(/does not answer/);
    expect(planModule(mariadbUser, { params: { name: 'app', password: secret('pw-app-1') }, facts: { account: parseAccount('server=absent\n') }, upstreamChanged: true }).changes[0]).toEqual({ path: 'state', before: 'absent', after: 'present' });
    expect(planModule(mariadbUser, { params: { name: 'app', password: secret('pw-app-1') }, facts: { account: down }, upstreamChanged: true }).reason).toMatch(/server is stopped and an earlier task starts it/);
  });
  test('bad params are refused before any host is touched', () => {
    expect(() => planModule(mariadbUser, { params: { name: 'app' }, facts: {} })).toThrow(/needs a password/);
    expect(() => planModule(mariadbUser, { params: { name: 'app', plugin: 'unix_socket', password: secret('x') }, facts: {} })).toThrow(/takes no password/);
    expect(() => planModule(mariadbUser, { params: { name: 'app', password: 'plain text' }, facts: {} })).toThrow();
  });
});

describe('module mariadb.grants', () => {
  test('C-23 and C-24 from recorded facts: no change', () => {
    expect(planModule(mariadbGrants, { params: { user: 'admin', host: '%', privileges: [{ on: '*.*', privileges: ['ALL'], grant_option: true }] }, facts: { account: account(ADMIN_PRIV, ADMIN_GRANTS) } }).changes).toEqual([]);
    const r = planModule(mariadbGrants, {
      params: { user: 'col', host: '10.0.0.%', privileges: [{ on: '*.*', privileges: ['REPLICATION CLIENT', 'SHOW DATABASES', 'SLAVE MONITOR'] }, { on: 'app.*', privileges: ['SELECT', 'INSERT'] }, { on: 'app.t', privileges: ['SELECT (c, a)', 'INSERT (b, a)', 'UPDATE'] }] },
      facts: { account: account(ADMIN_PRIV, COL_GRANTS) },
    });
    expect(r.changes).toEqual([]);
  });
  test('a missing account fails the task with what to do', () => {
    expect(() => planModule(mariadbGrants, { params: { user: 'x', privileges: [] }, facts: { account: parseAccount('server=running\n') } })).toThrow(/does not exist/);
  });
  test('a bad object is refused before any host is touched', () => {
    expect(() => planModule(mariadbGrants, { params: { user: 'x', privileges: [{ on: 'nodot', privileges: ['SELECT'] }] }, facts: {} })).toThrow(/db.name/);
  });
  test('a bad privilege or object is refused with the item that carries it', () => {
    const params = { user: 'x', privileges: [{ on: 'app.*', privileges: ['SELECT'] }, { on: 'app.*', privileges: ['SELECT; DROP DATABASE app'] }] };
    expect(() => planModule(mariadbGrants, { params, facts: {} })).toThrow(/privileges\[1\]: not a privilege: "SELECT; DROP DATABASE app"/);
    expect(() => planModule(mariadbGrants, { params: { user: 'x', privileges: [{ on: 'nodot', privileges: ['SELECT'] }] }, facts: {} })).toThrow(/privileges\[0\]: .*db.name/);
  });
});
