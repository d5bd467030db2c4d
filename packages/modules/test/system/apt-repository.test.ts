import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import type { PrepareContext } from '@converge/core';
import { apt } from '../../src/index.js';
import { aptRepository, renderPin, renderSources } from '../../src/apt/repository.js';
import { crc24, dearmor, keyringOf, readPublicKeys } from '../../src/apt/openpgp-key.js';
import type { FileState } from '../../src/file/file-state.js';

// An ed25519 key made with `gpg --quick-gen-key` (GnuPG 2.2, Debian 12) for these tests;
// `gpg --dearmor` of it is 246 bytes with the sha256 below, recorded from gpg itself.
const KEY = readFileSync(new URL('./fixtures/repository-key.asc', import.meta.url), 'utf8');
const FPR = 'CE0F095ADFAD7FA8B0448FFEA23FA0375B2E071D';
const GPG_DEARMOR_SHA256 = '29b36ecf5f78767f64c3d5b358b8d7c98aac370fcfe1e9c8f5b3206ff88407bc';
const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('OpenPGP key material', () => {
  test('dearmor gives the bytes gpg --dearmor gives, and the primary fingerprint', () => {
    const bytes = dearmor(KEY);
    expect(bytes.length).toBe(246);
    expect(sha(bytes)).toBe(GPG_DEARMOR_SHA256);
    expect(readPublicKeys(bytes)).toEqual([{ version: 4, fingerprint: FPR }]);
  });
  test('binary keyrings are taken as they are', () => {
    const bytes = dearmor(KEY);
    expect(sha(keyringOf(bytes).bytes)).toBe(GPG_DEARMOR_SHA256);
  });
  test('CRC-24 of RFC 4880 §6.1', () => {
    expect(crc24(new Uint8Array())).toBe(0xb704ce);
    expect(Buffer.from([crc24(dearmor(KEY)) >> 16, (crc24(dearmor(KEY)) >> 8) & 0xff, crc24(dearmor(KEY)) & 0xff]).toString('base64')).toBe('7EZS');
  });
  test.each([
    ['no armor', 'hello', /not an ASCII-armored key/],
    ['a private key block', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ==\n-----END PGP PRIVATE KEY BLOCK-----\n', /private key block/],
    ['a damaged key', KEY.replace('mDMEawxRaBYJ', 'mDMEawxRaBYK'), /checksum does not match/],
    ['a truncated block', KEY.split('\n').filter((l) => !l.startsWith('dkSt')).join('\n'), /checksum|truncated/],
    ['two blocks', KEY + KEY, /more than one armored block/],
  ])('refuses %s', (_case, text, error) => {
    expect(() => keyringOf(new Uint8Array(Buffer.from(text)))).toThrow(error);
  });
  test.each([
    ['a secret key packet', [0x94, 0x01, 0x04], /secret key/],
    ['a signature packet first', [0x88, 0x01, 0x04], /first OpenPGP packet has tag 2/],
    ['a packet past the end', [0x99, 0x00, 0x10, 0x04], /truncated/],
    ['non-OpenPGP bytes', [0x30, 0x82], /not OpenPGP data/],
  ])('refuses %s', (_case, bytes, error) => {
    expect(() => readPublicKeys(Uint8Array.from(bytes))).toThrow(error);
  });
});

const grafana = { name: 'grafana', uris: ['https://apt.grafana.com'], suites: ['stable'], components: ['main'], key: KEY };

describe('rendered files', () => {
  test('deb822 sources with Signed-By the installed keyring', () => {
    expect(renderSources({ ...grafana, architectures: ['amd64', 'arm64'] })).toBe(
      '# Managed by converge (apt.repository grafana)\nTypes: deb\nURIs: https://apt.grafana.com\nSuites: stable\nComponents: main\nArchitectures: amd64 arm64\nSigned-By: /etc/apt/keyrings/grafana.gpg\n',
    );
  });
  test('an exact-path suite, an existing keyring, disabled', () => {
    expect(renderSources({ name: 'local', types: ['deb', 'deb-src'], uris: ['file:/srv/repo'], suites: ['./'], signed_by: '/usr/share/keyrings/local.gpg', enabled: false })).toBe(
      '# Managed by converge (apt.repository local)\nTypes: deb deb-src\nURIs: file:/srv/repo\nSuites: ./\nSigned-By: /usr/share/keyrings/local.gpg\nEnabled: no\n',
    );
  });
  test('a version pin defaults to priority 1001; a repository pin names its origin', () => {
    expect(renderPin({ ...grafana, pin: { packages: ['alloy'], version: '1.5.*' } })).toBe(
      'Explanation: Managed by converge (apt.repository grafana)\nPackage: alloy\nPin: version 1.5.*\nPin-Priority: 1001\n',
    );
    expect(renderPin({ ...grafana, pin: { priority: 100 } })).toBe('Explanation: Managed by converge (apt.repository grafana)\nPackage: *\nPin: origin "apt.grafana.com"\nPin-Priority: 100\n');
  });
});

describe('params are checked before any host is contacted', () => {
  test.each([
    [{ ...grafana, key: 'hello' }, /not an ASCII-armored key/],
    [{ ...grafana, uris: undefined }, /give uris/],
    [{ ...grafana, components: undefined }, /give components/],
    [{ ...grafana, suites: ['./'] }, /exact path .* takes no components/],
    [{ ...grafana, suites: ['./', 'stable'] }, /either all exact paths/],
    [{ ...grafana, signed_by: '/usr/share/keyrings/x.gpg' }, /at most one of key/],
    [{ ...grafana, key_fingerprints: ['0000 0000 0000 0000 0000  0000 0000 0000 0000 0000'] }, /does not hold 0{40} \(it holds CE0F/],
    [{ ...grafana, key: KEY.replace('PUBLIC KEY', 'PRIVATE KEY') }, /key: this is a private key block/],
    [{ ...grafana, pin: { packages: ['alloy'] } }, /give its priority/],
    [{ ...grafana, name: 'bad name' }, /name/],
    [{ ...grafana, uris: ['apt.grafana.com'] }, /uris/],
  ])('case %#: refused with %s', (params, error) => {
    expect(() => planModule(aptRepository, { params, facts: {} })).toThrow(error);
  });
  test.each<[string, (dir: string) => string, RegExp]>([
    ['found in files/', (dir) => (writeFileSync(join(dir, 'files', 'key.asc'), KEY), 'key.asc'), /^$/],
    ['missing', () => 'nope.asc', /apt\.repository: key_src "nope\.asc" not found; looked in:\n {2}\S+\/files\/nope\.asc/],
    ['a directory', (dir) => (mkdirSync(join(dir, 'files', 'keys')), 'keys'), /apt\.repository: cannot read key_src "keys" \(\S+\/files\/keys\): it is a directory \(EISDIR\)/],
  ])('key_src %s: read before any host, or refused saying why', async (_, make, error) => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-key-src-'));
    mkdirSync(join(dir, 'files'));
    const ctx = { baseDir: dir, searchPaths: { files: [join(dir, 'files')], templates: [] }, readFile: (p: string) => readFile(p) } as unknown as PrepareContext;
    const prepared = aptRepository.definition.prepare!({ ...grafana, key: undefined, key_src: make(dir) }, ctx);
    if (error.source === '^$') expect((await prepared).key_base64).toBe(Buffer.from(KEY).toString('base64'));
    else await expect(prepared).rejects.toThrow(error);
  });
  test('a fingerprint written with spaces, in lower case, is accepted', () => {
    const spaced = FPR.toLowerCase().replace(/(.{4})/g, '$1 ').trim();
    expect(() => planModule(aptRepository, { params: { ...grafana, key_fingerprints: [spaced] }, facts: absentFacts() })).not.toThrow();
  });
});

function file(path: string, content: Uint8Array | string, attrs: Partial<{ mode: string; owner: string }> = {}): FileState {
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  return {
    path,
    type: 'file',
    parentExists: true,
    target: { type: 'file', mode: attrs.mode ?? '0644', owner: attrs.owner ?? 'root', group: 'root', uid: 0, gid: 0, size: bytes.length, inode: '1:2', sha256: sha(bytes), content: bytes.toString('latin1') },
  };
}
const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
const S = '/etc/apt/sources.list.d/grafana.sources';
const K = '/etc/apt/keyrings/grafana.gpg';
const P = '/etc/apt/preferences.d/grafana.pref';
const fresh = { ageSeconds: 60, sourcesChanged: false };
function absentFacts() {
  return { sources: absent(S), keyring: absent(K), pin: absent(P), lists: fresh };
}
const scripts = (r: ReturnType<typeof planModule>) => r.commands.map((c) => c.description);

describe('module apt.repository', () => {
  test('a new repository: keyring, sources, then one apt-get update', () => {
    const r = planModule(apt.repository, { params: grafana, facts: absentFacts() });
    expect(r.changes).toEqual([
      { path: 'keyring', before: null, after: `sha256:${GPG_DEARMOR_SHA256}` },
      { path: 'sources', before: null, after: `sha256:${sha(renderSources(grafana))}` },
      { path: 'cache', before: 'lists without this source', after: 'updated' },
    ]);
    expect(scripts(r)).toEqual([`write ${K}`, `write ${S}`, 'apt-get update']);
    expect(Buffer.from(r.commands[0]?.stdin as Uint8Array).toString('hex')).toBe(Buffer.from(dearmor(KEY)).toString('hex'));
    const update = String(r.commands[2]?.script);
    expect(update).toMatch(/converge_apt_get -q update 2>"\$errf"; rc=\$\?/);
    // A refused signature of this repository's URIs fails the step, which then keeps the old stamp.
    expect(update).toMatch(/grep -E 'NO_PUBKEY\|.*GPG error' "\$errf" \| grep -q -F -e https:\/\/apt\.grafana\.com; then .* rc=100; fi/);
    expect(update).toMatch(/if \[ "\$rc" -eq 0 \]; then mkdir -p \/var\/lib\/apt\/periodic && touch \/var\/lib\/apt\/periodic\/update-success-stamp; fi\nexit "\$rc"$/);
    expect(r.diffs.map((d) => d.path)).toEqual([S]);
  });
  test('in place: nothing to do, no update', () => {
    const facts = { sources: file(S, renderSources(grafana)), keyring: file(K, dearmor(KEY)), pin: absent(P), lists: fresh };
    const r = planModule(apt.repository, { params: grafana, facts });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe(`${S}, its keyring are in place`);
  });
  test('a source changed after the last update (say, a run stopped before it): update only', () => {
    const facts = { sources: file(S, renderSources(grafana)), keyring: file(K, dearmor(KEY)), pin: absent(P), lists: { ageSeconds: 10, sourcesChanged: true } };
    const r = planModule(apt.repository, { params: grafana, facts });
    expect(r.changes).toEqual([{ path: 'cache', before: 'lists older than the sources', after: 'updated' }]);
    expect(scripts(r)).toEqual(['apt-get update']);
  });
  test('a pin added needs no update; a mode drift is fixed by rewriting', () => {
    const params = { ...grafana, pin: { packages: ['alloy'], version: '1.5.*' } };
    const facts = { sources: file(S, renderSources(grafana), { mode: '0600' }), keyring: file(K, dearmor(KEY)), pin: absent(P), lists: fresh };
    const r = planModule(apt.repository, { params, facts });
    expect(r.changes).toEqual([
      { path: 'sources.mode', before: '0600', after: '0644' },
      { path: 'pin', before: null, after: `sha256:${sha(renderPin(params) as string)}` },
    ]);
    expect(scripts(r)).toEqual([`write ${S}`, `write ${P}`]);
  });
  test('a pin or key no longer wanted is removed', () => {
    const facts = { sources: file(S, renderSources({ ...grafana, key: undefined })), keyring: file(K, dearmor(KEY)), pin: file(P, 'Package: *\n'), lists: fresh };
    const r = planModule(apt.repository, { params: { ...grafana, key: undefined }, facts });
    expect(r.changes.map((c) => c.path)).toEqual(['keyring', 'pin', 'cache']);
    expect(String(r.commands[0]?.script)).toBe(`rm -f -- ${K} ${P}`);
  });
  test('state absent removes all three files and updates', () => {
    const facts = { sources: file(S, renderSources(grafana)), keyring: file(K, dearmor(KEY)), pin: file(P, 'x'), lists: fresh };
    const r = planModule(apt.repository, { params: { name: 'grafana', state: 'absent' }, facts });
    expect(r.changes.map((c) => [c.path, c.after])).toEqual([['keyring', null], ['sources', null], ['pin', null], ['cache', 'updated']]);
    expect(scripts(r)).toEqual([`remove ${K}, ${S}, ${P}`, 'apt-get update']);
  });
  test('update_cache false: files only', () => {
    const r = planModule(apt.repository, { params: { ...grafana, update_cache: false }, facts: { sources: absent(S), keyring: absent(K), pin: absent(P) } });
    expect(scripts(r)).toEqual([`write ${K}`, `write ${S}`]);
  });
  test('a key given as binary base64 installs the same keyring', () => {
    const params = { ...grafana, key: undefined, key_base64: Buffer.from(dearmor(KEY)).toString('base64') };
    const r = planModule(apt.repository, { params, facts: absentFacts() });
    expect(r.changes[0]).toEqual({ path: 'keyring', before: null, after: `sha256:${GPG_DEARMOR_SHA256}` });
  });
  test('apt-get update warnings become the message; its failure fails the task with what apt said', () => {
    const plan = { changes: [], data: { write: [], remove: [], update: true } };
    const input = { params: grafana, facts: {}, host: { name: 'h', vars: {}, user: 'root', check: false, diff: false }, upstreamChanged: false, plan } as never;
    const outcome = apt.repository.definition.outcome;
    const step = (exitCode: number, stderr: string) => ({ stdout: '', stderr, exitCode, durationMs: 1, description: 'apt-get update' });
    const other = 'W: Failed to fetch http://deb.example.org/dists/x/InRelease  Could not resolve\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n';
    expect(outcome?.(step(0, other), input)).toEqual({});
    expect(outcome?.(step(0, `W: Failed to fetch https://apt.grafana.com/dists/stable/InRelease  Could not resolve 'apt.grafana.com'\n${other}`), input)).toEqual({
      message: "apt-get update: W: Failed to fetch https://apt.grafana.com/dists/stable/InRelease  Could not resolve 'apt.grafana.com'",
    });
    expect(outcome?.(step(100, 'E: The repository is not signed.\n'), input)).toEqual({ failed: true, message: 'apt-get update failed with exit code 100:\nE: The repository is not signed.' });
    expect(outcome?.({ ...step(1, 'converge: /etc/apt/keyrings is a directory'), description: `write ${K}` }, input)).toEqual({});
  });
});
