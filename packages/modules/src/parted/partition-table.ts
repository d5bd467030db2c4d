import { ConvergeError, defineFact, sh } from '@converge/core';

/** One partition as `parted -m unit B print` lists it. */
export interface Partition {
  number: number;
  /** First and last byte (inclusive), and size in bytes. */
  start: number;
  end: number;
  size: number;
  /** The file system parted recognises in it (may be empty). */
  fs: string;
  /** The GPT partition name. */
  name: string;
  flags: string[];
}

/** A disk's partition table. */
export interface PartitionTable {
  device: string;
  /** `none`: no such device; `missing`: parted is not installed. */
  state: 'ok' | 'none' | 'missing';
  /** Disk size in bytes. */
  size: number;
  logicalSectorSize: number;
  /** `gpt`, `msdos`, … or `unknown` when the disk has no partition table. */
  label: string;
  partitions: Partition[];
}

/**
 * Fact `parted.table`: the partition table of a disk, read with `parted -s -m DEV unit B print`
 * (machine-readable output, sizes in bytes; GNU parted manual, "print"). A disk without a table
 * is `label: unknown` (parted's "unrecognised disk label").
 */
export const partitionTable = defineFact<{ device: string }, PartitionTable>({
  name: 'parted.table',
  description: 'Partition table of a disk (parted -m print).',
  command: ({ device }) => sh`d=${device}
if [ ! -e "$d" ]; then echo 'state none'; exit 0; fi
if ! command -v parted >/dev/null 2>&1; then echo 'state missing'; exit 0; fi
LC_ALL=C parted -s -m -- "$d" unit B print 2>/dev/null | sed 's/^/p /'
:`,
  parse: (stdout, { args }) => parsePartitionTable(stdout, args.device),
  resources: ({ device }) => [device, 'block-devices'],
});

const bytes = (v: string | undefined): number => Number((v ?? '').replace(/B$/, ''));

/**
 * Pure parser of the `parted.table` probe: `BYT;`, then `path:size:transport:logical:physical:
 * label:model:flags;`, then `number:start:end:size:fs:name:flags;` per partition.
 *
 * @throws ConvergeError `CONVERGE_FACT` when parted printed no device line.
 */
export function parsePartitionTable(stdout: string, device: string): PartitionTable {
  const lines = stdout.split('\n');
  if (lines.includes('state none')) return { device, state: 'none', size: 0, logicalSectorSize: 512, label: 'unknown', partitions: [] };
  if (lines.includes('state missing')) return { device, state: 'missing', size: 0, logicalSectorSize: 512, label: 'unknown', partitions: [] };
  const rows = lines.filter((l) => l.startsWith('p ')).map((l) => l.slice(2).replace(/;$/, ''));
  const disk = rows.find((r) => r.startsWith('/'));
  if (disk === undefined) throw new ConvergeError('CONVERGE_FACT', `parted.table ${device}: parted printed no device line`, { detail: stdout });
  const f = disk.split(':');
  const table: PartitionTable = { device, state: 'ok', size: bytes(f[1]), logicalSectorSize: Number(f[3]) || 512, label: f[5] || 'unknown', partitions: [] };
  for (const r of rows) {
    if (!/^\d+:/.test(r)) continue;
    const [n, start, end, size, fs, name, flags] = r.split(':');
    table.partitions.push({
      number: Number(n),
      start: bytes(start),
      end: bytes(end),
      size: bytes(size),
      fs: fs ?? '',
      name: name ?? '',
      flags: (flags ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    });
  }
  return table;
}

/** Multipliers of parted's units (GNU parted manual, "unit"): SI for kB/MB/…, binary for KiB/MiB/…. */
const UNIT: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** The pattern of a position param: a number with a unit (`s`, `B`, `kB`…`TB`, `KiB`…`TiB`, `%`), negative counts from the end. */
export const POSITION = '^-?[0-9]+(\\.[0-9]+)?(s|B|kB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$';

/**
 * The byte offset a position names on a disk of `size` bytes: percentages of the disk, sectors
 * of `sectorSize`, and negative values from the end, as parted reads them. Approximate by the
 * alignment parted applies (1 MiB with `optimal` on most disks).
 */
export function positionBytes(position: string, size: number, sectorSize: number): number {
  const m = /^(-?)([0-9]+(?:\.[0-9]+)?)(s|B|kB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$/.exec(position);
  if (!m) throw new ConvergeError('CONVERGE_PARAMS', `parted: ${JSON.stringify(position)} is not a position (e.g. 1MiB, 50%, -1GiB)`);
  const value = Number(m[2]);
  const unit = m[3] as string;
  const amount = unit === '%' ? (size * value) / 100 : unit === 's' ? value * sectorSize : value * (UNIT[unit] as number);
  return Math.round(m[1] === '-' ? size - amount : amount);
}
