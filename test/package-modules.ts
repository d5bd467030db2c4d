import * as builtinModules from '@converge/modules';
import * as haproxy from '@converge/haproxy';
import * as lokiAgent from '@converge/loki-agent';
import * as mariadbGalera from '@converge/mariadb-galera';
import * as maxscale from '@converge/maxscale';
import * as nfs from '@converge/nfs';
import * as resticBackup from '@converge/restic-backup';

/** Every package that exports modules, as `[package name, its exports]`; `@converge/modules` first. */
export const PACKAGES: [string, Record<string, unknown>][] = [
  ['@converge/modules', builtinModules],
  ['@converge/haproxy', haproxy],
  ['@converge/nfs', nfs],
  ['@converge/loki-agent', lokiAgent],
  ['@converge/restic-backup', resticBackup],
  ['@converge/mariadb-galera', mariadbGalera],
  ['@converge/maxscale', maxscale],
];
