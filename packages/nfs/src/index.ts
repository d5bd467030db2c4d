/**
 * @converge/nfs: an NFS server's exports (`nfs.exports`) and NFS mounts on clients
 * (`nfs.mount`), typed and checked on the controller before any host is contacted.
 */
import { nfsExports } from './exports/exports.js';
import { nfsMount } from './mount/mount.js';

export { nfsExports, NfsExportsParams, exportTable, parseExportTable, exportsPath } from './exports/exports.js';
export type { ExportTable, NfsExportsPlan } from './exports/exports.js';
export { NfsExport, ExportClient, ExportOptions, renderExports, renderOptions, exportProblems } from './exports/exports-file.js';
export { classifyClient } from './exports/clients.js';
export type { ClientKind } from './exports/clients.js';
export { nfsMount, NfsMountParams, mountPoint, parseMountPoint, fstabLine } from './mount/mount.js';
export type { MountPointState, NfsMountPlan } from './mount/mount.js';
export { NfsMountOptions, renderMountOptions, mountOptionProblems, mountedOptionDiffs } from './mount/fstab.js';

/** The NFS family: `nfs.exports` (server) and `nfs.mount` (client). */
export const nfs: { readonly exports: typeof nfsExports; readonly mount: typeof nfsMount } = { exports: nfsExports, mount: nfsMount };
