import { defineRole } from '@converge/core';
import type { RoleDefinition, RoleUse, TaskContext } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { nfs } from '@converge/nfs';
import type { NfsExport, NfsMountParams } from '@converge/nfs';

/** Vars of the shared-storage role (all under `shared_storage`). */
export interface SharedStorageVars {
  /** The NFS server side; absent: the host exports nothing. */
  server?: {
    /** Name of the exports file, `/etc/exports.d/NAME.exports`. Default `shared-storage`. */
    name?: string;
    /** The `nfs.exports` list: paths, clients and their options, directory owner and mode. */
    exports: NfsExport[];
    /**
     * Start `nfs-server` now (it is always enabled at boot). Default true; false on a host whose
     * kernel has no nfsd (a container), where the start would fail.
     */
    start?: boolean;
  };
  /** The `nfs.mount` params of each mount of this host (client side). */
  mounts?: NfsMountParams[];
}

const cfg = (h: TaskContext): SharedStorageVars => (h.vars.shared_storage ?? {}) as SharedStorageVars;
const isServer = (h: TaskContext): boolean => cfg(h).server !== undefined;
const isClient = (h: TaskContext): boolean => (cfg(h).mounts ?? []).length > 0;

/**
 * Role `shared-storage` for `mounts` client mounts: on servers, `nfs-kernel-server` from
 * Debian, the exports (module `nfs.exports`: checked before any host is contacted, directories
 * created with owner and mode, `exportfs -ra` only when they changed) and `nfs-server` enabled
 * and started; on clients, `nfs-common` and one `nfs.mount` task per mount (/etc/fstab,
 * mounted now and at boot, remounted when the options change).
 *
 * A role's task list is fixed when it is defined, and `nfs.mount` handles one mount point, so
 * the role is made for a number of mounts; each task reads its params from the vars at run time.
 */
export function sharedStorageRole(mounts = 0): RoleDefinition {
  return defineRole({
    name: 'shared-storage',
    baseDir: import.meta.dirname,
    defaults: { shared_storage: {} satisfies SharedStorageVars },
    tasks: [
      // nfs-common first: nfs-kernel-server depends on it, and a host that is both gets each package from its own task.
      apt({ name: 'nfs-common', update_cache: true, cache_valid_time: 3600 }, { name: 'install nfs-common', when: (h) => isClient(h) || isServer(h) }),
      apt({ name: 'nfs-kernel-server', update_cache: true, cache_valid_time: 3600 }, { name: 'install nfs-kernel-server', when: isServer }),
      nfs.exports((h) => ({ name: cfg(h).server?.name ?? 'shared-storage', exports: cfg(h).server?.exports ?? [] }), { name: 'NFS exports', when: isServer }),
      systemd.service({ name: 'nfs-server', enabled: true, state: 'started' }, { name: 'nfs-server enabled and started', when: (h) => isServer(h) && cfg(h).server?.start !== false }),
      systemd.service({ name: 'nfs-server', enabled: true }, { name: 'nfs-server enabled', when: (h) => isServer(h) && cfg(h).server?.start === false }),
      ...Array.from({ length: mounts }, (_, i) =>
        nfs.mount((h) => cfg(h).mounts?.[i] ?? { path: `/nonexistent-mount-${i}`, state: 'absent' as const }, { name: `NFS mount #${i + 1}`, when: (h) => (cfg(h).mounts?.length ?? 0) > i }),
      ),
    ],
  });
}

/** The role for a server that mounts nothing (`server` vars only). */
export const sharedStorageServerRole: RoleDefinition = sharedStorageRole(0);

/** The role with its `shared_storage` var, typed: `roles: [sharedStorage({ server: {...}, mounts: [...] })]`. */
export function sharedStorage(config: SharedStorageVars): RoleUse {
  return { role: sharedStorageRole(config.mounts?.length ?? 0), vars: { shared_storage: config } };
}

export default sharedStorageServerRole;
