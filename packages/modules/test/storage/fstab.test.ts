import { describe, expect, test } from 'vitest';
import { decodeMountField, editFstab, encodeMountField, parseFstab, renderFstabLine } from '../../src/storage.js';

const FSTAB = `# /etc/fstab: static file system information.
UUID=0a1b / ext4 errors=remount-ro 0 1
/dev/sdb1\t/data xfs defaults 0 2
old:/srv/shared /mnt/shared nfs rw,soft 0 0
tmpfs /tmp tmpfs defaults 0 0
`;

describe('fstab', () => {
  test('parsed with escapes decoded; comments skipped', () => {
    expect(parseFstab('# c\n/dev/x /mnt/with\\040space ext4 defaults 0 0\n').map((e) => [e.spec, e.file, e.line])).toEqual([['/dev/x', '/mnt/with space', 1]]);
  });
  test('the line for a mount point replaces the old one in place; every other line stays byte for byte', () => {
    expect(editFstab(FSTAB, '/mnt/shared', 'new:/x /mnt/shared nfs rw 0 0')).toBe(FSTAB.replace('old:/srv/shared /mnt/shared nfs rw,soft 0 0', 'new:/x /mnt/shared nfs rw 0 0'));
  });
  test('appended when missing, duplicates dropped, removed for absent', () => {
    expect(editFstab('a / ext4 defaults 0 1', '/mnt/x', 'n:/x /mnt/x nfs rw 0 0')).toBe('a / ext4 defaults 0 1\nn:/x /mnt/x nfs rw 0 0\n');
    expect(editFstab('n:/a /mnt/x nfs rw 0 0\nb / ext4 defaults 0 1\nn:/b /mnt/x nfs ro 0 0\n', '/mnt/x', 'n:/x /mnt/x nfs rw 0 0')).toBe('n:/x /mnt/x nfs rw 0 0\nb / ext4 defaults 0 1\n');
    expect(editFstab(FSTAB, '/mnt/shared', null)).toBe(FSTAB.replace('old:/srv/shared /mnt/shared nfs rw,soft 0 0\n', ''));
    expect(editFstab('', '/mnt/x', null)).toBe('');
  });
});


describe('fstab fields', () => {
  test.each([
    ['/mnt/with space', '/mnt/with\\040space'],
    ['/a\tb', '/a\\011b'],
    ['/back\\slash', '/back\\134slash'],
    ['/plain', '/plain'],
  ])('%j is written as %j and read back', (value, field) => {
    expect(encodeMountField(value)).toBe(field);
    expect(decodeMountField(field)).toBe(value);
  });
  test('a line renders the six fields, escaped', () => {
    expect(renderFstabLine({ spec: 'UUID=1-2', file: '/srv/my data', vfstype: 'ext4', mntops: 'noatime', passno: 2 })).toBe('UUID=1-2 /srv/my\\040data ext4 noatime 0 2');
  });
  test('entries can be selected by another field than the mount point (swap files)', () => {
    const text = '/swapfile none swap sw 0 0\n/other none swap sw 0 0\n';
    expect(editFstab(text, (e) => e.spec === '/swapfile', '/swapfile none swap sw,pri=5 0 0')).toBe('/swapfile none swap sw,pri=5 0 0\n/other none swap sw 0 0\n');
    expect(editFstab(text, (e) => e.spec === '/swapfile', null)).toBe('/other none swap sw 0 0\n');
  });
});
