/**
 * @converge/nfs: an NFS server's exports (`nfs.exports` for the kernel server, `nfs.ganesha`
 * for the user-space nfs-ganesha) and NFS mounts on clients (`nfs.mount`), typed and checked on
 * the controller before any host is contacted.
 */
import { nfsExports } from './exports/exports.js';
import { nfsGanesha } from './ganesha/ganesha.js';
import { nfsMount } from './mount/mount.js';

export { nfsExports, NfsExportsParams, exportTable, parseExportTable, exportsPath } from './exports/exports.js';
export type { ExportTable, NfsExportsPlan } from './exports/exports.js';
export { NfsExport, ExportClient, ExportOptions, renderExports, renderOptions, exportProblems } from './exports/exports-file.js';
export { classifyClient } from './exports/clients.js';
export { planExportDirectories, exportDirectorySteps } from './exports/export-directories.js';
export type { ExportDirectory, DirectoryFix } from './exports/export-directories.js';
export { nfsGanesha, NfsGaneshaParams, ganeshaExports, parseGaneshaExports, wantedExports, GANESHA_DEFAULTS } from './ganesha/ganesha.js';
export type { GaneshaExportList, NfsGaneshaPlan } from './ganesha/ganesha.js';
export { GaneshaExport, GaneshaClient, renderGaneshaConfig, ganeshaProblems } from './ganesha/ganesha-config.js';
export type { ClientKind } from './exports/clients.js';
export { nfsMount, NfsMountParams, mountPoint, parseMountPoint, fstabLine } from './mount/mount.js';
export type { MountPointState, NfsMountPlan } from './mount/mount.js';
export { NfsMountOptions, renderMountOptions, mountOptionProblems, mountedOptionDiffs } from './mount/fstab.js';

/** The NFS family: `nfs.exports` (kernel server), `nfs.ganesha` (nfs-ganesha server) and `nfs.mount` (client). */
export const nfs: { readonly exports: typeof nfsExports; readonly ganesha: typeof nfsGanesha; readonly mount: typeof nfsMount } = { exports: nfsExports, ganesha: nfsGanesha, mount: nfsMount };
