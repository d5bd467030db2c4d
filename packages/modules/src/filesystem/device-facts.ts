import { defineFact, sh } from '@converge/core';

/** What is on a block device (or an image file), as blkid(8), blockdev(8) and the file system's own tools show it. */
export interface BlockDeviceState {
  path: string;
  /** `block`: a block device; `file`: a regular file (an image); `none`: nothing at that path. */
  kind: 'block' | 'file' | 'none';
  /** Size in bytes (blockdev --getsize64, or the file's size). */
  size?: number;
  /** Signatures blkid finds without its cache (`blkid -p`): `TYPE`, `UUID`, `LABEL`, `PTTYPE`, `USAGE`. */
  signature: { type?: string; uuid?: string; label?: string; pttype?: string; usage?: string };
  /** Where it is mounted (the first mount point findmnt lists), if anywhere. */
  mountpoint?: string;
  /** True when it is an active swap area (/proc/swaps). */
  swapOn: boolean;
  /** The priority of an active swap area. */
  swapPriority?: number;
  /** Size of the file system in bytes and its block size, for ext2/3/4 (dumpe2fs -h) and xfs (xfs_info). */
  fsSize?: number;
  fsBlockSize?: number;
  /** True when `mkfs.<fstype>` (or mkswap) for the requested type is installed. */
  mkfs?: boolean;
}

/** Arguments of {@link blockDevice}. */
export interface BlockDeviceArgs {
  dev: string;
  /** The file system type a task wants: the probe says whether its mkfs is installed. */
  fstype?: string;
}

/** The program that makes a file system of `fstype`. */
export function mkfsProgram(fstype: string): string {
  return fstype === 'swap' ? 'mkswap' : `mkfs.${fstype}`;
}

/**
 * Fact `filesystem.device`: kind and size of a device, its signatures (blkid -p, so a file system
 * made a moment ago is seen, not the cache's view), mount point, swap use, the file system's
 * own size (to decide a grow) and whether the wanted mkfs exists. util-linux, plus e2fsprogs or
 * xfsprogs for the size of their file systems.
 */
export const blockDevice = defineFact<BlockDeviceArgs, BlockDeviceState>({
  name: 'filesystem.device',
  description: 'Signatures (blkid -p), size, mount point and file system size of a block device.',
  command: ({ dev, fstype }) => sh`d=${dev}
${fstype === undefined ? sh`:` : sh`if command -v ${mkfsProgram(fstype)} >/dev/null 2>&1; then echo 'mkfs yes'; else echo 'mkfs no'; fi`}
if [ -b "$d" ]; then echo 'kind block'; echo "size $(blockdev --getsize64 "$d")"; elif [ -f "$d" ]; then echo 'kind file'; echo "size $(stat -L -c %s -- "$d")"; else echo 'kind none'; exit 0; fi
b=$(blkid -c /dev/null -p -o export -- "$d" 2>/dev/null)
printf '%s\n' "$b" | sed -n -E 's/^(TYPE|UUID|LABEL|PTTYPE|USAGE)=/blkid \\1=/p'
t=$(printf '%s\n' "$b" | sed -n 's/^TYPE=//p')
m=$(findmnt -n -o TARGET --source "$d" 2>/dev/null | head -n 1); [ -z "$m" ] || echo "mountpoint $m"
r=$(readlink -f -- "$d"); awk -v r="$r" 'NR > 1 && $1 == r { print "swap " $5 }' /proc/swaps
case $t in
ext2|ext3|ext4) dumpe2fs -h "$d" 2>/dev/null | awk -F: '/^Block count:/ { c = $2 + 0 } /^Block size:/ { b = $2 + 0 } END { if (c && b) printf "fssize %.0f %d\\n", c * b, b }' ;;
xfs) xfs_info "\${m:-$d}" 2>/dev/null | awk '/^data / { for (i = 1; i <= NF; i++) { if ($i ~ /^bsize=/) b = substr($i, 7) + 0; if ($i ~ /^blocks=/) c = substr($i, 8) + 0 } } END { if (c && b) printf "fssize %.0f %d\\n", c * b, b }' ;;
esac`,
  parse: (stdout, { args }) => parseBlockDevice(stdout, args.dev),
  resources: ({ dev }) => [dev, 'block-devices'],
});

/** Pure parser of the `filesystem.device` probe (exported for fact tests). */
export function parseBlockDevice(stdout: string, path: string): BlockDeviceState {
  const s: BlockDeviceState = { path, kind: 'none', signature: {}, swapOn: false };
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'kind') s.kind = rest === 'block' || rest === 'file' ? rest : 'none';
    else if (key === 'size' && /^\d+$/.test(rest)) s.size = Number(rest);
    else if (key === 'mkfs') s.mkfs = rest === 'yes';
    else if (key === 'mountpoint') s.mountpoint = rest;
    else if (key === 'swap') {
      s.swapOn = true;
      if (/^-?\d+$/.test(rest)) s.swapPriority = Number(rest);
    }
    else if (key === 'fssize') {
      const [size, block] = rest.split(' ').map(Number);
      if (size) s.fsSize = size;
      if (block) s.fsBlockSize = block;
    } else if (key === 'blkid') {
      const eq = rest.indexOf('=');
      const name = rest.slice(0, eq).toLowerCase() as keyof BlockDeviceState['signature'];
      s.signature[name] = rest.slice(eq + 1);
    }
  }
  return s;
}
