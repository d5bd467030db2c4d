import { definePlaybook, secret } from '@converge/core';
import type { Play, Playbook, Secret } from '@converge/core';
import { apt, command, copy, file, systemd } from '@converge/modules';
import { loadBalancer } from '@converge/role-load-balancer';
import { clusterNodes, databaseClusterPlays } from '@converge/role-database-cluster';
import type { DatabaseClusterConfig } from '@converge/role-database-cluster';

/** Passwords of {@link lbGaleraPlaybook}. */
export interface LbGaleraSecrets {
  /** The application's database account, `notes`. */
  app: Secret;
  /** The mariabackup SST account of the Galera nodes. */
  sst: Secret;
}

/**
 * The lb-galera example: HAProxy (inventory group `lb`, one host) in front of two application
 * hosts (`app`, two hosts: lighttpd running a CGI program that reads and writes the database with
 * the mariadb client) and a three-node MariaDB Galera cluster (`galera`, in bootstrap order).
 *
 * Plays, in order: the database cluster (roles/database-cluster: nodes, bootstrap, one join per
 * node, the `notes` database and account), the `notes` table, the application hosts, the load
 * balancer (roles/load-balancer). Addresses come from the inventory (`ansible_host`).
 */
export function lbGaleraPlaybook(secrets: LbGaleraSecrets): Playbook {
  const database: DatabaseClusterConfig = {
    cluster_name: 'lb-galera',
    sst_password: secrets.sst,
    databases: [{ name: 'notes', encoding: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }],
    users: [{ name: 'notes', host: '%', password: secrets.app, privileges: [{ on: 'notes.*', privileges: ['SELECT', 'INSERT'] }] }],
  };

  // The table, made once on the first node (DDL replicates); its .frm file says it exists.
  const schema: Play = {
    name: 'notes table',
    hosts: 'galera[0]',
    tasks: [
      command(
        {
          argv: ['mariadb', '-e', 'CREATE TABLE IF NOT EXISTS notes.notes (id BIGINT AUTO_INCREMENT PRIMARY KEY, app VARCHAR(64) NOT NULL, body VARCHAR(200) NOT NULL, created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)'],
          creates: '/var/lib/mysql/notes/notes.frm',
        },
        { name: 'create the notes table' },
      ),
    ],
  };

  const app: Play = {
    name: 'application hosts',
    hosts: 'app',
    vars: { galera: database },
    tasks: [
      apt({ name: ['lighttpd', 'mariadb-client-core'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install lighttpd and the mariadb client' }),
      file({ path: '/etc/notes', state: 'directory', owner: 'root', group: 'www-data', mode: '0750' }),
      copy((ctx) => ({ dest: '/etc/notes/db-hosts', content: `${clusterNodes(ctx).map((n) => n.address).join('\n')}\n`, owner: 'root', group: 'www-data', mode: '0640' }), { name: 'database hosts' }),
      copy(
        { dest: '/etc/notes/db.cnf', content: secret(`[client]\nuser = notes\npassword = ${secrets.app.reveal()}\ndatabase = notes\n`), owner: 'root', group: 'www-data', mode: '0640' },
        { name: 'database credentials' },
      ),
      copy({ src: 'notes.cgi', dest: '/usr/lib/cgi-bin/notes', owner: 'root', group: 'root', mode: '0755' }, { name: 'the notes program' }),
      copy({ src: 'notes.conf', dest: '/etc/lighttpd/conf-enabled/50-notes.conf', mode: '0644' }, { name: 'lighttpd: /notes', notify: 'restart lighttpd' }),
      systemd.service({ name: 'lighttpd', state: 'started', enabled: true }, { name: 'lighttpd running and enabled' }),
    ],
    handlers: [systemd.service({ name: 'lighttpd', state: 'restarted' }, { name: 'restart lighttpd' })],
  };

  // Server names and addresses are vars rendered per host, as in Ansible: the first two hosts of `app`.
  const appServer = (i: number) => ({ name: `{{ groups['app'][${i}] }}`, address: `{{ hostvars[groups['app'][${i}]]['ansible_host'] }}:80` });
  const lb: Play = {
    name: 'load balancer',
    hosts: 'lb',
    roles: [
      loadBalancer({
        global: { chroot: '/var/lib/haproxy', server_state_file: '/var/lib/haproxy/server-state' },
        frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'notes' }],
        backends: [
          {
            name: 'notes',
            balance: 'roundrobin',
            health_check: { path: '/notes', expect_status: '200', interval: '2s', fall: 2, rise: 1 },
            servers: [appServer(0), appServer(1)],
          },
        ],
      }),
    ],
  };

  return definePlaybook([...databaseClusterPlays(database, { size: 3, name: 'database cluster' }), schema, app, lb]);
}
