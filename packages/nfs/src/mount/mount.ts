import { ConvergeError, Type, defineFact, defineModule, raw, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { editFstab, fileDiff, fileState, parseFstab, renderFstabLine, requirePrerequisite, writeFileSteps } from '@converge/modules';
import { NfsMountOptions, mountOptionProblems, mountedOptionDiffs, renderMountOptions } from './fstab.js';

/** JSON Schema of the `nfs.mount` params. */
export const NfsMountParams = Type.Object(
  {
    path: Type.String({ pattern: '^/\\S*[^/\\s]$', description: 'Mount point (absolute, no spaces, no trailing /); created when missing.' }),
    src: Type.Optional(
      Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9][A-Za-z0-9.-]*):/\\S*$', description: 'The export, `SERVER:/PATH` (an IPv6 server in brackets). Required unless state is absent.' }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('mounted'), Type.Literal('present'), Type.Literal('unmounted'), Type.Literal('absent')], {
        default: 'mounted',
        description: '`mounted`: in /etc/fstab and mounted now; `present`: in /etc/fstab only (mounted at the next boot); `unmounted`: in /etc/fstab, not mounted now; `absent`: unmounted and out of /etc/fstab.',
      }),
    ),
    options: Type.Optional(NfsMountOptions),
  },
  { additionalProperties: false },
);

/** Params of `nfs.mount`. */
export type NfsMountParams = Static<typeof NfsMountParams>;

/** What a host's kernel and tools say about one mount point. */
export interface MountPointState {
  /** True when the mount point is a directory. */
  directory: boolean;
  /** True when mount.nfs(8) is installed (package nfs-common). */
  helper: boolean;
  /** NFS file system types the running kernel has registered (/proc/filesystems): `nfs`, `nfs4`. */
  kernel: string[];
  /** True when systemd is the init system (fstab changes need `systemctl daemon-reload`). */
  systemd: boolean;
  /** The file system mounted there now (the last one, as /proc/self/mounts lists them). */
  mounted?: { src: string; fstype: string; options: string };
}

/** Parses the `nfs.mount_point` probe output (exported for fact tests). */
export function parseMountPoint(stdout: string): MountPointState {
  const s: MountPointState = { directory: false, helper: false, kernel: [], systemd: false };
  for (const line of stdout.split('\n')) {
    const [key, ...rest] = line.split(' ');
    if (key === 'dir') s.directory = rest[0] === 'yes';
    else if (key === 'helper') s.helper = rest[0] === 'yes';
    else if (key === 'systemd') s.systemd = rest[0] === 'yes';
    else if (key === 'fs' && rest[0]) s.kernel.push(rest[0]);
    else if (key === 'mount' && rest.length >= 4) s.mounted = { src: rest[0] as string, fstype: rest[2] as string, options: rest[3] as string };
  }
  return s;
}

/** Fact `nfs.mount_point`: the mount point directory, what is mounted there, mount.nfs, kernel NFS support, systemd. */
export const mountPoint = defineFact<{ path: string }, MountPointState>({
  name: 'nfs.mount_point',
  description: 'Mount point directory, current mount (/proc/self/mounts), mount.nfs, kernel NFS types.',
  command: ({ path }) =>
    sh`p=${path}; if [ -d "$p" ]; then echo 'dir yes'; else echo 'dir no'; fi
if [ -x /sbin/mount.nfs ] || [ -x /usr/sbin/mount.nfs ]; then echo 'helper yes'; else echo 'helper no'; fi
if [ -d /run/systemd/system ]; then echo 'systemd yes'; else echo 'systemd no'; fi
awk '$NF == "nfs" || $NF == "nfs4" { print "fs " $NF }' /proc/filesystems
awk -v p="$p" '$2 == p { m = $0 } END { if (m != "") print "mount " m }' /proc/self/mounts`,
  parse: (stdout) => parseMountPoint(stdout),
  resources: ({ path }) => [path, `mount:${path}`, 'package:nfs-common'],
});

/** The fstab line of a mount: `SRC PATH nfs OPTIONS 0 0`. */
export function fstabLine(p: NfsMountParams): string {
  return renderFstabLine({ spec: p.src ?? '', file: p.path, vfstype: 'nfs', mntops: renderMountOptions(p.options) });
}

/** Private plan data for apply. */
export interface NfsMountPlan {
  fstab?: string;
  mkdir: boolean;
  action?: 'mount' | 'remount' | 'umount';
}

const FSTAB = '/etc/fstab';

/**
 * Module `nfs.mount`: an NFS mount in /etc/fstab (fstab(5), nfs(5)) with typed options
 * (`_netdev` and `nofail` by default, so a server that is down does not stop the boot), mounted
 * now with mount(8) and at boot by systemd's fstab generator; remounted (`umount` + `mount`,
 * since NFS takes most options only at mount time) when the fstab line changed or the mounted
 * file system differs from it (source, `ro`/`rw`, `hard`/`soft`, `vers`, `proto`, `timeo`,
 * `retrans`, `sec`).
 *
 * The fstab entry is the one for `path`: it replaces the first line for that mount point in
 * place, drops duplicates and keeps every other line byte for byte; the file is replaced
 * atomically and systemd reloaded, so `mount` and the next boot read the same line. fstab
 * rather than mount units: one file an operator already reads, which systemd turns into the
 * same `.mount` units (systemd-fstab-generator(8)).
 *
 * A kernel without NFS fails the mount with mount.nfs's own message ("No such device"); nothing
 * is faked. `present` and `unmounted` need no kernel support.
 *
 * @example
 * nfs.mount({ path: '/mnt/shared', src: 'files.example.com:/srv/shared', options: { vers: '4.2', timeo: 600 } })
 */
export const nfsMount = defineModule({
  name: 'nfs.mount',
  description: 'An NFS mount in /etc/fstab, mounted now and at boot.',
  params: NfsMountParams,
  validate: (p) => {
    if ((p.state ?? 'mounted') !== 'absent' && p.src === undefined) return 'give src (SERVER:/PATH)';
    const problems = mountOptionProblems(p.options);
    return problems.length > 0 ? problems.join('; ') : undefined;
  },
  facts: (p) => ({ fstab: fileState({ path: FSTAB, content: true }), point: mountPoint({ path: p.path }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const { fstab, point } = facts;
    const state = p.state ?? 'mounted';
    const text = fstab.target?.content !== undefined ? Buffer.from(fstab.target.content, 'latin1').toString('utf8') : '';
    const line = state === 'absent' ? null : fstabLine(p);
    const next = editFstab(text, p.path, line);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: NfsMountPlan = { mkdir: false };
    const fstabChanged = next !== text;
    if (fstabChanged) {
      data.fstab = next;
      const before = parseFstab(text).filter((e) => e.file === p.path);
      changes.push({ path: 'fstab', before: before.length ? `${before[0]?.spec} ${before[0]?.mntops}` : null, after: line === null ? null : `${p.src} ${renderMountOptions(p.options)}` });
      diffs.push(fileDiff(FSTAB, text, next));
    }
    const m = point.mounted;
    if (state === 'mounted') {
      requirePrerequisite(point.helper, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', 'nfs.mount: mount.nfs is not installed on this host', { hint: "install the client first: apt({ name: 'nfs-common' })" }),
      );
      if (!point.directory) {
        data.mkdir = true;
        changes.push({ path: 'mount_point', before: null, after: p.path });
      }
      if (!m) {
        data.action = 'mount';
        changes.push({ path: 'mounted', before: null, after: p.src });
      } else {
        const diffsNow = m.fstype.startsWith('nfs') ? mountedOptionDiffs(p.options ?? {}, m.options) : [`fstype ${m.fstype} -> nfs`];
        if (m.src !== p.src) diffsNow.unshift(`${m.src} -> ${p.src}`);
        if (diffsNow.length > 0 || fstabChanged) {
          data.action = 'remount';
          changes.push({ path: 'mounted', before: `${m.src} (${m.options})`, after: `${p.src} (${diffsNow.length > 0 ? diffsNow.join(', ') : 'new fstab options'})` });
        }
      }
    } else if ((state === 'unmounted' || state === 'absent') && m) {
      data.action = 'umount';
      changes.push({ path: 'mounted', before: m.src, after: null });
    }
    if (changes.length === 0) return { changes, reason: state === 'absent' ? `${p.path} is neither in ${FSTAB} nor mounted` : `${p.path} is in ${FSTAB}${state === 'mounted' ? ' and mounted' : ''} as wanted` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.action === 'umount' || d.action === 'remount') steps.push({ script: sh`umount -- ${p.path}`, description: `umount ${p.path}` });
    if (d.fstab !== undefined) {
      steps.push(...writeFileSteps({ path: FSTAB, followLinks: true, content: new Uint8Array(Buffer.from(d.fstab, 'utf8')) }));
      steps.push({ script: raw('if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi'), description: 'systemctl daemon-reload' });
    }
    if (d.mkdir) steps.push({ script: sh`mkdir -p -- ${p.path}`, description: `create ${p.path}` });
    if (d.action === 'mount' || d.action === 'remount') steps.push({ script: sh`mount -- ${p.path}`, description: `mount ${p.path}` });
    return steps;
  },
  resources: (p) => [FSTAB, p.path, `mount:${p.path}`],
});
