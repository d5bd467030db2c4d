// The reference stack on seven local Debian 12 containers (playbooks/site.cluster.test.ts
// starts them on the Docker network 10.89.19.0/24, the controller being its gateway 10.89.19.1).
//
// Tiers share hosts here, to keep the stack small:
//   lb1, lb2    HAProxy + keepalived (shared address 10.89.19.10), and the SQL router pair: MaxScale
//               cannot be installed here (MariaDB's repository is unreachable), so its plays are
//               skipped with the reason printed, and the apps reach Galera through the HAProxy
//               pair's TCP listener on 10.89.19.10:3306 instead (one node at a time, the others as
//               backups, each checked through its Galera state endpoint)
//   app1, app2  the notes application (roles/app), NFS clients (libnfs: no kernel NFS client here)
//   db1..db3    MariaDB Galera; db1 is also the NFS server (nfs-ganesha), the monitoring host
//               (Prometheus, Alertmanager, Grafana's provisioning) and runs the backup jobs
//
// Secrets: there is no Vault server here, so they are secret() values of this file, made for
// this local stack only (the cloud inventories' stack.ts reads them from Vault with vault()).
// Object storage: stand-ins for OVHcloud's and Scaleway's S3 endpoints (s3rver over HTTPS, served
// by the test on the gateway, whose certificates it puts in every host's CA store); nothing
// leaves this machine.
import { secret } from '@converge/core';
import { defineInventory } from '@converge/inventory';
import { stackInventory } from '../../playbooks/stack.ts';

const net = (n: number) => `10.89.19.${n}`;

export default defineInventory(
  stackInventory({
    name: 'local',
    interface: 'eth0',
    hosts: {
      lb1: { address: net(11), groups: ['lb', 'sql_router'] },
      lb2: { address: net(12), groups: ['lb', 'sql_router'] },
      app1: { address: net(21), groups: ['app', 'nfs_clients'] },
      app2: { address: net(22), groups: ['app', 'nfs_clients'] },
      db1: { address: net(33), groups: ['galera', 'nfs_server', 'monitoring'] },
      db2: { address: net(34), groups: ['galera'] },
      db3: { address: net(35), groups: ['galera'] },
    },
    networks: { admin: [`${net(1)}/32`], database: [`${net(11)}/32`, `${net(12)}/32`, `${net(32)}/28`] },
    lb_vip: { address: `${net(10)}/24` },
    sql: { vip: `${net(20)}/24`, load_balancer_port: 3306 },
    app_version: '1.0.0',
    nfs: { export_dir: '/srv/nfs/shared' },
    backup: {
      dir: '/var/backups/restic',
      ovh: { endpoint: `https://${net(1)}:9001`, region: 'gra', bucket: 'stack-backups', access_key_id: 'LOCALOVHKEY', secret_access_key: secret('local-ovh-s3-secret-8d2f'), password: secret('local-restic-ovh-51ac') },
      scaleway: { endpoint: `https://${net(1)}:9002`, region: 'fr-par', bucket: 'stack-backups', access_key_id: 'LOCALSCWKEY', secret_access_key: secret('local-scw-s3-secret-0c7e'), password: secret('local-restic-scw-93bd') },
    },
    loki_url: `http://${net(33)}:3100/loki/api/v1/push`,
    alerts: { smarthost: 'localhost:25', from: 'alertmanager@stack.local', to: 'ops@stack.local' },
    secrets: {
      vrrp: secret('vrrpLc1'),
      galera_sst: secret('local-sst-4e0b'),
      app_database: secret('local-notes-db-77f1'),
      sentry_dsn: secret('http://localonlykey@10.89.19.1:9000/1'),
      mysqld_exporter: secret('local-exporter-2a9c'),
      maxscale_monitor: secret('local-maxscale-mon-6b1d'),
      maxscale_service: secret('local-maxscale-svc-c03e'),
      maxscale_admin: secret('local-maxscale-api-19fa'),
      backup_volume: secret('local-restic-volume-e58c'),
    },
  }),
);
