// The staging stack on Scaleway (Paris, fr-par-1), over a Private Network 10.1.0.0/16: one
// tier per /24. Hosts come from scaleway.yml (provider facts, region); their
// private addresses and tiers from here. Every secret is read from HashiCorp Vault before any
// host is contacted (VAULT_ADDR and VAULT_TOKEN, or AppRole: see README, "HashiCorp Vault").
// Grafana's and MariaDB's repository keys are kept in files/ (download them once, see
// docs/reference-stack.md); without them Grafana, Loki, Alloy and MaxScale are skipped.
import { defineInventory } from '@converge/inventory';
import { inventoryKey, stackInventory, stackSecretsFromVault, stackVault } from '../../playbooks/stack.ts';

const key = (name: string): string => inventoryKey(import.meta.url, name);
const kv = stackVault('scaleway-staging');
const failover = (ipId: string, targets: Record<string, string>) => ({
  provider: 'scaleway' as const,
  scaleway: { secret_key: kv('api#secret_key'), zone: 'fr-par-1', ip_id: ipId },
  targets,
});

export default defineInventory(
  stackInventory({
    name: 'staging',
    interface: 'ens5',
    hosts: {
      'lb1.staging': { address: '10.1.1.11', groups: ['lb'] },
      'lb2.staging': { address: '10.1.1.12', groups: ['lb'] },
      'app1.staging': { address: '10.1.2.21', groups: ['app', 'nfs_clients'] },
      'app2.staging': { address: '10.1.2.22', groups: ['app', 'nfs_clients'] },
      'sql1.staging': { address: '10.1.3.11', groups: ['sql_router'] },
      'sql2.staging': { address: '10.1.3.12', groups: ['sql_router'] },
      'db1.staging': { address: '10.1.3.31', groups: ['galera'] },
      'db2.staging': { address: '10.1.3.32', groups: ['galera'] },
      'db3.staging': { address: '10.1.3.33', groups: ['galera'] },
      'nfs1.staging': { address: '10.1.4.11', groups: ['nfs_server'] },
      'mon1.staging': { address: '10.1.4.21', groups: ['monitoring'] },
    },
    networks: { admin: ['10.1.0.0/24'], database: ['10.1.3.0/24'] },
    lb_vip: { address: '10.1.1.10/24', failover: failover('11111111-1111-4111-8111-111111111111', { 'lb1.staging': 'server-lb1', 'lb2.staging': 'server-lb2' }) },
    sql: { vip: '10.1.3.10/24', mariadb_key: key('mariadb-keyring.asc') },
    app_version: '1.1.0',
    nfs: { export_dir: '/srv/nfs/shared', mount_point: '/srv/shared' },
    backup: {
      dir: '/var/backups/restic',
      volume: { device: '/dev/sdb', fstype: 'xfs' },
      ovh: { endpoint: 'https://s3.sbg.io.cloud.ovh.net', region: 'sbg', bucket: 'stack-staging-backups', access_key_id: kv('ovh-s3#access_key_id'), secret_access_key: kv('ovh-s3#secret_access_key'), password: kv('restic#ovh') },
      scaleway: { endpoint: 'https://s3.nl-ams.scw.cloud', region: 'nl-ams', bucket: 'stack-staging-backups', access_key_id: kv('scaleway-s3#access_key_id'), secret_access_key: kv('scaleway-s3#secret_access_key'), password: kv('restic#scaleway') },
    },
    loki_url: 'http://10.1.4.21:3100/loki/api/v1/push',
    grafana_key: key('grafana.asc'),
    alerts: { smarthost: 'smtp.internal.example.net:587', from: 'alertmanager@stack.example.net', to: 'ops@example.net' },
    secrets: stackSecretsFromVault(kv),
  }),
);
