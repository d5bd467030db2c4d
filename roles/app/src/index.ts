import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, isSecret, secretText } from '@converge/core';
import type { KnownVars, RoleUse, Secret, TaskContext } from '@converge/core';
import { apt, copy, file, systemd, unarchive } from '@converge/modules';
import { sentry } from '@converge/prometheus';

/** Vars of the app role (all under `app`). */
export interface AppVars {
  /**
   * The release to run (the var `app_version`, e.g. `-e app_version=1.1.0`, wins): `files/notes-VERSION.tar.gz` of this role (built reproducibly by
   * `artifact/build.sh VERSION`), unpacked once into `/opt/notes/releases/VERSION`;
   * `/opt/notes/current` points at it.
   */
  version: string;
  /** Where the application reaches the database: the SQL router's shared address (or the nodes), in order of preference. */
  database: {
    addresses: { host: string; port?: number }[];
    /** Database and account of the application. Defaults `notes`, `notes`. */
    name?: string;
    user?: string;
    password: Secret;
  };
  /** Error reporting: the Sentry DSN (a Secret) and environment, in /etc/notes/sentry.env (`sentry.environment`). */
  sentry?: { dsn: Secret; environment: string };
}

/** Where releases are unpacked, one directory per version. */
export const RELEASES_DIR = '/opt/notes/releases';
/** The link lighttpd runs the program through; switching it is the deploy. */
export const CURRENT_LINK = '/opt/notes/current';

/** Every var of {@link AppVars}, nested objects included; complete by type. */
export const APP_VARS: KnownVars<AppVars> = {
  version: true,
  database: { addresses: [{ host: true, port: true }], name: true, user: true, password: true },
  sentry: { dsn: true, environment: true },
};

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;
const cfg = (h: TaskContext): AppVars => {
  const given = h.vars.app === undefined ? undefined : checkRoleVars('app', 'app', h.vars.app, APP_VARS);
  // `app_version` (e.g. `-e app_version=1.1.0` for a deploy) wins over `app.version`.
  const v = given && h.vars.app_version !== undefined ? { ...given, version: String(h.vars.app_version) } : given;
  if (!v || typeof v.version !== 'string' || !VERSION.test(v.version)) {
    throw new ConvergeError('CONVERGE_VARS', `role app: app.version must be a release version (letters, digits, .+-), got ${JSON.stringify(v?.version)}`, { hint: 'e.g. app: { version: "1.1.0", ... } or -e app_version=1.1.0 in playbooks/site.ts' });
  }
  if (!v.database || v.database.addresses.length === 0) throw new ConvergeError('CONVERGE_VARS', 'role app: app.database.addresses is empty', { hint: 'give the SQL router\'s shared address' });
  if (!isSecret(v.database.password)) throw new ConvergeError('CONVERGE_VARS', 'role app: app.database.password must be a Secret (vault(), an ansible-vault value or secret())');
  return v;
};

/** The database and account the application needs, for the database cluster's `databases` and `users`. */
export function appDatabase(password: Secret, o: { name?: string; user?: string; hosts?: string[] } = {}): {
  databases: { name: string; encoding: string; collation: string }[];
  users: { name: string; host: string; password: Secret; privileges: { on: string; privileges: string[] }[] }[];
} {
  const name = o.name ?? 'notes';
  const user = o.user ?? 'notes';
  return {
    databases: [{ name, encoding: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }],
    users: (o.hosts ?? ['%']).map((host) => ({ name: user, host, password, privileges: [{ on: `${name}.*`, privileges: ['SELECT', 'INSERT'] }] })),
  };
}

/** The statement that makes the application's table (run once on the cluster's first node; DDL replicates). */
export function appSchemaStatement(database = 'notes'): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new ConvergeError('CONVERGE_PARAMS', `appSchemaStatement: ${JSON.stringify(database)} is not a database name`);
  return `CREATE TABLE IF NOT EXISTS ${database}.notes (id BIGINT AUTO_INCREMENT PRIMARY KEY, app VARCHAR(64) NOT NULL, body VARCHAR(200) NOT NULL, created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`;
}

/**
 * Role `app`: the notes application (a CGI program run by lighttpd, reading and writing MariaDB
 * with the mariadb client) from a versioned artifact. lighttpd and the client from Debian; the
 * release `files/notes-VERSION.tar.gz` unpacked into `/opt/notes/releases/VERSION` (compared
 * member by member, so a release is written once); `/opt/notes/current` switched to it (the
 * deploy: a new request runs the new release, one in flight finishes with the old); the
 * database addresses and the account's credentials (0640 root:www-data, the password a Secret);
 * the Sentry DSN and environment through `sentry.environment`; lighttpd's `/notes` alias,
 * lighttpd started and enabled.
 *
 * @example
 * roles: [app({ version: '1.1.0', database: { addresses: [{ host: '10.0.2.10', port: 3306 }], password: vault('kv/data/notes#db') } })]
 */
export const appRole = defineRole({
  name: 'app',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { app: {} },
  tasks: [
    apt({ name: ['lighttpd', 'mariadb-client-core'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install lighttpd and the mariadb client' }),
    file({ path: '/etc/notes', state: 'directory', owner: 'root', group: 'www-data', mode: '0750' }, { name: '/etc/notes' }),
    copy(
      (h) => ({ dest: '/etc/notes/db-hosts', content: cfg(h).database.addresses.map((a) => `${a.host} ${a.port ?? 3306}\n`).join(''), owner: 'root', group: 'www-data', mode: '0640' }),
      { name: 'database addresses' },
    ),
    copy(
      (h) => {
        const d = cfg(h).database;
        return { dest: '/etc/notes/db.cnf', content: secretText`[client]\nuser = ${d.user ?? 'notes'}\npassword = ${d.password}\ndatabase = ${d.name ?? 'notes'}\n`, owner: 'root', group: 'www-data', mode: '0640' };
      },
      { name: 'database credentials' },
    ),
    sentry.environment(
      (h) => {
        const s = cfg(h).sentry as NonNullable<AppVars['sentry']>;
        return { dsn: s.dsn, environment: s.environment, release: `notes@${cfg(h).version}`, path: '/etc/notes/sentry.env', group: 'www-data' };
      },
      { name: 'Sentry DSN and environment', when: (h) => cfg(h).sentry !== undefined },
    ),
    file((h) => ({ path: `${RELEASES_DIR}/${cfg(h).version}`, state: 'directory', owner: 'root', group: 'root', mode: '0755' }), { name: 'release directory' }),
    unarchive((h) => ({ src: `notes-${cfg(h).version}.tar.gz`, dest: `${RELEASES_DIR}/${cfg(h).version}`, owner: 'root', group: 'root' }), { name: 'release unpacked' }),
    file((h) => ({ path: CURRENT_LINK, state: 'link', src: `releases/${cfg(h).version}`, force: true }), { name: 'current release' }),
    copy({ src: 'lighttpd-notes.conf', dest: '/etc/lighttpd/conf-enabled/50-notes.conf', mode: '0644' }, { name: 'lighttpd: /notes', notify: 'restart lighttpd' }),
    systemd.service({ name: 'lighttpd', state: 'started', enabled: true }, { name: 'lighttpd running and enabled' }),
  ],
  handlers: [systemd.service({ name: 'lighttpd', state: 'restarted' }, { name: 'restart lighttpd' })],
});

/** The role with its `app` var, typed: `roles: [app({ ... })]`. */
export function app(vars: AppVars): RoleUse {
  return { role: appRole, vars: { app: vars } satisfies { app: AppVars } };
}

export default appRole;
