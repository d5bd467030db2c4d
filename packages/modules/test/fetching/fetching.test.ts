// Fetching modules: module cases from recorded facts, and the request, tree and archive probes
// run for real on this machine (curl and wget against an HTTP server on loopback).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createSocketServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factCommand, LocalTransport, secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { HostInfo } from '@converge/core';
import {
  archiveFormat,
  curlConfig,
  diffTrees,
  differingMembers,
  fetch,
  getUrl,
  git,
  gitRemote,
  httpResponse,
  listArchive,
  readLocalTree,
  requestScript,
  resolveRemote,
  slurp,
  synchronize,
  treeState,
  unarchive,
  uri,
} from '../../src/fetching.js';
import type { HttpRequestSpec, TreeState } from '../../src/fetching.js';
import { fileFact } from '../files/edit-harness.js';
import { pnpmLayout } from '../../../../test/support/pnpm-layout.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const local = new LocalTransport();
const host: HostInfo = { name: 'web1', vars: {}, user: 'root', check: false, diff: true };
const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

let server: Server;
let base = '';
const seen: { method: string; url: string; auth?: string; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      if (req.url === '/health') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (req.url === '/missing') return res.writeHead(404).end('no');
      if (req.url === '/private') return res.writeHead(req.headers.authorization === 'Bearer t0ken-Secr3t' ? 200 : 401).end('private');
      if (req.url === '/file') return res.writeHead(200).end('file body\n');
      res.writeHead(201).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HTTP requests from the host', () => {
  it('writes curl configs with quoting that keeps every byte', () => {
    const text = curlConfig({ url: 'http://x/a?b="c"', method: 'POST', headers: { 'X-A': 'v\\1' }, body: 'line1\nline2 "q"', user: 'u', password: 'p:w' });
    expect(text).toBe('url = "http://x/a?b=\\"c\\""\nsilent\nshow-error\nmax-time = 30\nrequest = "POST"\nheader = "X-A: v\\\\1"\nuser = "u:p:w"\ndata-raw = "line1\\nline2 \\"q\\""\nlocation\n');
  });

  it.each(['curl', 'wget'] as const)('%s: a GET in the probe gives status and body; a secret header works and stays off the command line', async (client) => {
    const run = async (request: HttpRequestSpec) => {
      const cmd = requestScript(request, { curl: client === 'curl', wget: client === 'wget' }, 'inline', 'response');
      const r = await local.exec(String(cmd));
      return { r, cmd: String(cmd) };
    };
    const { r } = await run({ url: `${base}/health`, method: 'GET' });
    expect(r.stderr).toMatch(/^status 200$/m);
    expect(Buffer.from(r.stdout.trim(), 'base64').toString()).toBe('{"ok":true}');
    const missing = await run({ url: `${base}/missing`, method: 'GET' });
    expect(missing.r.stderr).toMatch(/^status 404$/m);
    const token = secret('Bearer t0ken-Secr3t');
    const priv = await run({ url: `${base}/private`, method: 'GET', headers: { Authorization: token } });
    expect(priv.r.stderr).toMatch(/^status 200$/m);
    expect(priv.cmd).not.toContain('t0ken-Secr3t');
    const none = await run({ url: 'http://127.0.0.1:9/', method: 'GET', timeout: 5 });
    expect(none.r.stderr).toMatch(/^status 000$/m);
  });

  it('the http.response fact picks the host client and parses', async () => {
    const args = { request: { url: `${base}/health`, method: 'GET' }, clients: 'probe' as const, sink: 'sha256' as const, secrets: [] };
    const r = await local.exec(factCommand(httpResponse, args));
    expect(httpResponse.definition.parse(r.stdout, { args, exitCode: r.exitCode, stderr: r.stderr })).toEqual({ client: 'curl', status: 200, sha256: sha('{"ok":true}') });
  });
});

describe('uri', () => {
  const ok = (status: number, body = '') => ({ response: { client: 'curl', status, body } });
  it('a GET is read in the probe: its result, no change; a status outside status_code fails', () => {
    const r = uri.definition.plan({ params: { url: 'http://x/health', return_content: true }, facts: ok(200, '{"ok":true}') as never, host, upstreamChanged: false });
    expect(r).toEqual({ changes: [], reason: 'GET http://x/health: OK (200)', result: { status: 200, url: 'http://x/health', content: '{"ok":true}', json: { ok: true }, msg: 'OK (200)' } });
    expect(() => planModule(uri, { params: { url: 'http://x/', status_code: [200, 204] }, facts: ok(500) })).toThrow(/Status code was 500 and not \[200, 204\]/);
    expect(() => planModule(uri, { params: { url: 'http://x/' }, facts: { response: { client: 'none', status: 0 } } })).toThrow(/neither curl nor wget/);
  });

  it('in check mode after an earlier change, the response is said to be unknown', () => {
    const r = uri.definition.plan({ params: { url: 'http://x/' }, facts: ok(503) as never, host: { ...host, check: true }, upstreamChanged: true });
    expect(r.reason).toMatch(/not known before they run/);
  });

  it('a POST runs when the task runs: config with the secret on stdin, JSON body; creates skips it', () => {
    const token = secret('t0ken');
    const r = planModule(uri, { params: { url: 'http://x/hooks', method: 'POST', body: { a: 1 }, body_format: 'json', headers: { Authorization: token }, status_code: 201 }, facts: { clients: { curl: true, wget: false } } });
    expect(r.changes).toEqual([{ path: 'request', before: null, after: 'POST http://x/hooks (response not known before it is sent)' }]);
    expect(String(r.commands[0]?.script)).not.toContain('t0ken');
    expect(String(r.commands[0]?.stdin)).toBe(SECRET_MASK);
    expect((r.commands[0]?.stdin as { reveal(): string }).reveal()).toContain('header = "Content-Type: application/json"\ndata-raw = "{\\"a\\":1}"');
    expect(planModule(uri, { params: { url: 'http://x/hooks', method: 'POST', creates: '/etc/done' }, facts: { clients: { curl: true, wget: false }, creates: { exists: true } } }).changes).toEqual([]);
    expect(() => planModule(uri, { params: { url: 'http://x/', method: 'POST', body: 'a' }, facts: { clients: { curl: false, wget: true } } })).toThrow(/needs curl/);
  });

  it('judges the response of a sent request in outcome', () => {
    const input = { params: { url: 'http://x/h', method: 'POST', status_code: 201 } } as never;
    const b64 = Buffer.from('made').toString('base64');
    expect(uri.definition.outcome?.({ stdout: `${b64}\n`, stderr: 'status 201\n', exitCode: 0, durationMs: 1 }, input)).toEqual({ result: { status: 201, url: 'http://x/h', msg: 'OK (201)' }, changed: true });
    expect(uri.definition.outcome?.({ stdout: '\n', stderr: 'curl: (7) Failed to connect\nstatus 000\n', exitCode: 0, durationMs: 1 }, input)).toMatchObject({ failed: true, message: 'POST http://x/h: no response: curl: (7) Failed to connect' });
  });
});

describe('getUrl', () => {
  const clients = { curl: true, wget: false };
  const dest = (content: string | null) => {
    const f = fileFact(content, { path: '/opt/f' });
    if (f.target && content !== null) f.target.sha256 = sha(content);
    return f;
  };
  it.each([
    { name: 'downloads a missing file', params: {}, facts: { dest: dest(null), clients }, paths: ['state', 'content'] },
    { name: 'keeps an existing file without force', params: {}, facts: { dest: dest('x'), clients }, paths: [] },
    { name: 'downloads again when the checksum differs', params: { checksum: `sha256:${sha('new')}` }, facts: { dest: dest('old'), clients }, paths: ['content'] },
    { name: 'nothing when the checksum matches', params: { checksum: `sha256:${sha('new')}` }, facts: { dest: dest('new'), clients }, paths: [] },
    { name: 'force: the URL read in the probe has other bytes', params: { force: true }, facts: { dest: dest('old'), clients, remote: { status: 200, sha256: sha('new') } }, paths: ['content'] },
    { name: 'force: same bytes, only the mode', params: { force: true, mode: '0600' }, facts: { dest: dest('same'), clients, remote: { status: 200, sha256: sha('same') } }, paths: ['mode'] },
  ])('$name', ({ params, facts, paths }) => {
    expect(planModule(getUrl, { params: { url: 'http://x/f', dest: '/opt/f', ...params }, facts }).changes.map((c) => c.path)).toEqual(paths);
  });

  it('downloads into a temp file beside dest, checks the checksum, then renames (for real, here)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-geturl-'));
    try {
      const target = join(dir, 'f');
      const run = async (checksum: string) => {
        const r = planModule(getUrl, { params: { url: `${base}/file`, dest: target, checksum: `sha256:${checksum}`, mode: '0640' }, facts: { dest: { path: target, type: 'absent', parentExists: true }, clients } });
        const c = r.commands[0];
        return local.exec(String(c?.script), { stdin: String(c?.stdin) });
      };
      const bad = await run(sha('other'));
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toMatch(/dest was not changed/);
      expect(() => readFileSync(target)).toThrow();
      expect((await run(sha('file body\n'))).exitCode).toBe(0);
      expect(readFileSync(target, 'utf8')).toBe('file body\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trees: tree.state and synchronize', () => {
  it('reads a directory with types, modes, link text and sha256 (names with spaces and newlines too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-tree-'));
    try {
      mkdirSync(join(dir, 'a b'));
      writeFileSync(join(dir, 'a b', 'x\ny'), 'nl');
      writeFileSync(join(dir, 'f'), 'data', { mode: 0o600 });
      symlinkSync('f', join(dir, 'l'));
      const r = await local.exec(factCommand(treeState, { path: dir }));
      const t = treeState.definition.parse(r.stdout, { args: { path: dir }, exitCode: r.exitCode, stderr: r.stderr });
      expect(t.root).toBe('directory');
      expect(t.entries).toEqual({
        'a b': { type: 'directory', mode: '0755', size: expect.any(Number) },
        'a b/x\ny': { type: 'file', mode: '0644', size: 2, sha256: sha('nl') },
        f: { type: 'file', mode: '0600', size: 4, sha256: sha('data') },
        l: { type: 'link', mode: '0777', size: 1, linkTarget: 'f' },
      });
      const none = await local.exec(factCommand(treeState, { path: join(dir, 'nope') }));
      expect(treeState.definition.parse(none.stdout, { args: { path: '' }, exitCode: 0, stderr: '' })).toEqual({ root: 'absent', parentExists: true, entries: {} });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const tree = readLocalTree(join(fixtures, 'tree'));
  it('reads the controller tree in order, parents first', () => {
    expect(tree.map((e) => `${e.type} ${e.path} ${e.mode}`)).toEqual(['link home.html 0777', 'file index.html 0644', 'directory sub 0755', 'file sub/run.sh 0755', 'file sub/style.css 0644']);
  });

  it.each([
    { name: 'an empty dest gets everything', remote: {}, del: false, want: { mkdir: ['sub'], write: ['index.html', 'sub/run.sh', 'sub/style.css'], link: ['home.html'], chmod: ['sub'], remove: [] } },
    {
      name: 'one differing file, one mode, an extra file deleted, a type clash replaced',
      remote: {
        'home.html': { type: 'link', mode: '0777', size: 10, linkTarget: 'index.html' },
        'index.html': { type: 'file', mode: '0644', size: 6, sha256: sha('index\n') },
        sub: { type: 'file', mode: '0644', size: 1, sha256: 'x' },
        'old.txt': { type: 'file', mode: '0644', size: 1, sha256: 'y' },
      },
      del: true,
      want: { mkdir: ['sub'], write: ['sub/run.sh', 'sub/style.css'], link: [], chmod: ['sub'], remove: ['sub', 'old.txt'] },
    },
  ])('$name', ({ remote, del, want }) => {
    const state: TreeState = { root: 'directory', parentExists: true, entries: remote as TreeState['entries'] };
    expect(diffTrees(tree, state, { delete: del, exclude: [] })).toEqual(want);
  });
});

describe('unarchive and synchronize chown what they write: check mode fails where chown would', () => {
  const tree = readLocalTree(join(fixtures, 'tree'));
  const empty: TreeState = { root: 'directory', parentExists: true, entries: {} };
  const archive = async () => {
    const bytes = readFileSync(join(fixtures, 'site.tar.gz'));
    return { format: 'tar.gz' as const, base64: bytes.toString('base64'), members: await listArchive(bytes, 'tar.gz', 'site.tar.gz') };
  };
  const cases = {
    unarchive: async (p: Record<string, unknown>) => ({ module: unarchive, params: { src: 'site.tar.gz', dest: '/opt', archive: await archive(), ...p } }),
    synchronize: async (p: Record<string, unknown>) => ({ module: synchronize, params: { src: 'tree', dest: '/srv', tree, ...p } }),
  };
  it.each(Object.keys(cases) as (keyof typeof cases)[])('%s', async (name) => {
    const plan = async (p: Record<string, unknown>, principals: Record<string, number | null> | undefined, upstreamChanged = false, dest = empty) => {
      const { module, params } = await cases[name](p);
      return (module.definition.plan as (i: unknown) => { changes: unknown[] })({ params, facts: { dest, ...(principals ? { principals } : {}) }, host, upstreamChanged });
    };
    const { module, params } = await cases[name]({ owner: 'app', group: 'nosuchgroup' });
    expect(Object.keys((module.definition.facts as (p: unknown) => object)(params))).toContain('principals');
    const { params: byId } = await cases[name]({ owner: 0, group: 0 });
    expect(Object.keys((module.definition.facts as (p: unknown) => object)(byId))).not.toContain('principals');
    await expect(plan({ owner: 'nosuchuser' }, { owner: null })).rejects.toThrow(/owner "nosuchuser": the host has no user of that name/);
    await expect(plan({ group: 'nosuchgroup' }, { group: null })).rejects.toThrow(/group "nosuchgroup": the host has no group of that name/);
    expect((await plan({ owner: 'app' }, { owner: 1000 })).changes.length).toBeGreaterThan(0);
    // an earlier task of the check run may create the user
    expect((await plan({ owner: 'nosuchuser' }, { owner: null }, true)).changes.length).toBeGreaterThan(0);
  });
});

describe('unarchive', () => {
  it.each([
    ['site.tar.gz', 'tar.gz', ['directory app 0755', 'link app/LINK', 'file app/README 0644', 'directory app/bin 0755', 'file app/bin/run 0755']],
    ['site.zip', 'zip', ['directory app 0755', 'directory app/bin 0755', 'file app/README 0644', 'file app/bin/run 0755']],
  ])('lists %s on the controller', async (name, format, want) => {
    const bytes = readFileSync(join(fixtures, name));
    expect(archiveFormat(bytes)).toBe(format);
    const members = await listArchive(bytes, format as 'zip', name);
    expect(members.map((m) => [m.type, m.path, m.mode].filter(Boolean).join(' '))).toEqual(want);
    expect(members.find((m) => m.path === 'app/README')?.sha256).toBe(sha('hello\n'));
  });

  it('refuses a member that would land outside dest', async () => {
    const { default: tarStream } = await import('tar-stream');
    const pack = tarStream.pack();
    pack.entry({ name: '../evil' }, 'x');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    await expect(listArchive(Buffer.concat(chunks), 'tar', 'evil.tar')).rejects.toThrow(/outside dest/);
  });

  it('plans from the members that differ; extracts from stdin with tar', async () => {
    const bytes = readFileSync(join(fixtures, 'site.tar.gz'));
    const members = await listArchive(bytes, 'tar.gz', 'site.tar.gz');
    const params = { src: 'site.tar.gz', dest: '/opt', archive: { format: 'tar.gz' as const, base64: bytes.toString('base64'), members } };
    const entries: TreeState['entries'] = {
      app: { type: 'directory', mode: '0755', size: 0 },
      'app/LINK': { type: 'link', mode: '0777', size: 6, linkTarget: 'README' },
      'app/README': { type: 'file', mode: '0644', size: 6, sha256: sha('hello\n') },
      'app/bin': { type: 'directory', mode: '0755', size: 0 },
      'app/bin/run': { type: 'file', mode: '0644', size: 19, sha256: 'other' },
    };
    expect(differingMembers(members, { root: 'directory', parentExists: true, entries })).toEqual(['app/bin/run']);
    const plan = unarchive.definition.plan({ params: params as never, facts: { dest: { root: 'directory', parentExists: true, entries } } as never, host, upstreamChanged: false });
    expect(plan.changes).toEqual([{ path: 'members', before: null, after: ['app/bin/run'] }]);
    const steps = unarchive.definition.apply({ params: params as never, facts: {} as never, host, upstreamChanged: false, plan });
    expect(String(steps[0]?.script)).toBe('set -e\ntar -x -z --no-same-owner --same-permissions -f - -C /opt');
    expect(() => planModule(unarchive, { params: { url: 'http://x/a.tgz', dest: '/opt' }, facts: {} })).toThrow(/needs creates/);
  });
});

describe('git', () => {
  const lsRemote = [
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tHEAD',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\trefs/heads/main',
    'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\trefs/tags/v1',
    'cccccccccccccccccccccccccccccccccccccccc\trefs/tags/v1^{}',
  ].join('\n');
  it.each([
    ['HEAD', { sha: 'a'.repeat(40), kind: 'head' }],
    ['main', { sha: 'a'.repeat(40), kind: 'branch' }],
    ['v1', { sha: 'c'.repeat(40), kind: 'tag' }],
    ['nope', {}],
  ])('resolves %s from ls-remote (an annotated tag to its commit)', (v, want) => expect(resolveRemote(lsRemote, v)).toEqual(want));

  const repo = (head: string, extra = {}) => ({ local: { git: true, dest: 'repository', head, branch: 'main', remoteUrl: 'ssh://g/r.git', modified: false, ...extra } });
  it.each([
    { name: 'clones into a missing dest', facts: { local: { git: true, dest: 'absent' }, remote: { sha: 'a'.repeat(40), kind: 'branch' } }, paths: ['version'], script: /git clone -q --origin origin {2}--branch main -- ssh:\/\/g\/r.git \/srv\/app/ },
    { name: 'nothing when HEAD is the branch head', facts: { ...repo('a'.repeat(40)), remote: { sha: 'a'.repeat(40), kind: 'branch' } }, paths: [] },
    { name: 'fetches and moves the branch', facts: { ...repo('d'.repeat(40)), remote: { sha: 'a'.repeat(40), kind: 'branch' } }, paths: ['version'], script: /fetch -q {2}origin refs\/heads\/main\ngit -C \/srv\/app checkout -q {2}-B main a{40}/ },
  ])('$name', ({ facts, paths, script }) => {
    const r = planModule(git, { params: { repo: 'ssh://g/r.git', dest: '/srv/app', version: 'main' }, facts });
    expect(r.changes.map((c) => c.path)).toEqual(paths);
    if (script) expect(String(r.commands[0]?.script)).toMatch(script);
  });

  it('fails on local changes unless force; the deploy key goes on stdin into a 0600 temp file', () => {
    const facts = { ...repo('d'.repeat(40), { modified: true }), remote: { sha: 'a'.repeat(40), kind: 'branch' } };
    expect(() => planModule(git, { params: { repo: 'ssh://g/r.git', dest: '/srv/app', version: 'main' }, facts })).toThrow(/local changes/);
    const key = secret('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----');
    const r = planModule(git, { params: { repo: 'ssh://g/r.git', dest: '/srv/app', version: 'main', force: true, key }, facts });
    const step = r.commands[0];
    expect(String(step?.script)).toMatch(/^k=\$\(mktemp\)[\s\S]*cat > "\$k"\nGIT_SSH_COMMAND="ssh -i \$k -o IdentitiesOnly=yes -o BatchMode=yes"[\s\S]*reset -q --hard/);
    expect(String(step?.script)).not.toContain('OPENSSH');
    expect((step?.stdin as { reveal(): string }).reveal()).toMatch(/PRIVATE KEY-----\n$/);
    const probe = String(factCommand(gitRemote, { repo: 'ssh://g/r.git', version: 'main', key }));
    expect(probe).not.toContain('OPENSSH');
  });

  it('says which error the remote gave', () => {
    expect(() => planModule(git, { params: { repo: 'ssh://g/r.git', dest: '/srv/app' }, facts: { local: { git: true, dest: 'absent' }, remote: { error: 'Host key verification failed.' } } })).toThrow(/cannot read ssh:\/\/g\/r.git: Host key verification failed/);
    expect(() => planModule(git, { params: { repo: 'r', dest: '/a', version: 'abc1234' }, facts: {} })).toThrow(/short ids/);
  });
});

describe('fetch and slurp', () => {
  it('slurp returns the content as base64, and fails on a missing file', () => {
    const r = slurp.definition.plan({ params: { src: '/etc/x' }, facts: { src: fileFact('hi\n', { path: '/etc/x' }) }, host, upstreamChanged: false });
    expect(r.result).toEqual({ content: Buffer.from('hi\n').toString('base64'), encoding: 'base64', source: '/etc/x' });
    expect(() => planModule(slurp, { params: { src: '/nope' }, facts: { src: { path: '/nope', type: 'absent', parentExists: true } } })).toThrow(/file not found/);
  });

  it('fetch compares with the controller copy and writes it atomically after reading the host file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-fetch-'));
    try {
      const prepared = fetch.definition.prepare?.({ src: '/etc/hostname', dest: 'got' }, { host, baseDir: dir } as never) as never as { local: { path: string; sha256: string | null } };
      expect(prepared.local).toEqual({ path: join(dir, 'got', 'web1', 'etc', 'hostname'), sha256: null });
      const remote = fileFact('web1\n', { path: '/etc/hostname' });
      remote.target!.sha256 = sha('web1\n');
      const input = { params: prepared as never, facts: { src: remote } as never, host, upstreamChanged: false };
      const plan = fetch.definition.plan(input);
      expect(plan.changes).toEqual([{ path: 'content', before: null, after: `sha256:${sha('web1\n')}` }]);
      expect(String(fetch.definition.apply({ ...input, plan })[0]?.script)).toBe('base64 -w0 -- /etc/hostname');
      const out = fetch.definition.outcome?.({ stdout: Buffer.from('web1\n').toString('base64'), stderr: '', exitCode: 0, durationMs: 1 }, { ...input, plan });
      expect(out).toMatchObject({ changed: true });
      expect(readFileSync(prepared.local.path, 'utf8')).toBe('web1\n');
      const again = fetch.definition.prepare?.({ src: '/etc/hostname', dest: 'got' }, { host, baseDir: dir } as never) as never as { local: { sha256: string } };
      expect(again.local.sha256).toBe(sha('web1\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('synchronize reading a source tree that holds a socket', () => {
  it('refuses the socket, and a later require() through a symlinked node_modules (pnpm) still finds its dependencies', async () => {
    // Node's realpathSync reads the buffer of the last synchronous stat for cached paths; a
    // socket there made require() stop resolving links (nodejs/node#51142).
    const root = mkdtempSync(join(tmpdir(), 'converge-sync-sock-'));
    mkdirSync(join(root, 'src'));
    const server = createSocketServer();
    await new Promise<void>((r) => server.listen(join(root, 'src/sock'), r));
    try {
      const { load } = pnpmLayout(root);
      expect(() => readLocalTree(join(root, 'src'))).toThrow(/neither a file, a directory nor a symlink/);
      expect(load('lib')).toBe(42);
    } finally {
      server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
