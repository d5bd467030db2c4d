// Integration tests of the fetching modules on two real Debian 12 containers, converged over SSH:
// check, run, run again (zero changes), check again. fetch1 requests with curl and has git and
// unzip; fetch2 has wget only (curl removed). Files are served by an HTTP server of this test on
// the controller's Docker bridge address; git clones over SSH from the host itself, with a
// deploy key given as a Secret.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { convergeTwice, generateEd25519KeyPair, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { copy } from '../../src/files.js';
import { authorizedKey, knownHosts } from '../../src/system.js';
import { fetch, getUrl, git, slurp, synchronize, unarchive, uri } from '../../src/fetching.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const playbookPath = join(fixtures, 'playbook.ts');
let hosts: TestHosts;
let server: Server;
let base = '';
const requests: string[] = [];
const sh = async (host: string, cmd: string): Promise<string> => (await hosts.exec(host, cmd)).stdout.trim();
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const FILE = 'converge fetched this\n';
const TOKEN = 'Bearer s3cret-T0ken';

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'fetch' });
  const setup = await Promise.all([
    hosts.exec('fetch1', 'DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git unzip >/dev/null 2>&1; echo rc=$?'),
    hosts.exec('fetch2', 'DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wget >/dev/null 2>&1 && apt-get remove -y -qq curl >/dev/null 2>&1; echo rc=$?'),
  ]);
  expect(setup.map((r) => r.stdout.trim())).toEqual(['rc=0', 'rc=0']);
  // The controller's address on the containers' bridge: their default gateway.
  const gateway = await sh('fetch1', "ip route | awk '/^default/ {print $3}'");
  server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}');
    if (req.url === '/private') return void res.writeHead(req.headers.authorization === TOKEN ? 200 : 401).end('private');
    if (req.url === '/file.txt') return void res.writeHead(200).end(FILE);
    if (req.url === '/site.tar.gz') return void res.writeHead(200).end(readFileSync(join(fixtures, 'site.tar.gz')));
    if (req.url === '/hooks' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(body === '{"name":"deploy"}' ? 201 : 400).end(body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, gateway, r));
  const addr = server.address();
  base = `http://${gateway}:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await hosts?.stop();
});

describe('uri and getUrl', () => {
  test('GETs read in the probe (curl on fetch1, wget on fetch2), a POST guarded by creates, downloads; twice', async () => {
    const tasks = [
      uri({ url: `${base}/health`, return_content: true }, { register: 'health' }),
      uri({ url: `${base}/private`, headers: { Authorization: secret(TOKEN) } }),
      getUrl({ url: `${base}/file.txt`, dest: '/srv/file.txt', checksum: `sha256:${sha(FILE)}`, mode: '0640' }),
      getUrl({ url: `${base}/file.txt`, dest: '/srv/forced.txt', force: true }),
    ];
    const { first, second } = await convergeTwice(hosts, tasks, { playbookPath });
    expect(first.tasks.filter((t) => t.module === 'uri').map((t) => `${t.host} ${t.status} ${String(t.result?.status)}`).sort()).toEqual(['fetch1 ok 200', 'fetch1 ok 200', 'fetch2 ok 200', 'fetch2 ok 200']);
    expect(first.tasks.find((t) => t.module === 'uri')?.result).toMatchObject({ json: { status: 'up' } });
    expect(Object.values(second.stats).map((s) => s.roundTrips)).toEqual([1, 1]);
    expect(JSON.stringify(first)).not.toContain('s3cret-T0ken');
    for (const h of ['fetch1', 'fetch2']) {
      expect(await sh(h, 'cat /srv/file.txt /srv/forced.txt; stat -c %a /srv/file.txt')).toBe(`${FILE}${FILE}640`);
    }
    // A changed file at the URL is found by the probe of a forced download and only then written.
    await sh('fetch1', "printf 'local edit\\n' > /srv/forced.txt");
    const repaired = await runTasks(hosts, tasks.slice(3), { playbookPath, hosts: 'fetch1' });
    expect(repaired.tasks.map((t) => t.status)).toEqual(['changed']);
    expect(await sh('fetch1', 'cat /srv/forced.txt')).toBe(FILE.trim());
  });

  test('a POST is sent once, guarded by creates; a wrong status fails; wget alone cannot send a body', async () => {
    const tasks = [
      uri({ url: `${base}/hooks`, method: 'POST', body: { name: 'deploy' }, body_format: 'json', status_code: 201, creates: '/srv/hook-registered' }),
      copy({ dest: '/srv/hook-registered', content: 'yes\n' }),
    ];
    const before = requests.filter((r) => r === 'POST /hooks').length;
    await convergeTwice(hosts, tasks, { playbookPath, hosts: 'fetch1' });
    expect(requests.filter((r) => r === 'POST /hooks').length - before).toBe(1);
    const bad = await runTasks(hosts, [uri({ url: `${base}/missing` })], { hosts: 'fetch1' });
    expect(bad.tasks[0]?.message).toMatch(/Status code was 404 and not \[200\]/);
    const wget = await runTasks(hosts, [uri({ url: `${base}/hooks`, method: 'POST', body: 'x' })], { hosts: 'fetch2' });
    expect(wget.tasks[0]?.message).toMatch(/needs curl on the host, which has only wget/);
  });
});

describe('unarchive and synchronize', () => {
  test('archives from the controller are listed and extracted once; an archive from a URL by creates; a tree with delete; twice', async () => {
    await sh('fetch1', 'mkdir -p /opt/tgz /opt/zip /opt/url /srv/www && touch /srv/www/stale.txt');
    await sh('fetch2', 'mkdir -p /opt/tgz /opt/url /srv/www && touch /srv/www/stale.txt');
    const tasks = [
      unarchive({ src: 'site.tar.gz', dest: '/opt/tgz' }),
      unarchive({ src: 'site.zip', dest: '/opt/zip' }, { when: (c) => c.host === 'fetch1' }),
      unarchive({ url: `${base}/site.tar.gz`, dest: '/opt/url', creates: '/opt/url/app/README' }),
      synchronize({ src: 'tree', dest: '/srv/www', delete: true }),
    ];
    const { second } = await convergeTwice(hosts, tasks, { playbookPath });
    expect(Object.values(second.stats).map((s) => s.roundTrips)).toEqual([1, 1]);
    expect(await sh('fetch1', 'cd /opt/tgz/app && cat README && stat -c "%a %U" bin/run && readlink LINK; cd /opt/zip/app && stat -c %a bin/run README')).toBe('hello\n755 root\nREADME\n755\n644');
    for (const h of ['fetch1', 'fetch2']) {
      expect(await sh(h, 'cat /opt/url/app/README; cd /srv/www && find . | sort && readlink home.html && stat -c %a sub/run.sh')).toBe(
        'hello\n.\n./home.html\n./index.html\n./sub\n./sub/run.sh\n./sub/style.css\nindex.html\n755',
      );
    }
    // A member changed on the host: the archive is extracted again; a tree file changed: only it is written.
    await sh('fetch1', "echo changed > /opt/tgz/app/README; echo changed > /srv/www/sub/style.css; chmod 600 /srv/www/index.html");
    const r = await runTasks(hosts, tasks, { playbookPath, hosts: 'fetch1' });
    expect(r.tasks.filter((t) => t.status === 'changed').map((t) => [t.module, t.changes?.map((c) => `${c.path}=${JSON.stringify(c.after)}`)])).toEqual([
      ['unarchive', ['members=["app/README"]']],
      ['synchronize', ['files=["sub/style.css"]', 'modes=["index.html"]']],
    ]);
    expect(await sh('fetch1', 'cat /opt/tgz/app/README /srv/www/sub/style.css')).toBe('hello\nbody { color: red }');
  });
});

describe('fetch and slurp', () => {
  test('a host file lands on the controller once per host; slurp reads one; twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-fetched-'));
    try {
      const { first } = await convergeTwice(hosts, [fetch({ src: '/etc/hostname', dest: dir }), slurp({ src: '/etc/os-release' }, { register: 'os' })], { playbookPath });
      for (const h of ['fetch1', 'fetch2']) expect(readFileSync(join(dir, h, 'etc', 'hostname'), 'utf8')).toBe(`${await sh(h, 'cat /etc/hostname')}\n`);
      const os = first.tasks.find((t) => t.module === 'slurp')?.result as { content: string };
      expect(Buffer.from(os.content, 'base64').toString()).toMatch(/bookworm/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('git', () => {
  test('clones over SSH with a deploy key (Secret) after pinning the host key, follows a new commit; twice', async () => {
    const deploy = generateEd25519KeyPair('converge-deploy');
    await sh(
      'fetch1',
      'set -e; git config --global init.defaultBranch main; git init -q --bare /srv/src.git; d=$(mktemp -d); cd "$d"; git init -q; git config user.email t@example.test; git config user.name t; echo one > f; git add f; git commit -qm one; git push -q /srv/src.git HEAD:main',
    );
    const hostKey = await sh('fetch1', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub');
    const key = secret(deploy.privateKey);
    const tasks = [
      authorizedKey({ user: 'root', key: deploy.publicKey }),
      knownHosts({ name: 'localhost', key: `localhost ${hostKey}` }),
      git({ repo: 'ssh://root@localhost/srv/src.git', dest: '/srv/app', version: 'main', key, depth: 1 }),
    ];
    const { check, first } = await convergeTwice(hosts, tasks, { playbookPath, hosts: 'fetch1' });
    expect(check.tasks.find((t) => t.module === 'git')?.changes?.[0]?.after).toMatch(/not known before the earlier changes run/);
    expect(JSON.stringify(first)).not.toContain('PRIVATE KEY');
    expect(await sh('fetch1', 'cat /srv/app/f; git -C /srv/app symbolic-ref --short HEAD')).toBe('one\nmain');
    await sh('fetch1', 'set -e; d=$(mktemp -d); git clone -q /srv/src.git "$d"; cd "$d"; git config user.email t@example.test; git config user.name t; echo two > f; git commit -qam two; git push -q origin HEAD:main');
    const moved = await convergeTwice(hosts, tasks.slice(2), { playbookPath, hosts: 'fetch1' });
    expect(moved.check.tasks[0]?.changes?.[0]?.after).toBe(`main (${await sh('fetch1', 'git -C /srv/src.git rev-parse main')})`);
    expect(await sh('fetch1', 'cat /srv/app/f')).toBe('two');
  });
});
