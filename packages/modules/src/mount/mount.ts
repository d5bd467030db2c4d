import { ConvergeError, Type, defineModule, raw, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import { editFstab, parseFstab, renderFstabLine } from './fstab.js';
import type { FstabEntry } from './fstab.js';
import { mountPoint } from './mount-facts.js';
import type { MountPointState } from './mount-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const Field = (description: string) => Type.String({ minLength: 1, pattern: '^[^\\s#]+$', description });

/** JSON Schema of the `mount` params (Ansible's `ansible.posix.mount`). */
export const MountParams = Type.Object(
  {
    path: Type.String({ pattern: '^/(?!.*\\n)(.*[^/])?$', description: 'Mount point: an absolute path, no trailing `/`. Created (as a directory) when mounting.' }),
    src: Type.Optional(
      Type.String({ minLength: 1, pattern: '^[^\\n]+$', description: 'What to mount: a device path (`/dev/vg0/data`), `UUID=…`, `LABEL=…`, `PARTUUID=…`, `PARTLABEL=…`, or a source such as `tmpfs`. Required unless state is absent or remounted.' }),
    ),
    fstype: Type.Optional(Field('File system type (`ext4`, `xfs`, `tmpfs`, …). Required unless state is absent or remounted.')),
    opts: Type.Optional(Field('Mount options as fstab(5) writes them, comma separated, e.g. `noatime,nodev`. Default `defaults`.')),
    dump: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, default: 0, description: 'fs_freq: dump(8) frequency.' })),
    passno: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, default: 0, description: 'fs_passno: fsck(8) order at boot (0: not checked, 1: root, 2: others).' })),
    state: Type.Optional(
      Type.Union([Type.Literal('mounted'), Type.Literal('unmounted'), Type.Literal('present'), Type.Literal('absent'), Type.Literal('remounted')], {
        default: 'mounted',
        description:
          '`mounted`: in fstab and mounted now (remounted when the options changed; unmounted and mounted again when another device or type is mounted there); `present`: in fstab only; `unmounted`: in fstab, not mounted now; `absent`: unmounted and out of fstab; `remounted`: `mount -o remount` now (always changes: use it in a handler).',
      }),
    ),
    fstab: Type.Optional(Type.String({ pattern: '^/', default: '/etc/fstab', description: 'The fstab file to edit.' })),
    boot: Type.Optional(Type.Boolean({ default: true, description: 'false adds `noauto`: not mounted at boot.' })),
    backup: Type.Optional(Type.Boolean({ default: false, description: 'Keep the old fstab as FSTAB.PID.DATE@TIME~ before replacing it.' })),
  },
  { additionalProperties: false },
);

/** Params of `mount`. */
export type MountParams = Static<typeof MountParams>;

/** Private plan data for apply. */
export interface MountPlan {
  fstab?: string;
  systemd: boolean;
  mkdir: boolean;
  umount: boolean;
  action?: 'mount' | 'remount';
}

/** Per-mount flags that /proc/self/mountinfo shows as given, checked against a mounted file system. */
const VISIBLE_FLAGS = ['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime'];

/** The options of the fstab line: `opts` (or `defaults`), with `noauto` when `boot` is false. */
export function mountOptions(p: MountParams): string {
  const opts = (p.opts ?? 'defaults').split(',').filter(Boolean);
  if (p.boot === false && !opts.includes('noauto')) opts.push('noauto');
  return opts.join(',');
}

/** The option differences between what is wanted and the per-mount options the kernel shows. */
export function mountedFlagDiffs(wanted: string, mountedOptions: string): string[] {
  const want = new Set(wanted.split(','));
  const live = new Set(mountedOptions.split(','));
  const diffs: string[] = [];
  const access = want.has('ro') ? 'ro' : 'rw';
  if (!live.has(access)) diffs.push(`${access === 'ro' ? 'rw' : 'ro'} -> ${access}`);
  for (const f of VISIBLE_FLAGS) if (want.has(f) && !live.has(f)) diffs.push(`-> ${f}`);
  return diffs;
}

function sameSource(p: MountParams, point: MountPointState): boolean {
  const m = point.mounted;
  if (!m) return false;
  if (point.source?.kind === 'block') return point.source.devno === m.devno;
  return m.source === p.src || (point.source?.kind === 'path' && m.source === point.source.path);
}

/**
 * Module `mount`: a file system in /etc/fstab (fstab(5)) and mounted now, as Ansible's
 * `ansible.posix.mount`. The fstab line for the mount point replaces the first one for it in
 * place (later duplicates dropped, every other line byte for byte, the file replaced
 * atomically); systemd is reloaded after an fstab change so that its generated `.mount` units
 * match the file. A source given by `UUID=`/`LABEL=` is resolved with blkid(8) and compared with
 * the device the kernel shows mounted (by major:minor), so a mount by UUID is recognised.
 *
 * `mounted` mounts when nothing is there, unmounts and mounts again when another device or
 * file system type is there, and remounts (`mount -o remount`) when the fstab options changed
 * or the kernel shows other access flags (`ro`/`rw`, `nosuid`, `nodev`, `noexec`, `noatime`).
 * In check mode, a source an earlier task creates (a file system made with a fixed `uuid`) is
 * predicted as mounted, not refused.
 *
 * Differences from Ansible: `absent` leaves the mount point directory; `ephemeral` and
 * `opts_no_log` are not offered; `dump`/`passno` are numbers.
 *
 * @example
 * mount({ path: '/srv/data', src: 'UUID=6b1f…', fstype: 'ext4', opts: 'noatime' })
 */
export const mount = defineModule({
  name: 'mount',
  description: 'A file system in /etc/fstab, mounted, unmounted, removed or remounted.',
  params: MountParams,
  validate: (p) => {
    const state = p.state ?? 'mounted';
    if (state !== 'absent' && state !== 'remounted' && (p.src === undefined || p.fstype === undefined)) return `state ${state} needs src and fstype`;
    if (p.src !== undefined && /\s/.test(p.src) && !p.src.startsWith('/')) return 'src: only a path may contain white space';
    return undefined;
  },
  facts: (p) => ({
    fstab: fileState({ path: p.fstab ?? '/etc/fstab', content: true }),
    point: mountPoint({ path: p.path, ...(p.src !== undefined && (p.state ?? 'mounted') === 'mounted' ? { src: p.src } : {}) }),
  }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    let knownAfter: string | undefined;
    const fstabPath = p.fstab ?? '/etc/fstab';
    const state = p.state ?? 'mounted';
    const point = facts.point;
    const m = point.mounted;
    const changes: Change[] = [];
    const data: MountPlan = { systemd: point.systemd, mkdir: false, umount: false };
    if (state === 'remounted') {
      requirePrerequisite(m !== undefined, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `mount: nothing is mounted at ${p.path} to remount`, { hint: 'use state: mounted to mount it' }));
      data.action = 'remount';
      changes.push({ path: 'mounted', before: m ? `${m.source} (${m.options})` : null, after: `remounted${p.opts ? ` (${p.opts})` : ''}` });
      return { changes, data };
    }

    const fstab = facts.fstab;
    if (fstab.type === 'absent' && !fstab.parentExists) throw new ConvergeError('CONVERGE_PLAN', `mount: the directory of ${fstabPath} does not exist`);
    const text = fstab.target?.content !== undefined ? Buffer.from(fstab.target.content, 'latin1').toString('utf8') : '';
    const options = mountOptions(p);
    const line = state === 'absent' ? null : renderFstabLine({ spec: p.src as string, file: p.path, vfstype: p.fstype as string, mntops: options, freq: p.dump ?? 0, passno: p.passno ?? 0 });
    const next = editFstab(text, p.path, line);
    const diffs: FileDiff[] = [];
    const old: FstabEntry | undefined = parseFstab(text).find((e) => e.file === p.path);
    if (next !== text) {
      data.fstab = next;
      changes.push({ path: 'fstab', before: old ? `${old.spec} ${old.vfstype} ${old.mntops}` : null, after: line === null ? null : `${p.src} ${p.fstype} ${options}` });
      diffs.push(fileDiff(fstabPath, text, next));
    }

    if (state === 'mounted') {
      if (!point.directory) {
        data.mkdir = true;
        changes.push({ path: 'mount_point', before: null, after: p.path });
      }
      const src = point.source;
      const unknown = src?.kind === 'none' && /^(UUID|LABEL|PARTUUID|PARTLABEL)=|^\//.test(p.src as string);
      requirePrerequisite(!unknown, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `mount: src ${p.src} names no device on this host`, { hint: 'check the UUID or path (blkid lists them), or create the file system in an earlier task' }),
      );
      if (!m) {
        data.action = 'mount';
        changes.push({ path: 'mounted', before: null, after: unknown ? `${p.src} (made by an earlier task; known after it runs)` : p.src });
        if (unknown) knownAfter = `${p.src} is made by an earlier task`;
      } else if (!sameSource(p, point) || (p.fstype !== 'auto' && m.fstype !== p.fstype)) {
        data.umount = true;
        data.action = 'mount';
        changes.push({ path: 'mounted', before: `${m.source} (${m.fstype})`, after: `${p.src} (${p.fstype})` });
      } else {
        const flags = mountedFlagDiffs(options, m.options);
        const optionsChanged = old !== undefined && old.mntops !== options;
        if (flags.length > 0 || optionsChanged) {
          data.action = 'remount';
          changes.push({ path: 'options', before: m.options, after: flags.length > 0 ? `${options} (${flags.join(', ')})` : options });
        }
      }
    } else if ((state === 'unmounted' || state === 'absent') && m) {
      data.umount = true;
      changes.push({ path: 'mounted', before: m.source, after: null });
    }
    if (changes.length === 0) {
      return { changes, reason: state === 'absent' ? `${p.path} is neither in ${fstabPath} nor mounted` : `${p.path} is in ${fstabPath}${state === 'mounted' ? ' and mounted' : state === 'unmounted' ? ' and not mounted' : ''} as wanted` };
    }
    return { changes, diffs, data, ...(knownAfter ? { unknown: knownAfter } : {}) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.action === 'remount' && (p.state ?? 'mounted') === 'remounted') {
      const opts = p.opts ? `remount,${p.opts}` : 'remount';
      return [{ script: sh`mount -o ${opts} -- ${p.path}`, description: `remount ${p.path}` }];
    }
    if (d.umount) steps.push({ script: sh`umount -- ${p.path}`, description: `umount ${p.path}` });
    if (d.fstab !== undefined) {
      steps.push(...writeFileSteps({ path: p.fstab ?? '/etc/fstab', followLinks: true, content: new Uint8Array(Buffer.from(d.fstab, 'utf8')), ...(p.backup ? { backup: true } : {}) }));
      if (d.systemd) steps.push({ script: raw('systemctl daemon-reload'), description: 'systemctl daemon-reload' });
    }
    if (d.mkdir) steps.push({ script: sh`mkdir -p -- ${p.path}`, description: `create ${p.path}` });
    // Explicit arguments rather than a look-up in fstab: `fstab` may name another file.
    if (d.action === 'mount') steps.push({ script: sh`mount -t ${p.fstype as string} -o ${mountOptions(p)} -- ${p.src as string} ${p.path}`, description: `mount ${p.path}` });
    if (d.action === 'remount') steps.push({ script: sh`mount -o ${`remount,${mountOptions(p)}`} -- ${p.path}`, description: `remount ${p.path}` });
    return steps;
  },
  resources: (p) => [p.fstab ?? '/etc/fstab', p.path, `mount:${p.path}`, 'block-devices'],
  verify: (p) => (p.state ?? 'mounted') !== 'remounted',
});
