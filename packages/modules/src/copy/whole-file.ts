import { defineManagedFile } from '../managed-file/managed-file.js';
import type { ManagedFile } from '../managed-file/managed-file.js';

/**
 * A file a module owns whole (a drop-in under /etc/modprobe.d, /etc/logrotate.d, /etc/hostname):
 * the wanted text, or `null` for "must not exist".
 */
export interface WholeFile {
  path: string;
  content: string | null;
  mode?: string;
  owner?: string;
  group?: string;
  /** Command run on the new file (`%s` = its temp path) before it replaces the old one. */
  validate?: string;
}

/**
 * A {@link WholeFile} as a managed file (sha256 compare, atomic write, mode/owner kept or set, or
 * removed): give the plan a `label` and its changes read `LABEL.content`, `LABEL.state` and so on.
 */
export const wholeFile: ManagedFile<WholeFile> = defineManagedFile<WholeFile>({
  path: (f) => f.path,
  render: (f) => f.content,
  mode: (f) => f.mode,
  owner: (f) => f.owner,
  group: (f) => f.group,
  validate: (f) => f.validate,
});
