import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { classifyClient, nfs, parseExportTable, renderExports } from '../src/index.js';

describe('client specs (exports(5), Machine Name Formats)', () => {
  test.each([
    ['*', 'anonymous'],
    ['@trusted', 'netgroup'],
    ['10.0.0.5', 'ipv4'],
    ['10.0.0.0/24', 'ipv4-network'],
    ['10.0.0.0/255.255.255.0', 'ipv4-network'],
    ['0.0.0.0/0', 'ipv4-network'],
    ['2001:db8::1', 'ipv6'],
    ['2001:db8::/64', 'ipv6-network'],
    ['client1', 'hostname'],
    ['web-1.example.com', 'hostname'],
    ['*.example.com', 'wildcard'],
    ['web?.example.com', 'wildcard'],
    ['web[0-9].example.com', 'wildcard'],
  ])('%s is %s', (spec, kind) => expect(classifyClient(spec)).toBe(kind));
  test.each([
    ['10.0.0.*', /wildcards do not work on IP addresses/],
    ['10.0.0.1/24', /bits set past \/24/],
    ['10.0.0.0/33', /neither a prefix length/],
    ['10.0.0.0/255.0.255.0', /not a contiguous netmask/],
    ['2001:db8::/129', /not an IPv6 prefix length/],
    ['host name', /holds a space/],
    ['host(rw)', /parenthesis/],
    ['-bad.example.com', /not a host name/],
    ['a..b', /empty label/],
    ['@', /not a netgroup/],
    ['web/24', /not an IP address/],
  ])('%s is refused', (spec, error) => {
    const r = classifyClient(spec);
    expect(typeof r === 'object' ? r.error : r).toMatch(error);
  });
});

const shared = {
  name: 'shared',
  exports: [
    {
      path: '/srv/shared',
      owner: 'www-data',
      mode: '2775',
      clients: [
        { host: '10.0.0.0/24', options: { access: 'rw' as const } },
        { host: 'backup.example.com', options: { squash: 'no_root_squash' as const, sec: ['krb5p' as const, 'krb5' as const] } },
      ],
    },
    { path: '/srv/public', clients: [{ host: '*', options: { access: 'ro' as const, sync: false, squash: 'all_squash' as const, anonuid: 1000, anongid: 1000, secure: false, fsid: 1, crossmnt: true } }] },
  ],
};
const TEXT = `# Managed by converge (nfs.exports shared); see exports(5).
/srv/shared 10.0.0.0/24(rw,sync,no_subtree_check,root_squash) backup.example.com(ro,sync,no_subtree_check,no_root_squash,sec=krb5p:krb5)
/srv/public *(ro,async,no_subtree_check,all_squash,anonuid=1000,anongid=1000,insecure,crossmnt,fsid=1)
`;

describe('exports file', () => {
  test('rendered in a fixed order with explicit sync and subtree_check', () => {
    expect(renderExports(shared.name, shared.exports)).toBe(TEXT);
  });
  test('etab paths, with octal escapes', () => {
    expect(parseExportTable('exportfs yes\netab /srv/a\t10.0.0.0/8(rw,sync)\netab /srv/a\t*(ro)\netab /srv/with\\040space\t*(ro)\n')).toEqual({
      exportfs: true,
      exported: ['/srv/a', '/srv/with space'],
    });
    expect(parseExportTable('exportfs no\n')).toEqual({ exportfs: false, exported: [] });
  });
});

describe('params are checked before any host is contacted', () => {
  const one = (path: string, host: string, options = {}) => ({ name: 'x', exports: [{ path, clients: [{ host, options }] }] });
  test.each([
    [one('/srv/a', '10.0.0.*'), /exports\[0\] \(\/srv\/a\)\.clients\[0\]: 10\.0\.0\.\*: wildcards/],
    [one('/srv/a/', '*'), /normalised/],
    [one('/srv/../etc', '*'), /normalised/],
    [one('srv/a', '*'), /path/],
    [one('/srv/a b', '*'), /path/],
    [one('/srv/a', '*', { access: 'rw', squash: 'no_root_squash' }), /gives root on this directory to anyone/],
    [one('/srv/a', '*', { access: 'rw+' }), /access/],
    [one('/srv/a', '*', { sec: ['sys', 'sys'] }), /sec/],
    [{ name: 'x', exports: [{ path: '/a', clients: [{ host: 'h' }] }, { path: '/a', clients: [{ host: 'g' }] }] }, /already exported by exports\[0\]/],
    [{ name: 'x', exports: [{ path: '/a', clients: [{ host: 'h' }, { host: 'h' }] }] }, /h is named twice/],
    [{ name: 'x', exports: [] }, /at least one export/],
    [{ name: 'x y', exports: [{ path: '/a', clients: [{ host: 'h' }] }] }, /name/],
  ])('case %#: %s', (params, error) => {
    expect(() => planModule(nfs.exports, { params, facts: {} })).toThrow(error);
  });
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
const dir = (path: string, owner = 'root', mode = '0755', uid = 0): FileState => ({
  path,
  type: 'directory',
  parentExists: true,
  target: { type: 'directory', mode, owner, group: owner, uid, gid: uid, size: 4096, inode: '1:1' },
});
const file = (path: string, text: string): FileState => ({
  path,
  type: 'file',
  parentExists: true,
  target: { type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: text.length, inode: '1:2', sha256: sha(text), content: text },
});
const F = '/etc/exports.d/shared.exports';
const table = (exported: string[], exportfs = true) => ({ exportfs, exported });

describe('module nfs.exports', () => {
  test('a new server: directories, the file, exportfs -ra in the same step', () => {
    const r = planModule(nfs.exports, { params: shared, facts: { file: absent(F), table: table([]), dir0: absent('/srv/shared'), dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([
      { path: 'exports[0].directory', before: null, after: '/srv/shared' },
      { path: 'exports_file', before: null, after: `sha256:${sha(TEXT)}` },
    ]);
    expect(r.commands.map((c) => c.description)).toEqual(['create /srv/shared', `write ${F} and exportfs -ra`]);
    expect(String(r.commands[0]?.script)).toBe('mkdir -p -- /srv/shared && chown -- www-data /srv/shared && chmod -- 2775 /srv/shared');
    expect(Buffer.from(r.commands[1]?.stdin as Uint8Array).toString()).toBe(TEXT);
    expect(String(r.commands[1]?.script)).toMatch(/\nmv -fT -- "\$tmp" "\$dest"\nif ! \{ if out=\$\(\/usr\/sbin\/exportfs -ra 2>&1\); [^\n]*\n\}; then\nif \[ -n "\$old" \]; then mv -fT -- "\$old" "\$dest"/);
    expect(r.diffs[0]).toEqual({ path: F, before: '', after: TEXT });
  });
  test('converged: no change', () => {
    const r = planModule(nfs.exports, { params: shared, facts: { file: file(F, TEXT), table: table(['/srv/public', '/srv/shared']), dir0: dir('/srv/shared', 'www-data', '2775', 33), dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe(`${F} is in place and exported`);
  });
  test('an owner given as uid matches; a mode drift is fixed in place', () => {
    const params = { ...shared, exports: [{ ...shared.exports[0]!, owner: '33' }, shared.exports[1]!] };
    const r = planModule(nfs.exports, { params, facts: { file: file(F, renderExports('shared', params.exports)), table: table(['/srv/public', '/srv/shared']), dir0: dir('/srv/shared', 'www-data', '0755', 33), dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([{ path: 'exports[0].directory.mode', before: '0755', after: '2775' }]);
    expect(String(r.commands[0]?.script)).toBe('chmod -- 2775 /srv/shared');
  });
  test('the file is right but an export is missing from etab (exportfs -ua ran): exportfs -ra', () => {
    const r = planModule(nfs.exports, { params: shared, facts: { file: file(F, TEXT), table: table(['/srv/public']), dir0: dir('/srv/shared', 'www-data', '2775', 33), dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([{ path: 'exported', before: ['/srv/public'], after: ['/srv/shared', '/srv/public'] }]);
    expect(String(r.commands[0]?.script)).toBe('/usr/sbin/exportfs -ra');
  });
  test('no exportfs on the host: refused at plan time, unless an earlier task installs it', () => {
    const facts = { file: absent(F), table: table([], false), dir0: absent('/srv/shared'), dir1: dir('/srv/public') };
    expect(() => planModule(nfs.exports, { params: shared, facts })).toThrow(/exportfs is not installed/);
    expect(planModule(nfs.exports, { params: shared, facts, upstreamChanged: true }).changes.length).toBe(2);
  });
  test('a path that is a file is refused', () => {
    const facts = { file: absent(F), table: table([]), dir0: file('/srv/shared', 'x'), dir1: dir('/srv/public') };
    expect(() => planModule(nfs.exports, { params: shared, facts })).toThrow(/\/srv\/shared exists and is not a directory/);
  });
  test('state absent removes the file and re-exports', () => {
    const r = planModule(nfs.exports, { params: { name: 'shared', exports: [], state: 'absent' }, facts: { file: file(F, TEXT), table: table(['/srv/shared']) } });
    expect(r.changes).toEqual([{ path: 'exports_file', before: `sha256:${sha(TEXT)}`, after: null }]);
    expect(String(r.commands[0]?.script)).toBe(`rm -f -- ${F} && /usr/sbin/exportfs -ra`);
  });
  test('exportfs warnings become the message; a refusal fails with its words', () => {
    const outcome = nfs.exports.definition.outcome;
    const input = {} as never;
    expect(outcome?.({ stdout: '', stderr: '', exitCode: 0, durationMs: 1 }, input)).toEqual({});
    expect(outcome?.({ stdout: '', stderr: 'exportfs -ra refused the new exports; /etc/exports.d/x.exports was put back as it was:\nexportfs: Failed to stat /srv/gone: No such file or directory\n', exitCode: 1, durationMs: 1 }, input)).toEqual({
      failed: true,
      message: 'exportfs -ra refused the new exports; /etc/exports.d/x.exports was put back as it was:\nexportfs: Failed to stat /srv/gone: No such file or directory',
    });
  });
});
