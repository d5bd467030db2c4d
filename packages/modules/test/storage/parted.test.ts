import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { parseBlockDevice, parsePartitionTable, parted, positionBytes } from '../../src/storage.js';

// `parted -s -m DEV unit B print` recorded on Debian 12 (GNU parted 3.5) with a 64 MiB loop device.
const TWO = 'p BYT;\np /dev/loop0:67108864B:loopback:512:512:gpt:Loopback device:;\np 1:1048576B:20971519B:19922944B::primary:;\np 2:20971520B:41943039B:20971520B::data:lvm, raid;\n';
const NO_TABLE = 'p BYT;\np /dev/loop0:67108864B:loopback:512:512:unknown:Loopback device:;\n';
const WHOLE_DISK_FS = 'p BYT;\np /dev/loop0:67108864B:loopback:512:512:loop:Loopback device:;\np 1:0B:67108863B:67108864B:ext4::;\n';

describe('fact parted.table', () => {
  test('partitions with names and flags', () => {
    expect(parsePartitionTable(TWO, '/dev/loop0')).toEqual({
      device: '/dev/loop0', state: 'ok', size: 67108864, logicalSectorSize: 512, label: 'gpt',
      partitions: [
        { number: 1, start: 1048576, end: 20971519, size: 19922944, fs: '', name: 'primary', flags: [] },
        { number: 2, start: 20971520, end: 41943039, size: 20971520, fs: '', name: 'data', flags: ['lvm', 'raid'] },
      ],
    });
  });
  test.each([
    [NO_TABLE, 'unknown', 0],
    [WHOLE_DISK_FS, 'loop', 1],
  ])('no partition table: %#', (out, label, n) => {
    const t = parsePartitionTable(out, '/dev/loop0');
    expect([t.label, t.partitions.length]).toEqual([label, n]);
  });
  test('no device, no parted', () => {
    expect(parsePartitionTable('state none\n', '/dev/x').state).toBe('none');
    expect(parsePartitionTable('state missing\n', '/dev/x').state).toBe('missing');
    expect(() => parsePartitionTable('p BYT;\n', '/dev/x')).toThrow(/no device line/);
  });
});

describe('positions', () => {
  test.each([
    ['1MiB', 1048576], ['50%', 33554432], ['100%', 67108864], ['-1MiB', 66060288], ['2048s', 1048576], ['1MB', 1e6], ['0%', 0],
  ])('%s on a 64 MiB disk is byte %i', (pos, bytes) => expect(positionBytes(pos, 67108864, 512)).toBe(bytes));
});

const facts = (table: string, content = 'kind block\nsize 67108864\n') => ({ table: parsePartitionTable(table, '/dev/loop0'), content: parseBlockDevice(content, '/dev/loop0') });
const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));

describe('module parted', () => {
  test.each([
    {
      case: 'a disk without a table gets a GPT and the partition',
      params: { device: '/dev/loop0', number: 1, part_start: '1MiB', part_end: '20MiB', flags: ['lvm'] },
      facts: facts(NO_TABLE),
      changes: [{ path: 'label', before: null, after: 'gpt' }, { path: 'partition 1', before: null, after: '1MiB..20MiB' }, { path: 'flags', before: [], after: ['lvm'] }],
      scripts: ['parted -s -a optimal -- /dev/loop0 mklabel gpt', 'parted -s -a optimal -- /dev/loop0 mkpart primary 1MiB 20MiB', 'parted -s -a optimal -- /dev/loop0 set 1 lvm on'],
    },
    {
      case: 'the next partition, named, after the others',
      params: { device: '/dev/loop0', number: 3, part_start: '40MiB', part_end: '-1MiB', name: 'logs', fs_type: 'ext4' },
      facts: facts(TWO),
      changes: [{ path: 'partition 3', before: null, after: '40MiB..-1MiB "logs"' }],
      scripts: ['parted -s -a optimal -- /dev/loop0 mkpart logs ext4 40MiB -1MiB'],
    },
    { case: 'an existing partition is kept by number', params: { device: '/dev/loop0', number: 2, part_start: '20MiB', part_end: '40MiB', name: 'data', flags: ['raid', 'lvm'] }, facts: facts(TWO), changes: [], scripts: [] },
    {
      case: 'name and flags are set exactly',
      params: { device: '/dev/loop0', number: 2, name: 'pg', flags: ['lvm', 'boot'] },
      facts: facts(TWO),
      changes: [{ path: 'name', before: 'data', after: 'pg' }, { path: 'flags', before: ['lvm', 'raid'], after: ['lvm', 'boot'] }],
      scripts: ['parted -s -a optimal -- /dev/loop0 name 2 pg', 'parted -s -a optimal -- /dev/loop0 set 2 boot on', 'parted -s -a optimal -- /dev/loop0 set 2 raid off'],
    },
    { case: 'the last partition grows with resize', params: { device: '/dev/loop0', number: 2, part_end: '100%', resize: true }, facts: facts(TWO), changes: [{ path: 'end', before: 41943040, after: 67108864 }], scripts: ['parted -s -a optimal -- /dev/loop0 resizepart 2 100%'] },
    { case: 'an end within the alignment is the same end', params: { device: '/dev/loop0', number: 2, part_end: '40MiB', resize: true }, facts: facts(TWO), changes: [], scripts: [] },
    { case: 'removed', params: { device: '/dev/loop0', number: 2, state: 'absent' }, facts: facts(TWO), changes: [{ path: 'partition 2', before: '20971520..41943040 bytes "data" [lvm, raid]', after: null }], scripts: ['parted -s -a optimal -- /dev/loop0 rm 2'] },
    { case: 'absent stays absent', params: { device: '/dev/loop0', number: 3, state: 'absent' }, facts: facts(TWO), changes: [], scripts: [] },
  ])('$case', ({ params, facts: f, changes, scripts: want }) => {
    const r = planModule(parted, { params, facts: f });
    expect(r.changes).toEqual(changes);
    expect(scripts(r)).toEqual(want);
  });

  test.each([
    { case: 'a number parted would not give', params: { device: '/dev/loop0', number: 4 }, facts: facts(TWO), error: /gets number 3, not 4/ },
    { case: 'an overlap', params: { device: '/dev/loop0', number: 3, part_start: '30MiB', part_end: '50MiB' }, facts: facts(TWO), error: /overlaps partition 2/ },
    { case: 'a whole-disk file system', params: { device: '/dev/loop0', number: 1 }, facts: facts(WHOLE_DISK_FS, 'kind block\nsize 67108864\nblkid TYPE=ext4\n'), error: /holds a ext4 file system and no partition table/ },
    { case: 'another table type', params: { device: '/dev/loop0', number: 1 }, facts: facts(NO_TABLE.replace('unknown', 'msdos')), error: /has an msdos partition table/ },
    { case: 'shrinking', params: { device: '/dev/loop0', number: 2, part_end: '30MiB', resize: true }, facts: facts(TWO), error: /would shrink/ },
    { case: 'a missing parted', params: { device: '/dev/loop0', number: 1 }, facts: facts('state missing\n'), error: /GNU parted is not installed/ },
    { case: 'an msdos label', params: { device: '/dev/loop0', number: 1, label: 'msdos' }, facts: facts(TWO), error: /invalid params/ },
  ])('refuses $case', ({ params, facts: f, error }) => {
    expect(() => planModule(parted, { params, facts: f })).toThrow(error);
  });
});
