// The reference stack, converged by one playbook: `converge -i inventories/local playbooks/site.ts`
// (or inventories/ovh-production, inventories/scaleway-staging). Every input comes from the
// inventory (playbooks/stack.ts builds it); docs/reference-stack.md describes the architecture.
import { block, definePlaybook } from '@converge/core';
import type { Play, RoleDefinition, RoleUse, TaskContext } from '@converge/core';
import { apt, command, filesystem, mount, nftables, systemd, uri } from '@converge/modules';
import type { NftablesParams } from '@converge/modules';
import { restic } from '@converge/restic-backup';
import { appRole, appSchemaStatement } from '@converge/role-app';
import { backupConfigOf, repositoriesWithChunkerSource } from '@converge/role-backup';
import { databaseClusterPlays } from '@converge/role-database-cluster';
import { loadBalancerRole } from '@converge/role-load-balancer';
import { monitoringRole } from '@converge/role-monitoring';
import { observabilityRole, observabilityVarsOf } from '@converge/role-observability';
import { sharedStorageRole } from '@converge/role-shared-storage';
import { sqlRouterRole, sqlRouterVarsOf } from '@converge/role-sql-router';
import { grafanaHandlers, grafanaTasks } from './grafana.ts';

/** Where the vendor repositories are probed from the hosts (only Debian's mirror is a given). */
export const VENDOR_REPOSITORIES = {
  grafana: 'https://apt.grafana.com/gpg.key',
  maxscale: 'https://dlm.mariadb.com/repo/maxscale/',
} as const;

const inGroup = (h: TaskContext, group: string): boolean => ((h.vars.group_names ?? []) as string[]).includes(group);
const reachable = (h: TaskContext, name: string): boolean => {
  const r = h.registered(name);
  return r !== undefined && !r.failed && !r.skipped;
};
// The vars are read (and checked) before the registered result, so that a var the role does not
// know is refused while the run is planned, not when the repository's answer is in.
/** Grafana's key is in the inventory and Grafana's repository answered this host. */
export const grafanaAvailable = (h: TaskContext): boolean => (observabilityVarsOf(h)?.grafana_key ?? '') !== '' && reachable(h, 'grafana_repository');
/** MariaDB's keyring is in the inventory and MariaDB's MaxScale repository answered this host. */
export const maxscaleAvailable = (h: TaskContext): boolean => (sqlRouterVarsOf(h)?.mariadb_key ?? '') !== '' && reachable(h, 'maxscale_repository');

/**
 * A role's tasks and handlers as a play's, run only where `when` holds (converge's roles take no
 * condition of their own): the role's defaults become block vars under the inventory's.
 */
function roleWhere(role: RoleDefinition, when: (h: TaskContext) => boolean, name: string): Pick<Play, 'tasks' | 'handlers'> {
  return { tasks: [block([...role.tasks], { name, when })], handlers: [...(role.handlers ?? [])] };
}

const preflight: Play = {
  name: 'vendor repositories reachable from the hosts',
  hosts: 'all',
  tasks: [
    // GET in the probe (no round trip of its own, never "changed"); where the repository does not
    // answer, the row says why, and the plays that need it are skipped on this host.
    uri(
      { url: VENDOR_REPOSITORIES.grafana, timeout: 10 },
      { name: "Grafana's APT repository (Grafana, Loki and Alloy are skipped where it does not answer)", register: 'grafana_repository', ignoreErrors: true },
    ),
    uri(
      { url: VENDOR_REPOSITORIES.maxscale, timeout: 10 },
      { name: "MariaDB's MaxScale repository (the SQL router is skipped where it does not answer)", register: 'maxscale_repository', ignoreErrors: true, when: (h) => inGroup(h, 'sql_router') },
    ),
  ],
};

const schema: Play = {
  name: 'application schema',
  hosts: 'galera[0]',
  tasks: [command({ argv: ['mariadb', '-e', appSchemaStatement('notes')], creates: '/var/lib/mysql/notes/notes.frm' }, { name: 'notes table' })],
};

const storage: Play[] = [
  { name: 'NFS server (nfs-ganesha)', hosts: 'nfs_server', roles: [sharedStorageRole(0)] },
  // Kernel NFS clients mount the export where `shared_storage.mounts` is given; libnfs's user-space
  // client is there on every client (containers have no kernel NFS client: inventories/local).
  { name: 'NFS clients', hosts: 'nfs_clients', roles: [sharedStorageRole(1)], tasks: [apt({ name: 'libnfs-utils', update_cache: true, cache_valid_time: 3600 }, { name: 'libnfs-utils (user-space NFS client)' })] },
];

const volume = (h: TaskContext) => h.vars.backup_volume as { device: string; fstype: 'ext4' | 'xfs' } | null;
const backups: Play = {
  name: 'backups: a block storage volume, copies to OVHcloud and Scaleway object storage',
  hosts: 'all',
  tasks: [
    block(
      [
        filesystem((h) => ({ dev: volume(h)?.device as string, fstype: volume(h)?.fstype ?? 'ext4' }), { name: 'backup volume file system', when: (h) => volume(h) !== null }),
        mount((h) => ({ path: '/var/backups/restic', src: volume(h)?.device as string, fstype: volume(h)?.fstype ?? 'ext4', opts: 'noatime', state: 'mounted' }), { name: 'backup volume mounted', when: (h) => volume(h) !== null }),
        apt({ name: ['restic', 'ca-certificates'], state: 'present', update_cache: true, cache_valid_time: 86400 }, { name: 'restic installed' }),
        restic.repositories((h) => ({ repositories: repositoriesWithChunkerSource(backupConfigOf(h)) }), { name: 'restic repositories' }),
        restic.jobs((h) => ({ jobs: backupConfigOf(h).jobs }), { name: 'restic jobs' }),
      ],
      { name: 'backup jobs', when: (h) => h.vars.restic_backup !== undefined },
    ),
  ],
};

const firewall: Play = {
  name: 'private-network firewall',
  hosts: 'all',
  tasks: [
    apt({ name: 'nftables', state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'nftables installed' }),
    nftables((h) => h.vars.firewall as NftablesParams, { name: 'nftables: only the ports each tier needs' }),
    systemd.service({ name: 'nftables', enabled: true }, { name: 'ruleset loaded at boot' }),
  ],
};

const role = (r: RoleDefinition): RoleUse => r;

export default definePlaybook([
  preflight,
  ...databaseClusterPlays(undefined, { size: 3, name: 'Galera' }),
  schema,
  ...storage,
  { name: 'applications', hosts: 'app', roles: [role(appRole)] },
  { name: 'load balancers and their shared address', hosts: 'lb', roles: [role(loadBalancerRole)] },
  { name: 'SQL routers (MaxScale) and their shared address', hosts: 'sql_router', ...roleWhere(sqlRouterRole, maxscaleAvailable, 'MaxScale where its repository answers') },
  backups,
  { name: 'log shipping (Alloy to Loki)', hosts: 'all', ...roleWhere(observabilityRole, grafanaAvailable, 'Alloy where Grafana\'s repository answers') },
  { name: 'metrics and alerts', hosts: 'all', roles: [role(monitoringRole)] },
  { name: 'dashboards (Grafana) and Loki', hosts: 'monitoring', tasks: grafanaTasks(grafanaAvailable), handlers: grafanaHandlers(grafanaAvailable) },
  firewall,
]);
