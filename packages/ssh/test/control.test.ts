import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '@converge/core';
import { ControlServer, ControlledTransport, controlRequest, controlSocketPath, ensureControlDir } from '@converge/ssh';
import { startSshd } from './sshd.js';
import type { TestSshd } from './sshd.js';
import { pnpmLayout } from '../../../test/support/pnpm-layout.js';

// Connections kept between runs by the control process (`--control-persist`), against a real
// OpenSSH server on loopback. The control server runs in this process; each ControlledTransport
// is one run's view of its host, talking to it over the private socket as the CLI does.

let sshd: TestSshd;
let base: string;
let dir: string;
let server: ControlServer;

const spec = (): ConnectionSpec => ({ host: 'kept-host', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root', privateKeyFile: sshd.clientKeyFile, options: {}, connectTimeoutMs: 5000 });
const run = (persistMs: number) => new ControlledTransport(spec(), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: join(sshd.dir, 'no-such-config'), agent: '' }, persistMs, { dir });
const logins = () => sshd.log().split('\n').filter((l) => l.includes('Accepted publickey for')).length;
/** The PID of the login shell a command runs under (commands run in a subshell of it, where $$ stays the shell's). */
const shellPid = async (t: ControlledTransport) => (await t.exec('echo $$')).stdout.trim();

beforeAll(async () => {
  sshd = await startSshd();
  base = mkdtempSync(join(tmpdir(), 'converge-control-test-'));
  dir = join(base, 'control');
  server = new ControlServer();
  expect(await server.listen(dir, { emptyExitMs: 60_000 })).toBe(true);
});

afterAll(async () => {
  await server?.close();
  await sshd?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe('connections kept between runs', () => {
  it('a second run reuses the first run’s connection and login shell: no new login, one round trip per command', async () => {
    const first = run(30_000);
    await first.connect();
    expect(first.reused).toBe(false);
    const pid = await shellPid(first);
    expect(first.stats.roundTrips).toBe(1);
    await first.close();
    const before = logins();

    const second = run(30_000);
    await second.connect();
    expect(second.reused).toBe(true);
    expect(await shellPid(second)).toBe(pid);
    const r = await second.exec('printf %s "$1" | wc -c', { stdin: 'ignored' });
    expect(r.exitCode).toBe(0);
    expect(second.stats.roundTrips).toBe(2);
    await second.close();
    expect(logins()).toBe(before);
    expect(server.status()).toEqual([expect.objectContaining({ host: 'kept-host', connected: true, runs: 0, persistMs: 30_000 })]);
  });

  it('stdin, exit codes and progress pass through the control process unchanged', async () => {
    const t = run(30_000);
    const chunks: string[] = [];
    const r = await t.exec('cat; echo err >&2; exit 3', { stdin: Buffer.from('bytes\n\u00e9\n'), onStdout: (c) => chunks.push(c) });
    expect(r).toMatchObject({ stdout: 'bytes\n\u00e9\n', stderr: 'err\n', exitCode: 3 });
    expect(chunks.join('')).toContain('bytes');
    await t.close();
  });

  it('a kept connection ends after its idle time, and the next run logs in again', async () => {
    await controlRequest('status', { dir });
    const t = run(300);
    await t.connect();
    const pid = await shellPid(t);
    await t.close();
    await new Promise((r) => setTimeout(r, 800));
    expect(server.status().map((k) => k.persistMs)).not.toContain(300);
    const before = logins();
    const next = run(300);
    await next.connect();
    expect(next.reused).toBe(false);
    expect(await shellPid(next)).not.toBe(pid);
    expect(logins()).toBe(before + 1);
    await next.close();
  });

  it('the control process exits once it has kept nothing for its empty time', async () => {
    const d = join(base, 'short');
    let closed = false;
    const s = new ControlServer();
    expect(await s.listen(d, { emptyExitMs: 200, onClose: () => (closed = true) })).toBe(true);
    const t = new ControlledTransport(spec(), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: join(sshd.dir, 'no-such-config'), agent: '' }, 200, { dir: d });
    await t.exec('true');
    await t.close();
    await new Promise((r) => setTimeout(r, 1000));
    expect(closed).toBe(true);
    expect(await controlRequest('status', { dir: d })).toBeUndefined();
  });
});

describe('the control directory and socket are private', () => {
  it('the directory is made 0700 and the socket 0600', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(controlSocketPath(dir)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['group and others may enter it', (d: string) => chmodSync(d, 0o755), /has mode 0755/],
    ['another user owns it', (d: string) => chownSync(d, 65534, 65534), /belongs to uid 65534/],
  ])('a directory where %s is refused, before any socket is used', async (_what, spoil, message) => {
    const d = join(base, `spoilt-${Math.random().toString(36).slice(2)}`);
    mkdirSync(d, { mode: 0o700 });
    spoil(d);
    expect(() => ensureControlDir(d)).toThrow(message);
    await expect(new ControlServer().listen(d)).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS' });
    await expect(new ControlledTransport(spec(), {}, 1000, { dir: d }).connect()).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS', message: message });
  });

  it('a file that is not a socket where the socket belongs is refused', async () => {
    const d = join(base, 'not-a-socket');
    mkdirSync(d, { mode: 0o700 });
    writeFileSync(controlSocketPath(d), '');
    await expect(new ControlledTransport(spec(), {}, 1000, { dir: d }).connect()).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS', message: /is not a socket of this user/ });
  });
});

describe('converge control stop', () => {
  it('answers before the control process ends, so the operator is told it stopped', async () => {
    const own = join(base, 'to-stop');
    const stopping = new ControlServer();
    let closed = false;
    expect(await stopping.listen(own, { onClose: () => (closed = true) })).toBe(true);
    expect(await controlRequest('stop', { dir: own })).not.toBeUndefined();
    expect(closed).toBe(true);
    expect(await controlRequest('status', { dir: own })).toBeUndefined();
  });
});

describe('asking the control process leaves module loading alone', () => {
  it('a require() through a symlinked node_modules (pnpm) after a request still finds the module’s own dependencies', async () => {
    // pnpm's layout: app/node_modules/lib links to the store, where lib's dependency sits beside
    // it; from the link's own path, dep is not found. Node's realpathSync reads the buffer of the
    // last synchronous stat for a cached path, and a socket there made it stop resolving links
    // (nodejs/node#51142): a run's first --control-persist run failed to load nunjucks' asap.
    const root = mkdtempSync(join(base, 'pnpm-'));
    const { load } = pnpmLayout(root);
    expect(await controlRequest('status', { dir })).toEqual(expect.any(Array));
    expect(load('lib')).toBe(42);
  });
});

describe('a host whose key changed is refused', () => {
  it('known_hosts now listing another key refuses the kept connection; a new connection showing that key is refused too', async () => {
    const t = run(30_000);
    await t.exec('true');
    await t.close();
    const keys = await sshd.rotateHostKeys();
    // The operator records the host's new keys: the kept connection authenticated an older one.
    writeFileSync(sshd.knownHostsFile, keys.map((k) => `[127.0.0.1]:${sshd.port} ${k.type} ${k.key}\n`).join(''));
    await expect(run(30_000).connect()).rejects.toMatchObject({ code: 'CONVERGE_HOST_KEY', message: /kept connection was authenticated with the host key .* now lists another key/ });
    expect(server.status()).toEqual([]);
    // The control process pinned the first key: a new connection meeting the new one is refused
    // until the operator ends the control process (converge control stop).
    await expect(run(30_000).connect()).rejects.toMatchObject({ code: 'CONVERGE_HOST_KEY', message: /CHANGED/ });
    const fresh = new ControlServer();
    const d = join(base, 'after-stop');
    await fresh.listen(d);
    const after = new ControlledTransport(spec(), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: join(sshd.dir, 'no-such-config'), agent: '' }, 1000, { dir: d });
    await after.exec('true');
    await after.close();
    await fresh.close();
  });
});
