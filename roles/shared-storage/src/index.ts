import { join } from 'node:path';
import { ConvergeError, checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, RoleDefinition, RoleUse, TaskContext } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { nfs } from '@converge/nfs';
import type { NfsExport, NfsGaneshaParams, NfsMountParams } from '@converge/nfs';

/** Vars of the shared-storage role (all under `shared_storage`). */
export interface SharedStorageVars {
  /** The NFS server side; absent: the host exports nothing. */
  server?: {
    /** Name of the exports file, `/etc/exports.d/NAME.exports`. Default `shared-storage`. */
    name?: string;
    /** The kernel server's `nfs.exports` list: paths, clients and their options, directory owner and mode. */
    exports?: NfsExport[];
    /**
     * Start `nfs-server` now (it is always enabled at boot). Default true; false on a host whose
     * kernel has no nfsd (a container), where the start would fail.
     */
    start?: boolean;
    /**
     * Serve with nfs-ganesha (user space, no kernel nfsd needed) instead of the kernel server:
     * the `nfs.ganesha` params (exports with ids, pseudo paths and CLIENT blocks). Give this or
     * `exports`: both servers listen on port 2049.
     */
    ganesha?: NfsGaneshaParams;
  };
  /** The `nfs.mount` params of each mount of this host (client side). */
  mounts?: NfsMountParams[];
}

/** Every var of {@link SharedStorageVars} (`exports`, `ganesha` and `mounts` are module params, checked by their schemas); complete by type. */
export const SHARED_STORAGE_VARS: KnownVars<SharedStorageVars> = {
  server: { name: true, exports: true, start: true, ganesha: true },
  mounts: true,
};

const cfg = (h: TaskContext): SharedStorageVars => checkRoleVars('shared-storage', 'shared_storage', h.vars.shared_storage ?? {}, SHARED_STORAGE_VARS);
const isServer = (h: TaskContext): boolean => cfg(h).server !== undefined;
const isKernelServer = (h: TaskContext): boolean => isServer(h) && cfg(h).server?.ganesha === undefined;
const isGanesha = (h: TaskContext): boolean => cfg(h).server?.ganesha !== undefined;
/** The server vars; both servers at once are refused (they listen on the same port). */
function server(h: TaskContext): SharedStorageVars['server'] {
  const s = cfg(h).server;
  if (s?.ganesha && s.exports) {
    throw new ConvergeError('CONVERGE_PARAMS', 'shared_storage.server: give exports (the kernel server) or ganesha (nfs-ganesha), not both: both listen on port 2049');
  }
  return s;
}
const isClient = (h: TaskContext): boolean => (cfg(h).mounts ?? []).length > 0;

/**
 * Role `shared-storage` for `mounts` client mounts: on servers, `nfs-kernel-server` from
 * Debian, the exports (module `nfs.exports`: checked before any host is contacted, directories
 * created with owner and mode, `exportfs -ra` only when they changed) and `nfs-server` enabled
 * and started; or, with `server.ganesha`, nfs-ganesha (user space: for hosts without kernel
 * nfsd, such as containers) with its exports (module `nfs.ganesha`: reloaded, and put back
 * when ganesha does not take them) and its service enabled and started; on clients,
 * `nfs-common` and one `nfs.mount` task per mount (/etc/fstab, mounted now and at boot,
 * remounted when the options change).
 *
 * A role's task list is fixed when it is defined, and `nfs.mount` handles one mount point, so
 * the role is made for a number of mounts; each task reads its params from the vars at run time.
 */
export function sharedStorageRole(mounts = 0): RoleDefinition {
  return defineRole({
    name: 'shared-storage',
    baseDir: join(import.meta.dirname, '..'),
    defaults: { shared_storage: {} satisfies SharedStorageVars },
    tasks: [
      // nfs-common first: nfs-kernel-server depends on it, and a host that is both gets each package from its own task.
      apt({ name: 'nfs-common', update_cache: true, cache_valid_time: 3600 }, { name: 'install nfs-common', when: (h) => isClient(h) || isServer(h) }),
      apt({ name: 'nfs-kernel-server', update_cache: true, cache_valid_time: 3600 }, { name: 'install nfs-kernel-server', when: isKernelServer }),
      nfs.exports((h) => ({ name: cfg(h).server?.name ?? 'shared-storage', exports: server(h)?.exports ?? [] }), { name: 'NFS exports', when: isKernelServer }),
      systemd.service({ name: 'nfs-server', enabled: true, state: 'started' }, { name: 'nfs-server enabled and started', when: (h) => isKernelServer(h) && cfg(h).server?.start !== false }),
      systemd.service({ name: 'nfs-server', enabled: true }, { name: 'nfs-server enabled', when: (h) => isKernelServer(h) && cfg(h).server?.start === false }),
      apt({ name: ['nfs-ganesha', 'nfs-ganesha-vfs'], update_cache: true, cache_valid_time: 3600 }, { name: 'install nfs-ganesha', when: isGanesha }),
      nfs.ganesha((h) => server(h)?.ganesha as NfsGaneshaParams, { name: 'NFS exports (nfs-ganesha)', when: isGanesha }),
      systemd.service({ name: 'nfs-ganesha', enabled: true, state: 'started' }, { name: 'nfs-ganesha enabled and started', when: isGanesha }),
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
  return useRole(sharedStorageRole(config.mounts?.length ?? 0), { shared_storage: config });
}

export default sharedStorageServerRole;
