import { ConvergeError, defineFact, sh } from '@converge/core';
import { decodeMountField, encodeMountField } from './fstab.js';

/** A file system mounted at a path, as /proc/self/mountinfo (proc(5)) shows it. */
export interface MountedFs {
  /** The mount source (`/dev/loop0`, `tmpfs`, `server:/export`), escapes decoded. */
  source: string;
  fstype: string;
  /** Per-mount options (field 6): `rw,nosuid,relatime`. */
  options: string;
  /** Super block options (the last field): `rw,errors=remount-ro`. */
  superOptions: string;
  /** `major:minor` of the device (decimal). */
  devno: string;
}

/** What a `src` spec names on the host: a block device (resolved), another existing path, or nothing. */
export interface ResolvedSource {
  kind: 'block' | 'path' | 'none';
  /** `readlink -f` of the device or path. */
  path?: string;
  /** `major:minor` of a block device (decimal). */
  devno?: string;
}

/** State of one mount point. */
export interface MountPointState {
  path: string;
  /** True when the mount point is a directory. */
  directory: boolean;
  /** True when systemd is the init system (an fstab change needs `systemctl daemon-reload`). */
  systemd: boolean;
  /** The file system mounted there now (the top one when mounts are stacked). */
  mounted?: MountedFs;
  /** What `src` resolves to, when the request named one. */
  source?: ResolvedSource;
}

/** Arguments of {@link mountPoint}. */
export interface MountPointArgs {
  path: string;
  /** An fstab fs_spec to resolve: a device path, `UUID=`, `LABEL=`, `PARTUUID=` or `PARTLABEL=`. */
  src?: string;
}

const TAGGED = /^(UUID|LABEL|PARTUUID|PARTLABEL)=/;

/**
 * Fact `mount.point`: whether the mount point is a directory, what /proc/self/mountinfo shows
 * mounted there, and what `src` resolves to (a tag through blkid(8) without its cache, a path
 * through `readlink -f`), with the device's `major:minor` so that a mount by UUID compares with
 * the device the kernel shows. POSIX sh, awk, util-linux.
 */
export const mountPoint = defineFact<MountPointArgs, MountPointState>({
  name: 'mount.point',
  description: 'Mount point directory, the file system mounted there (mountinfo), and the device src names.',
  command: ({ path, src }) => {
    const base = sh`p=${path}; if [ -d "$p" ]; then echo 'dir yes'; else echo 'dir no'; fi
if [ -d /run/systemd/system ]; then echo 'systemd yes'; fi
CV_MP=${encodeMountField(path)} awk '$5 == ENVIRON["CV_MP"] { m = $0 } END { if (m != "") print "mount " m }' /proc/self/mountinfo`;
    if (src === undefined) return base;
    const resolve = TAGGED.test(src)
      ? sh`d=$(blkid -c /dev/null -l -o device -t ${src} 2>/dev/null) || d=`
      : src.startsWith('/')
        ? sh`d=${src}`
        : sh`d=`;
    return sh`${base}
${resolve}
if [ -n "$d" ] && [ -b "$d" ]; then echo "block $(stat -L -c '%t:%T' -- "$d") $(readlink -f -- "$d")"; elif [ -n "$d" ] && [ -e "$d" ]; then echo "path $(readlink -f -- "$d")"; else echo 'source none'; fi`;
  },
  parse: (stdout, { args }) => parseMountPoint(stdout, args),
  resources: ({ path }) => [path, `mount:${path}`, 'block-devices'],
});

/** Pure parser of the `mount.point` probe (exported for fact tests). */
export function parseMountPoint(stdout: string, args: MountPointArgs): MountPointState {
  const state: MountPointState = { path: args.path, directory: false, systemd: false };
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'dir') state.directory = rest === 'yes';
    else if (key === 'systemd') state.systemd = rest === 'yes';
    else if (key === 'mount') state.mounted = parseMountinfoLine(rest);
    else if (key === 'block') {
      const [hex, ...p] = rest.split(' ');
      const [maj, min] = (hex ?? '').split(':').map((h) => parseInt(h, 16));
      state.source = { kind: 'block', path: p.join(' '), devno: `${maj}:${min}` };
    } else if (key === 'path') state.source = { kind: 'path', path: rest };
    else if (key === 'source') state.source = { kind: 'none' };
  }
  return state;
}

/**
 * One line of /proc/self/mountinfo: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
 * FSTYPE SOURCE SUPEROPTIONS` (proc(5)).
 *
 * @throws ConvergeError `CONVERGE_FACT` for a line without the ` - ` separator.
 */
export function parseMountinfoLine(line: string): MountedFs {
  const f = line.trim().split(' ');
  const sep = f.indexOf('-', 6);
  if (sep < 0 || f.length < sep + 3) throw new ConvergeError('CONVERGE_FACT', `mount.point: unexpected mountinfo line ${JSON.stringify(line)}`);
  return { devno: f[2] ?? '', options: f[5] ?? '', fstype: f[sep + 1] ?? '', source: decodeMountField(f[sep + 2] ?? ''), superOptions: f[sep + 3] ?? '' };
}
