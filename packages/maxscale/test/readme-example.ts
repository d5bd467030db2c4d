// The README's example as a file (readme.test.ts checks that the README shows this text).
import { readFileSync } from 'node:fs';
import { definePlaybook, vault } from '@converge/core';
import { sqlRouterPlays } from '@converge/role-sql-router';

export default definePlaybook(
  sqlRouterPlays(
    {
      // `gpg --armor --export` of https://supplychain.mariadb.com/mariadb-keyring-2019.gpg
      mariadb_key: readFileSync(new URL('files/mariadb-keyring.asc', import.meta.url), 'utf8'),
      maxscale_version: '24.02',
      maxscale: {
        maxscale: { threads: 'auto', admin_host: '127.0.0.1', log_info: false },
        servers: [
          { name: 'db1', address: '10.0.0.21', priority: 1 },
          { name: 'db2', address: '10.0.0.22', priority: 2 },
          { name: 'db3', address: '10.0.0.23', priority: 3 },
        ],
        monitor: { user: 'maxscale_monitor', password: vault('kv/data/maxscale#monitor'), monitor_interval: '2s', use_priority: true },
        service: { user: 'maxscale', password: vault('kv/data/maxscale#service'), transaction_replay: true, master_reconnection: true, causal_reads: 'local' },
        listener: { port: 3306 },
      },
      rest_api: { user: 'ops', password: vault('kv/data/maxscale#rest') },
    },
    { routers: 'maxscale', cluster: 'galera', account_hosts: ['10.0.0.%'] },
  ),
);
