// The production stack on OVHcloud (Gravelines, GRA11), over the vRack private network
// 10.0.0.0/16: one tier per /24. Hosts come from ovh.yml (provider facts, region); their
// private addresses and tiers from here. Every secret is read from HashiCorp Vault before any
// host is contacted (VAULT_ADDR and VAULT_TOKEN, or AppRole: see README, "HashiCorp Vault").
// Grafana's and MariaDB's repository keys are kept in files/ (download them once, see
// docs/reference-stack.md); without them Grafana, Loki, Alloy and MaxScale are skipped.
import { defineInventory } from '@converge/inventory';
import { inventoryKey, stackInventory, stackSecretsFromVault, stackVault } from '../../playbooks/stack.ts';

const key = (name: string): string => inventoryKey(import.meta.url, name);
const kv = stackVault('ovh-production');
const failover = (ip: string, targets: Record<string, string>) => ({
  provider: 'ovh' as const,
  ovh: { application_key: 'AKprodStack', application_secret: kv('api#application_secret'), consumer_key: kv('api#consumer_key'), ip, project: '00000000000000000000000000000000', failover_ip_id: 'fo-ip-www' },
  targets,
});

export default defineInventory(
  stackInventory({
    name: 'production',
    interface: 'ens4',
    hosts: {
      'lb1.prod': { address: '10.0.1.11', groups: ['lb'] },
      'lb2.prod': { address: '10.0.1.12', groups: ['lb'] },
      'app1.prod': { address: '10.0.2.21', groups: ['app', 'nfs_clients'] },
      'app2.prod': { address: '10.0.2.22', groups: ['app', 'nfs_clients'] },
      'app3.prod': { address: '10.0.2.23', groups: ['app', 'nfs_clients'] },
      'sql1.prod': { address: '10.0.3.11', groups: ['sql_router'] },
      'sql2.prod': { address: '10.0.3.12', groups: ['sql_router'] },
      'db1.prod': { address: '10.0.3.31', groups: ['galera'] },
      'db2.prod': { address: '10.0.3.32', groups: ['galera'] },
      'db3.prod': { address: '10.0.3.33', groups: ['galera'] },
      'nfs1.prod': { address: '10.0.4.11', groups: ['nfs_server'] },
      'mon1.prod': { address: '10.0.4.21', groups: ['monitoring'] },
    },
    networks: { admin: ['10.0.0.0/24'], database: ['10.0.3.0/24'] },
    lb_vip: { address: '10.0.1.10/24', failover: failover('203.0.113.10', { 'lb1.prod': 'instance-lb1', 'lb2.prod': 'instance-lb2' }) },
    sql: { vip: '10.0.3.10/24', mariadb_key: key('mariadb-keyring.asc') },
    app_version: '1.1.0',
    nfs: { export_dir: '/srv/nfs/shared', mount_point: '/srv/shared' },
    backup: {
      dir: '/var/backups/restic',
      volume: { device: '/dev/sdb', fstype: 'ext4' },
      ovh: { endpoint: 'https://s3.gra.io.cloud.ovh.net', region: 'gra', bucket: 'stack-prod-backups', access_key_id: kv('s3#access_key_id'), secret_access_key: kv('s3#secret_access_key'), password: kv('restic#ovh') },
      scaleway: { endpoint: 'https://s3.fr-par.scw.cloud', region: 'fr-par', bucket: 'stack-prod-backups', access_key_id: kv('scaleway-s3#access_key_id'), secret_access_key: kv('scaleway-s3#secret_access_key'), password: kv('restic#scaleway') },
    },
    loki_url: 'http://10.0.4.21:3100/loki/api/v1/push',
    grafana_key: key('grafana.asc'),
    alerts: { smarthost: 'smtp.internal.example.net:587', from: 'alertmanager@stack.example.net', to: 'ops@example.net' },
    secrets: stackSecretsFromVault(kv),
  }),
);
