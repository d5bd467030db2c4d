import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { ganeshaProblems, nfs, parseGaneshaExports, renderGaneshaConfig } from '../src/index.js';
import type { GaneshaExport, NfsGaneshaParams } from '../src/index.js';

const fixture = join(import.meta.dirname, 'fixtures', 'ganesha.conf');
const exports: GaneshaExport[] = [
  {
    export_id: 1,
    path: '/srv/shared',
    pseudo: '/shared',
    owner: 'www-data',
    mode: '2775',
    protocols: [4],
    transports: ['TCP'],
    clients: [
      { clients: ['10.0.0.0/24', '2001:db8::/64'], access_type: 'RW' },
      { clients: ['backup.example.com', '*.ops.example.com', '@admins'], access_type: 'RO', squash: 'no_root_squash', sectype: ['krb5p', 'krb5'] },
    ],
  },
  { export_id: 2, path: '/srv/public', access_type: 'RO', squash: 'all_squash', anonymous_uid: 1000, anonymous_gid: 1000, sectype: ['sys'], clients: [{ clients: ['*'], access_type: 'RO' }] },
];
const PATH = '/etc/ganesha/ganesha.conf';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const dir = (path: string, mode = '0755'): FileState => ({ path, type: 'directory', parentExists: true, target: { type: 'directory', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: 4096, inode: '1:1' } });
const file = (content: string): FileState => ({ path: PATH, type: 'file', parentExists: true, target: { type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:2', sha256: sha(content), content } });

describe('ganesha.conf from the export list (ganesha-export-config(8))', () => {
  test('renders NFS_CORE_PARAM and one EXPORT block per export with its FSAL and CLIENT blocks (fixture ganesha.conf)', () => {
    const text = renderGaneshaConfig(exports);
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(fixture, text);
    expect(text).toBe(readFileSync(fixture, 'utf8'));
    expect(text).toContain('    CLIENT {\n        Clients = 10.0.0.0/24, 2001:db8::/64;\n        Access_Type = RW;\n    }\n');
  });

  test.each<[GaneshaExport[], RegExp]>([
    [[exports[0]!, { ...exports[1]!, export_id: 1 }], /exports\[1\] \(\/srv\/public\)\.export_id: 1 is used twice/],
    [[exports[0]!, { ...exports[1]!, path: '/srv/shared', pseudo: '/p' }], /exports\[1\] \(\/srv\/shared\)\.path: exported twice/],
    [[{ ...exports[1]!, pseudo: '/' }], /pseudo: \/ is the pseudo root, ganesha's own/],
    [[{ ...exports[1]!, path: '/srv/public/' }], /path: not a normalised absolute path/],
    [[{ ...exports[1]!, clients: [{ clients: ['10.0.0.*'] }] }], /clients\[0\]\.clients\[0\]: 10\.0\.0\.\*: wildcards do not work on IP addresses/],
    [[{ ...exports[1]!, clients: [{ clients: ['10.0.0.0/255.255.255.0'] }] }], /write the network as address\/prefix/],
    [[{ ...exports[1]!, clients: [{ clients: ['*'], access_type: 'RW', squash: 'no_root_squash' }] }], /RW with no_root_squash to \* gives root on this directory to anyone/],
  ])('refuses what ganesha would refuse or what is unsafe (%#)', (list, message) => {
    expect(ganeshaProblems(list).join('\n')).toMatch(message);
  });

  test('parses the running server\'s export list', () => {
    expect(parseGaneshaExports('inactive\n')).toEqual({ active: false });
    expect(parseGaneshaExports('active\n')).toEqual({ active: true });
    expect(parseGaneshaExports('active\nlisted\nexport 2 /srv/public\nexport 1 /srv/shared\n')).toEqual({ active: true, exports: ['1 /srv/shared', '2 /srv/public'] });
  });
});

describe('nfs.ganesha plan', () => {
  const params: NfsGaneshaParams = { exports };
  const text = renderGaneshaConfig(exports);
  const running = { active: true, exports: ['1 /srv/shared', '2 /srv/public'] };

  test('creates the directories, writes the file and reloads the running server, which must accept it', () => {
    const r = planModule(nfs.ganesha, {
      params,
      facts: { file: file('# default\n'), running: { active: true, exports: [] }, dir0: { path: '/srv/shared', type: 'absent', parentExists: true }, dir1: dir('/srv/public') },
    });
    expect(r.changes.map((c) => c.path)).toEqual(['exports[0].directory', 'config_file', 'service']);
    expect(r.diffs[0]).toEqual({ path: PATH, before: '# default\n', after: text });
    const [mkdir, write] = r.commands.map((c) => String(c.script));
    expect(mkdir).toBe('mkdir -p -- /srv/shared && chown -- www-data /srv/shared && chmod -- 2775 /srv/shared');
    expect(write).toContain("want='1 /srv/shared\n2 /srv/public'\n");
    expect(write).toContain('Reread exports complete');
    expect(write).toMatch(/\nmv -fT -- "\$tmp" "\$dest"\nif ! \{ [^]*\nreload_and_check\n\}; then\nif \[ -n "\$old" \]; then mv -fT -- "\$old" "\$dest"/);
    expect(Buffer.from(r.commands.at(-1)?.stdin as Uint8Array).toString()).toBe(text);
  });

  test('only writes the file when the server does not run (its start reads it)', () => {
    const r = planModule(nfs.ganesha, { params, facts: { file: { path: PATH, type: 'absent', parentExists: true }, running: { active: false }, dir0: dir('/srv/shared', '2775'), dir1: dir('/srv/public') } });
    expect(r.changes.map((c) => c.path)).toEqual(['exports[0].directory.owner', 'config_file']);
    const write = String(r.commands.at(-1)?.script);
    expect(write).toContain('mv -fT -- "$tmp" "$dest"');
    expect(write).not.toContain('reload_and_check');
  });

  test('changes nothing when the file is in place and the server exports it, with a reason', () => {
    const r = planModule(nfs.ganesha, { params, facts: { file: file(text), running, dir0: { ...dir('/srv/shared', '2775'), target: { ...dir('/srv/shared', '2775').target!, owner: 'www-data' } }, dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe(`${PATH} is in place and served`);
  });

  test('reloads when the file is in place but the running server exports something else', () => {
    const r = planModule(nfs.ganesha, { params, facts: { file: file(text), running: { active: true, exports: ['1 /srv/shared'] }, dir0: dir('/srv/shared', '2775'), dir1: dir('/srv/public') } });
    expect(r.changes).toEqual([
      { path: 'exports[0].directory.owner', before: 'root', after: 'www-data' },
      { path: 'exported', before: ['1 /srv/shared'], after: ['1 /srv/shared', '2 /srv/public'] },
      { path: 'service', before: 'running', after: 'reloaded (SIGHUP), checked by ganesha' },
    ]);
    const reload = String(r.commands.at(-1)?.script);
    expect(reload).toContain('\nif reload_and_check; then exit 0; fi\n');
    expect(reload).not.toContain('mktemp');
  });

  test('refuses to give a served export id another path (a reload cannot)', () => {
    expect(() =>
      planModule(nfs.ganesha, { params, facts: { file: file('x\n'), running: { active: true, exports: ['1 /srv/old'] }, dir0: dir('/srv/shared', '2775'), dir1: dir('/srv/public') } }),
    ).toThrow(/exports\[0\]\.export_id 1: the running nfs-ganesha serves \/srv\/old under this id, and a reload cannot change an export's path/);
  });

  test('refuses bad input before any host is touched', () => {
    expect(() => planModule(nfs.ganesha, { params: { exports: [{ ...exports[1]!, clients: [{ clients: ['a b'] }] }] }, facts: {} })).toThrow(/holds a space/);
    expect(() => planModule(nfs.ganesha, { params: { exports: [{ ...exports[1]!, export_id: 0 }] }, facts: {} })).toThrow(/export_id/);
    expect(() => planModule(nfs.ganesha, { params: { exports: [{ ...exports[1]!, path: '/srv/a;b' }] }, facts: {} })).toThrow(/path/);
  });
});
