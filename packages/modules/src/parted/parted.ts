import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { blockDevice } from '../filesystem/device-facts.js';
import { POSITION, partitionTable, positionBytes } from './partition-table.js';
import type { Partition, PartitionTable } from './partition-table.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Partition flags GNU parted 3.5 sets on GPT disks (GNU parted manual, "set"). */
export const PARTED_FLAGS = ['boot', 'esp', 'bios_grub', 'legacy_boot', 'lvm', 'raid', 'swap', 'hidden', 'msftdata', 'msftres', 'diag', 'irst', 'prep', 'hp-service', 'atvrecv', 'chromeos_kernel', 'bls_boot'] as const;

/** JSON Schema of the `parted` params (Ansible's `community.general.parted`, GPT only). */
export const PartedParams = Type.Object(
  {
    device: Type.String({ pattern: '^/[^\\n]*$', description: 'The disk, e.g. `/dev/sdb`.' }),
    label: Type.Optional(Type.Literal('gpt', { default: 'gpt', description: 'Partition table type: GPT only (a disk without a table gets one; another table type is refused, never replaced).' })),
    number: Type.Integer({ minimum: 1, maximum: 128, description: 'The partition number. A new partition must take the lowest free number (parted numbers them so).' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`present`: the partition exists (made when missing); `absent`: removed.' })),
    part_start: Type.Optional(Type.String({ pattern: POSITION, default: '0%', description: 'Where a new partition starts: `1MiB`, `10%`, `-2GiB` (from the end of the disk), as parted reads positions. Not compared on an existing partition.' })),
    part_end: Type.Optional(Type.String({ pattern: POSITION, default: '100%', description: 'Where the partition ends, in the same form; compared on an existing partition only with `resize`.' })),
    name: Type.Optional(Type.String({ pattern: '^[^:;\\n\'"\\\\]{0,36}$', description: 'GPT partition name (at most 36 characters); set when it differs. Default for a new partition: `primary`.' })),
    flags: Type.Optional(Type.Array(Type.Union(PARTED_FLAGS.map((f) => Type.Literal(f))), { uniqueItems: true, description: 'Exactly the flags the partition has: missing ones are set, others cleared.' })),
    fs_type: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$', description: "parted's file system type for a new partition (sets the GPT type, e.g. `linux-swap`); no file system is made (use `filesystem`)." })),
    align: Type.Optional(Type.Union([Type.Literal('optimal'), Type.Literal('minimal'), Type.Literal('none'), Type.Literal('cylinder')], { default: 'optimal', description: 'Alignment of new partitions (parted -a).' })),
    resize: Type.Optional(Type.Boolean({ default: false, description: 'Grow an existing partition to `part_end` (parted resizepart). Shrinking is refused.' })),
  },
  { additionalProperties: false },
);

/** Params of `parted`. */
export type PartedParams = Static<typeof PartedParams>;

/** Private plan data for apply. */
export interface PartedPlan {
  mklabel: boolean;
  mkpart: boolean;
  rm: boolean;
  name?: string;
  flagsOn: string[];
  flagsOff: string[];
  resize: boolean;
}

/** Slack allowed between a wanted end and parted's aligned one before it counts as different. */
const ALIGN_SLACK = 2 ** 20;

function lowestFree(t: PartitionTable): number {
  const used = new Set(t.partitions.map((p) => p.number));
  let n = 1;
  while (used.has(n)) n++;
  return n;
}

/**
 * Module `parted`: one GPT partition of a disk, by number, as Ansible's
 * `community.general.parted` with `label: gpt`: made when missing (the disk gets a GPT first when
 * it has no table), named, flagged (exactly `flags`), grown with `resize`, or removed. Read with
 * `parted -m`, changed with `parted -s` (script mode: no questions).
 *
 * Idempotent by number: an existing partition is kept where it is (its start is not compared,
 * as in Ansible). A new partition that would overlap another, a disk holding a file system
 * but no table, and a disk with another table type are refused before anything is written.
 * Positions are compared within 1 MiB, the alignment parted applies.
 *
 * Differences from Ansible: GPT only (Ansible's default is msdos); no `unit`/`state: info`
 * (`parted.table` is the fact); shrinking is refused; a changed label is never applied.
 *
 * @example
 * parted({ device: '/dev/sdb', number: 1, part_end: '50%', name: 'data', flags: ['lvm'] })
 */
export const parted = defineModule({
  name: 'parted',
  description: 'A GPT partition of a disk: made, named, flagged, grown or removed.',
  params: PartedParams,
  facts: (p) => ({ table: partitionTable({ device: p.device }), content: blockDevice({ dev: p.device }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const t = facts.table;
    const content = facts.content;
    const changes: Change[] = [];
    const data: PartedPlan = { mklabel: false, mkpart: false, rm: false, flagsOn: [], flagsOff: [], resize: false };
    const present = (p.state ?? 'present') === 'present';
    if (t.state === 'none') {
      if (upstreamChanged) {
        data.mklabel = present;
        data.mkpart = present;
        if (present) changes.push({ path: `partition ${p.number}`, before: null, after: `${p.part_start ?? '0%'}..${p.part_end ?? '100%'} (on a disk an earlier task makes; known after it runs)` });
        return { changes, data, unknown: `${p.device} is made by an earlier task` };
      }
      throw new ConvergeError('CONVERGE_PLAN', `parted: ${p.device} does not exist`);
    }
    if (t.state === 'missing') {
      requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'parted: GNU parted is not installed on this host', { hint: "install it first: apt({ name: 'parted' })" }));
      data.mkpart = present;
      if (present) changes.push({ path: `partition ${p.number}`, before: null, after: `${p.part_start ?? '0%'}..${p.part_end ?? '100%'} (after parted is installed)` });
      return { changes, data };
    }
    // parted shows a file system on the whole disk as a `loop` label with one pseudo partition.
    const current = t.label === 'loop' ? undefined : t.partitions.find((x) => x.number === p.number);
    if (!present) {
      if (!current) return { changes, reason: `${p.device} has no partition ${p.number}` };
      data.rm = true;
      changes.push({ path: `partition ${p.number}`, before: describe(current), after: null });
      return { changes, data };
    }
    if (t.label === 'unknown' || t.label === 'loop') {
      if (content.signature.type) {
        throw new ConvergeError('CONVERGE_PLAN', `parted: ${p.device} holds a ${content.signature.type} file system and no partition table; it is not partitioned`, { hint: 'wipe it first (filesystem: state absent) if its data can go' });
      }
      data.mklabel = true;
      changes.push({ path: 'label', before: null, after: 'gpt' });
    } else if (t.label !== 'gpt') {
      throw new ConvergeError('CONVERGE_PLAN', `parted: ${p.device} has an ${t.label} partition table; converge manages GPT only and never replaces a table`, { hint: 'convert or wipe the disk by hand first' });
    }
    const endBytes = positionBytes(p.part_end ?? '100%', t.size, t.logicalSectorSize);
    if (!current) {
      const free = lowestFree(t);
      // After an earlier change to this disk (check mode), the table read before it is out of date.
      requirePrerequisite(p.number === free, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `parted: a new partition on ${p.device} gets number ${free}, not ${p.number}`, { hint: `ask for number ${free}, or create the partitions in order` }));
      const startBytes = positionBytes(p.part_start ?? '0%', t.size, t.logicalSectorSize);
      const overlap = t.partitions.find((x) => Math.min(endBytes, x.end + 1) > Math.max(startBytes, x.start));
      if ((overlap && !upstreamChanged) || endBytes <= startBytes) {
        throw new ConvergeError('CONVERGE_PLAN', `parted: partition ${p.number} (${p.part_start ?? '0%'}..${p.part_end ?? '100%'}) ${overlap ? `overlaps partition ${overlap.number} (${describe(overlap)})` : 'ends before it starts'} on ${p.device}`);
      }
      data.mkpart = true;
      changes.push({ path: `partition ${p.number}`, before: null, after: `${p.part_start ?? '0%'}..${p.part_end ?? '100%'}${p.name !== undefined ? ` "${p.name}"` : ''}` });
      if (p.flags && p.flags.length > 0) {
        data.flagsOn = [...p.flags];
        changes.push({ path: 'flags', before: [], after: p.flags });
      }
      return { changes, data };
    }
    if (p.name !== undefined && current.name !== p.name) {
      data.name = p.name;
      changes.push({ path: 'name', before: current.name, after: p.name });
    }
    if (p.flags !== undefined) {
      data.flagsOn = p.flags.filter((f) => !current.flags.includes(f));
      data.flagsOff = current.flags.filter((f) => !(p.flags as string[]).includes(f));
      if (data.flagsOn.length + data.flagsOff.length > 0) changes.push({ path: 'flags', before: current.flags, after: p.flags });
    }
    if (p.resize && Math.abs(endBytes - 1 - current.end) > ALIGN_SLACK) {
      if (endBytes - 1 < current.end) throw new ConvergeError('CONVERGE_PLAN', `parted: partition ${p.number} of ${p.device} would shrink (${current.end + 1} -> ${endBytes} bytes); converge only grows partitions`);
      const next = t.partitions.find((x) => x.start > current.start);
      if (next && endBytes - ALIGN_SLACK > next.start) throw new ConvergeError('CONVERGE_PLAN', `parted: partition ${p.number} cannot grow to ${p.part_end}: partition ${next.number} follows it`);
      data.resize = true;
      changes.push({ path: 'end', before: current.end + 1, after: endBytes });
    }
    if (changes.length === 0) return { changes, reason: `partition ${p.number} of ${p.device} is ${describe(current)}` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const parted = (args: unknown[]) => sh`parted -s -a ${p.align ?? 'optimal'} -- ${p.device} ${args}`;
    const steps: Command[] = [];
    if (d.rm) return [{ script: parted(['rm', p.number]), description: `remove partition ${p.number} of ${p.device}` }];
    if (d.mklabel) steps.push({ script: parted(['mklabel', 'gpt']), description: `GPT on ${p.device}` });
    if (d.mkpart) {
      const args = ['mkpart', p.name ?? 'primary', ...(p.fs_type !== undefined ? [p.fs_type] : []), p.part_start ?? '0%', p.part_end ?? '100%'];
      steps.push({ script: parted(args), description: `partition ${p.number} of ${p.device}` });
    }
    if (d.name !== undefined) steps.push({ script: parted(['name', p.number, d.name]), description: `name partition ${p.number}` });
    for (const f of d.flagsOn) steps.push({ script: parted(['set', p.number, f, 'on']), description: `set ${f} on partition ${p.number}` });
    for (const f of d.flagsOff) steps.push({ script: parted(['set', p.number, f, 'off']), description: `clear ${f} on partition ${p.number}` });
    if (d.resize) steps.push({ script: parted(['resizepart', p.number, p.part_end ?? '100%']), description: `grow partition ${p.number}` });
    return steps;
  },
  resources: (p) => [p.device, 'block-devices'],
});

function describe(x: Partition): string {
  return `${x.start}..${x.end + 1} bytes${x.name ? ` "${x.name}"` : ''}${x.flags.length ? ` [${x.flags.join(', ')}]` : ''}`;
}
