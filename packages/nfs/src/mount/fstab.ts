import { Type } from '@converge/core';
import type { Static } from '@converge/core';

/** NFS mount options (nfs(5)) and the systemd ones that matter at boot (systemd.mount(5)). */
export const NfsMountOptions = Type.Object(
  {
    vers: Type.Optional(
      Type.Union([Type.Literal('3'), Type.Literal('4'), Type.Literal('4.0'), Type.Literal('4.1'), Type.Literal('4.2')], {
        description: '`vers=`: NFS protocol version; absent, the client negotiates the highest the server offers.',
      }),
    ),
    hard: Type.Optional(Type.Boolean({ default: true, description: 'true: `hard` (retry forever; safe for writes); false: `soft` (fail after `retrans` retries).' })),
    timeo: Type.Optional(Type.Integer({ minimum: 1, maximum: 6000, description: '`timeo=`: tenths of a second before the first retransmission (nfs(5) default 600 over TCP).' })),
    retrans: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: '`retrans=`: retries before a soft mount fails or a hard one logs "server not responding".' })),
    proto: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('rdma')], { description: '`proto=`: transport (NFSv4 needs tcp or rdma).' })),
    rsize: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576, description: '`rsize=`: largest read in bytes (the kernel may lower it).' })),
    wsize: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576, description: '`wsize=`: largest write in bytes (the kernel may lower it).' })),
    sec: Type.Optional(Type.Union([Type.Literal('sys'), Type.Literal('krb5'), Type.Literal('krb5i'), Type.Literal('krb5p')], { description: '`sec=`: security flavour.' })),
    ro: Type.Optional(Type.Boolean({ default: false, description: 'Mount read-only (`ro`) instead of `rw`.' })),
    noatime: Type.Optional(Type.Boolean({ description: '`noatime`: do not update access times.' })),
    netdev: Type.Optional(Type.Boolean({ default: true, description: '`_netdev`: a network file system, mounted after the network is up (systemd.mount(5)).' })),
    nofail: Type.Optional(Type.Boolean({ default: true, description: '`nofail`: a server that is down does not stop the boot.' })),
    automount: Type.Optional(Type.Boolean({ default: false, description: '`x-systemd.automount`: mounted on first access rather than at boot.' })),
    mount_timeout: Type.Optional(Type.Integer({ minimum: 1, description: '`x-systemd.mount-timeout=`: seconds systemd waits for the mount at boot.' })),
    extra: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:=+-]+$' }), { description: 'Other options, written as given after the typed ones, e.g. `nconnect=4`, `lookupcache=positive`.' })),
  },
  { additionalProperties: false, description: 'Mount options (nfs(5), systemd.mount(5)), written in this order.' },
);

/** NFS mount options. */
export type NfsMountOptions = Static<typeof NfsMountOptions>;

/** The options field of the fstab line, in a fixed order. */
export function renderMountOptions(o: NfsMountOptions = {}): string {
  const parts: string[] = [o.ro ? 'ro' : 'rw'];
  if (o.vers) parts.push(`vers=${o.vers}`);
  parts.push(o.hard === false ? 'soft' : 'hard');
  if (o.proto) parts.push(`proto=${o.proto}`);
  if (o.timeo !== undefined) parts.push(`timeo=${o.timeo}`);
  if (o.retrans !== undefined) parts.push(`retrans=${o.retrans}`);
  if (o.rsize !== undefined) parts.push(`rsize=${o.rsize}`);
  if (o.wsize !== undefined) parts.push(`wsize=${o.wsize}`);
  if (o.sec) parts.push(`sec=${o.sec}`);
  if (o.noatime) parts.push('noatime');
  if (o.netdev ?? true) parts.push('_netdev');
  if (o.nofail ?? true) parts.push('nofail');
  if (o.automount) parts.push('x-systemd.automount');
  if (o.mount_timeout !== undefined) parts.push(`x-systemd.mount-timeout=${o.mount_timeout}`);
  parts.push(...(o.extra ?? []));
  return parts.join(',');
}

/** Problems of an option set nfs(5) would refuse or that contradict each other; empty when fine. */
export function mountOptionProblems(o: NfsMountOptions = {}): string[] {
  const problems: string[] = [];
  if (o.proto === 'udp' && o.vers?.startsWith('4')) problems.push('NFSv4 does not run over UDP (nfs(5)); use proto tcp or rdma');
  const typed = new Set(['ro', 'rw', 'vers', 'nfsvers', 'hard', 'soft', 'proto', 'timeo', 'retrans', 'rsize', 'wsize', 'sec', 'noatime', 'atime', '_netdev', 'nofail', 'x-systemd.automount', 'x-systemd.mount-timeout']);
  for (const e of o.extra ?? []) {
    const key = e.split('=')[0] as string;
    if (typed.has(key)) problems.push(`extra option ${e}: use the typed option instead`);
  }
  return problems;
}

/**
 * The options of a wanted mount that differ from what the kernel shows in /proc/self/mounts:
 * `ro`/`rw`, `hard`/`soft`, `vers` (when a minor version or 3 is given; `4` negotiates one),
 * `proto`, `timeo`, `retrans` and `sec`. rsize/wsize are left out (the kernel may lower them),
 * and so are the options only mount(8) or systemd read (`_netdev`, `nofail`, `x-systemd.*`).
 *
 * @returns `key: mounted -> wanted` for each difference.
 */
export function mountedOptionDiffs(want: NfsMountOptions, mounted: string): string[] {
  const kv = new Map<string, string>();
  const flags = new Set<string>();
  for (const o of mounted.split(',')) {
    const i = o.indexOf('=');
    if (i < 0) flags.add(o);
    else kv.set(o.slice(0, i), o.slice(i + 1));
  }
  const diffs: string[] = [];
  const access = flags.has('ro') ? 'ro' : 'rw';
  if (access !== (want.ro ? 'ro' : 'rw')) diffs.push(`${access} -> ${want.ro ? 'ro' : 'rw'}`);
  const recovery = flags.has('soft') ? 'soft' : flags.has('softerr') ? 'softerr' : 'hard';
  if (recovery !== (want.hard === false ? 'soft' : 'hard')) diffs.push(`${recovery} -> ${want.hard === false ? 'soft' : 'hard'}`);
  if (want.vers && want.vers !== '4') {
    const v = kv.get('vers') ?? '';
    if (v !== want.vers && !(want.vers === '4.0' && v === '4')) diffs.push(`vers=${v} -> vers=${want.vers}`);
  }
  const same = (key: string, value: string | number | undefined) => {
    if (value !== undefined && kv.get(key) !== String(value)) diffs.push(`${key}=${kv.get(key) ?? ''} -> ${key}=${value}`);
  };
  same('proto', want.proto);
  same('timeo', want.timeo);
  same('retrans', want.retrans);
  same('sec', want.sec);
  return diffs;
}
