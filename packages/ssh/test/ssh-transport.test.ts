import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sh, secret } from '@converge/core';
import type { ConnectionSpec } from '@converge/core';
import { SshTransport } from '@converge/ssh';
import type { SshOptions } from '@converge/ssh';
import { startSshd } from './sshd.js';
import type { TestSshd } from './sshd.js';

const USER = 'convergetest';
const PASSWORD = `a;b'c"d $(touch /tmp/pwned) e f`;
const SUDOERS = '/etc/sudoers.d/converge-ssh-test';

let sshd: TestSshd;
const open: SshTransport[] = [];

function spec(over: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    host: 'test-host',
    connection: 'ssh',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyFile: sshd.clientKeyFile,
    options: {},
    connectTimeoutMs: 5000,
    ...over,
  };
}

function transport(s: Partial<ConnectionSpec> = {}, o: SshOptions = {}): SshTransport {
  const t = new SshTransport(spec(s), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: join(sshd.dir, 'no-such-config'), agent: '', ...o });
  open.push(t);
  return t;
}

function fingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1] as string;
}

function sudoers(extra = ''): void {
  const file = `${SUDOERS}.tmp`;
  writeFileSync(file, `${USER} ALL=(ALL:ALL) ALL\nDefaults:${USER} timestamp_timeout=0\n${extra}\n`, { mode: 0o440 });
  execFileSync('visudo', ['-c', '-q', '-f', file]);
  execFileSync('mv', ['-f', file, SUDOERS]);
}

function acceptedLogins(): number {
  return sshd.log().split('\n').filter((l) => l.includes('Accepted publickey for')).length;
}

beforeAll(async () => {
  sshd = await startSshd();
  execFileSync('useradd', ['-m', '-s', '/bin/bash', USER]);
  // A chatty ~/.bashrc: bash sources it for commands run by sshd.
  writeFileSync(`/home/${USER}/.bashrc`, 'echo "Welcome from bashrc"\necho "bashrc noise" >&2\n');
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  sudoers();
  rmSync('/tmp/pwned', { force: true });
});

afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  rmSync(SUDOERS, { force: true });
  try {
    execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  await sshd?.stop();
});

describe('SshTransport runs commands over one framed shell channel', () => {
  it('separates stdout, stderr and the exit code', async () => {
    const t = transport();
    const r = await t.exec('printf out; printf err >&2; exit 3');
    expect(r).toMatchObject({ stdout: 'out', stderr: 'err', exitCode: 3 });
    expect(t.loginUser).toBe('root');
  });

  it("keeps a chatty ~/.bashrc out of the first command's output", async () => {
    const t = transport({ user: USER });
    expect(await t.exec('echo first; echo e >&2')).toMatchObject({ stdout: 'first\n', stderr: 'e\n', exitCode: 0 });
  });

  it('runs 50 sequential commands over exactly one exec channel', async () => {
    const t = transport();
    for (let i = 0; i < 50; i++) {
      const r = await t.exec(sh`echo ${i}`);
      expect(r.stdout).toBe(`${i}\n`);
    }
    expect(t.stats).toEqual({ roundTrips: 50, channels: 1 });
  });

  it("turns Nagle's algorithm off on its TCP connection, as OpenSSH does: no small write waits for the host's delayed ACK", async () => {
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    try {
      const t = transport();
      expect((await t.exec('echo ok')).stdout).toBe('ok\n');
      const toHost = setNoDelay.mock.contexts.flatMap((socket, i) => (socket.remotePort === sshd.port ? [setNoDelay.mock.calls[i]?.[0]] : []));
      expect(toHost).toEqual([true]);
    } finally {
      setNoDelay.mockRestore();
    }
  });

  it.each([
    ['quotes, $() and backticks', `a'b"c $(echo no) \`echo no\` $HOME \\ `],
    ['newlines and non-ASCII', 'line1\nline2\n\u00e9\u4e2d\u{1f600}\n'],
    ['nothing', ''],
  ])('passes %s through stdin and arguments intact', async (_n, value) => {
    const t = transport();
    expect((await t.exec('cat', { stdin: value })).stdout).toBe(value);
    expect((await t.exec(sh`printf '%s' ${value}`)).stdout).toBe(value);
  });

  it('applies cwd and env, and recovers from a timeout with a new channel', async () => {
    const t = transport();
    expect((await t.exec('pwd; echo "$X"', { cwd: '/', env: { X: "it's" } })).stdout).toBe("/\nit's\n");
    await expect(t.exec('sleep 5', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CONVERGE_TIMEOUT' });
    expect((await t.exec('echo back')).stdout).toBe('back\n');
    expect(t.stats.channels).toBe(2);
  });
});

describe('become with sudo over its own long-lived channel', () => {
  const become = (password?: string) => ({ method: 'sudo' as const, user: 'root', ...(password === undefined ? {} : { password: secret(password) }) });

  it('reaches root with a password full of shell syntax, which never shows in a process list (C-17)', async () => {
    const t = transport({ user: USER });
    const r = await t.exec('id -un', { become: become(PASSWORD) });
    expect(r).toMatchObject({ stdout: 'root\n', exitCode: 0 });
    expect((await t.exec('id -un')).stdout).toBe(`${USER}\n`);
    // Both shells are open now: nothing of the password may be in any process's arguments.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).toContain('sudo -S -p');
    expect(ps).not.toContain('pwned');
    expect(ps).not.toContain(PASSWORD);
    expect(existsSync('/tmp/pwned')).toBe(false);
    expect(sshd.log()).not.toContain('pwned');
    for (let i = 0; i < 5; i++) expect((await t.exec('id -u', { become: become(PASSWORD) })).stdout).toBe('0\n');
    expect(t.stats.channels).toBe(2);
  });

  it('fails fast with CONVERGE_BECOME on a wrong password, without showing it', async () => {
    const t = transport({ user: USER });
    const wrong = `wrong;'"$(touch /tmp/pwned) pw`;
    const started = Date.now();
    const err = await t.exec('id -un', { become: become(wrong) }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'CONVERGE_BECOME' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(`${err?.message} ${JSON.stringify(err)}`).not.toContain(wrong);
    expect(existsSync('/tmp/pwned')).toBe(false);
    // The plain session still works.
    expect((await t.exec('id -un')).stdout).toBe(`${USER}\n`);
  });

  it('fails fast when sudo wants a password and none is configured', async () => {
    const t = transport({ user: USER });
    const started = Date.now();
    await expect(t.exec('id -un', { become: become() })).rejects.toMatchObject({ code: 'CONVERGE_BECOME' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each([
    ['a lecture before the prompt', 'Defaults:convergetest lecture=always'],
    ['a custom prompt that overrides converge\'s (passprompt_override)', 'Defaults:convergetest passprompt_override, passprompt="[sudo] Passwort für %p: "'],
  ])('never hangs on %s (C-18)', async (_n, extra) => {
    sudoers(extra);
    try {
      const t = transport({ user: USER });
      const started = Date.now();
      const r = await t.exec('id -un', { become: become(PASSWORD) });
      expect(r.stdout).toBe('root\n');
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(transport({ user: USER }).exec('id -un', { become: become('not it at all') })).rejects.toMatchObject({ code: 'CONVERGE_BECOME' });
    } finally {
      sudoers();
    }
  });

  it('uses the plain session when the become user is the login user', async () => {
    const t = transport();
    expect((await t.exec('id -un', { become: become() })).stdout).toBe('root\n');
    expect(t.stats.channels).toBe(1);
  });
});

describe('host keys are verified against known_hosts', () => {
  const ed = () => sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')!;
  const kh = (name: string, text: string) => {
    const f = join(sshd.dir, name);
    writeFileSync(f, text);
    return f;
  };
  const edFingerprint = () => fingerprint(join(sshd.dir, 'ssh_host_ed25519_key.pub'));

  it('refuses an unknown host key, naming the host and its SHA256 fingerprint', async () => {
    const t = transport({}, { knownHostsFile: kh('kh-empty', '') });
    const err = await t.connect().then(() => undefined, (e: Error & { hint?: string }) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_HOST_KEY' });
    expect(err?.message).toContain(`127.0.0.1:${sshd.port}`);
    expect(err?.message).toContain(edFingerprint());
    expect((err as { hint?: string }).hint).toContain('--accept-new-host-keys');
  });

  it('records an unknown key with acceptNewHostKeys, as OpenSSH writes it, then trusts it', async () => {
    const file = kh('kh-new', '');
    const accepted: string[] = [];
    const t = transport({}, { knownHostsFile: file, acceptNewHostKeys: true, onHostKeyAccepted: (h, fp) => accepted.push(`${h} ${fp}`) });
    await t.connect();
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ssh-ed25519 ${ed().key}\n`);
    expect(accepted).toEqual([`[127.0.0.1]:${sshd.port} ${edFingerprint()}`]);
    await transport({}, { knownHostsFile: file }).connect();
  });

  it('always refuses a changed key, showing both fingerprints', async () => {
    const other = join(sshd.dir, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ')[1];
    const file = kh('kh-changed', `[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherKey}\n`);
    const err = await transport({}, { knownHostsFile: file, acceptNewHostKeys: true }).connect().then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_HOST_KEY' });
    expect(err?.message).toContain('CHANGED');
    expect(err?.message).toContain(edFingerprint());
    expect(err?.message).toContain(fingerprint(`${other}.pub`));
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherKey}\n`);
  });

  it('accepts a hashed entry written by ssh-keygen -H', async () => {
    const file = kh('kh-hashed', readFileSync(sshd.knownHostsFile, 'utf8'));
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const t = transport({}, { knownHostsFile: file });
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
  });

  it('judges the host by the key type it has on record (only ecdsa known)', async () => {
    const ecdsa = sshd.hostKeys.find((k) => k.type.startsWith('ecdsa'))!;
    const file = kh('kh-ecdsa', `[127.0.0.1]:${sshd.port} ${ecdsa.type} ${ecdsa.key}\n`);
    expect((await transport({}, { knownHostsFile: file }).exec('echo ok')).stdout).toBe('ok\n');
  });

  it('refuses a key marked @revoked', async () => {
    const file = kh('kh-revoked', `@revoked * ssh-ed25519 ${ed().key}\n[127.0.0.1]:${sshd.port} ssh-ed25519 ${ed().key}\n`);
    const err = await transport({}, { knownHostsFile: file, acceptNewHostKeys: true }).connect().then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_HOST_KEY' });
    expect(err?.message).toContain('@revoked');
  });

  it('says clearly that @cert-authority is not supported', async () => {
    const file = kh('kh-ca', `@cert-authority [127.0.0.1]:${sshd.port} ssh-ed25519 ${ed().key}\n`);
    const err = await transport({}, { knownHostsFile: file }).connect().then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_HOST_KEY' });
    expect(err?.message).toContain('does not support host certificates');
  });
});

describe('jump hosts', () => {
  it('connects through a bastion (spec.jumpHost) with its own checks', async () => {
    const before = acceptedLogins();
    const t = transport({ jumpHost: `root@127.0.0.1:${sshd.port}` });
    expect((await t.exec('echo "$SSH_CONNECTION"')).stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
    expect(acceptedLogins() - before).toBe(2);
  });

  it('follows a ProxyJump chain a,b from ~/.ssh/config', async () => {
    const config = join(sshd.dir, 'ssh_config_jump');
    writeFileSync(
      config,
      `Host target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  ProxyJump 127.0.0.1:${sshd.port},root@127.0.0.1:${sshd.port}\nHost *\n  IdentityFile ${sshd.clientKeyFile}\n  User root\n`,
    );
    const before = acceptedLogins();
    const t = transport({ address: 'target', port: 22, privateKeyFile: undefined, user: undefined }, { sshConfigFile: config });
    expect((await t.exec('id -un')).stdout).toBe('root\n');
    expect(acceptedLogins() - before).toBe(3);
  });

  it('fails at once when the host behind a bastion closes the connection during the handshake', async () => {
    // A server that sends an SSH banner and closes: over the bastion's channel the close arrives
    // as an end of stream alone, which must not leave the connection waiting.
    const closer = createServer((c) => c.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    try {
      const port = (closer.address() as AddressInfo).port;
      const started = Date.now();
      const err = await transport({ port, jumpHost: `root@127.0.0.1:${sshd.port}`, connectTimeoutMs: 60_000 })
        .connect()
        .then(() => undefined, (e: Error) => e);
      expect(err).toMatchObject({ code: 'CONVERGE_CONNECT', message: expect.stringContaining('closed during the SSH handshake') });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      closer.close();
    }
  });

  it('refuses a bastion whose host key is unknown', async () => {
    const file = join(sshd.dir, 'kh-jump');
    writeFileSync(file, '');
    await expect(transport({ jumpHost: `root@127.0.0.1:${sshd.port}` }, { knownHostsFile: file }).connect()).rejects.toMatchObject({ code: 'CONVERGE_HOST_KEY' });
  });
});

describe('SFTP put and get', () => {
  const dir = () => join(sshd.dir, 'files');

  it('writes and reads bytes exactly, with the given mode', async () => {
    execFileSync('mkdir', ['-p', dir()]);
    const t = transport();
    const bytes = Buffer.from(Array.from({ length: 1_000_000 }, (_v, i) => (i * 7919) % 256));
    const path = join(dir(), 'blob.bin');
    await t.put(path, bytes, { mode: '0640' });
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mode & 0o7777).toBe(0o640);
    expect((await t.get(path)).equals(bytes)).toBe(true);
    // Replacing keeps the existing mode by default.
    await t.put(path, 'small');
    expect(readFileSync(path, 'utf8')).toBe('small');
    expect(statSync(path).mode & 0o7777).toBe(0o640);
  });

  it('replaces a file atomically: a reader sees the old or the new content, never a part', async () => {
    const t = transport();
    const path = join(dir(), 'atomic.txt');
    const a = Buffer.alloc(4_000_000, 'a');
    const b = Buffer.alloc(4_000_000, 'b');
    await t.put(path, a);
    let reads = 0;
    let done = false;
    const writer = (async () => {
      for (let i = 0; i < 3; i++) await t.put(path, i % 2 === 0 ? b : a);
      done = true;
    })();
    while (!done) {
      const seen = readFileSync(path);
      expect(seen.equals(a) || seen.equals(b)).toBe(true);
      reads += 1;
      await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(reads).toBeGreaterThan(1);
    expect(readdirSync(dir()).filter((f) => f.includes('converge'))).toEqual([]);
  });

  it('writes as root with become, owner and mode, and reads back with become', async () => {
    const t = transport({ user: USER });
    const become = { method: 'sudo' as const, user: 'root', password: secret(PASSWORD) };
    const path = '/root/converge-ssh-test.txt';
    try {
      await t.put(path, 'secret stuff\n', { become, mode: 0o600, owner: 'root', group: 'root' });
      expect(readFileSync(path, 'utf8')).toBe('secret stuff\n');
      expect(statSync(path).mode & 0o7777).toBe(0o600);
      expect((await t.get(path, { become })).toString()).toBe('secret stuff\n');
      await expect(t.get(path)).rejects.toMatchObject({ code: 'CONVERGE_TRANSPORT' });
      expect(readdirSync('/tmp').filter((f) => f.startsWith('.converge-put-'))).toEqual([]);
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('fails with CONVERGE_TRANSPORT naming the path when the directory is not writable', async () => {
    const t = transport({ user: USER });
    await expect(t.put('/root/nope.txt', 'x')).rejects.toMatchObject({ code: 'CONVERGE_TRANSPORT', message: expect.stringContaining('/root/nope.txt') });
  });
});

describe('connection and authentication failures', () => {
  it('gives CONVERGE_CONNECT quickly for a closed port, with the address and the system error', async () => {
    const started = Date.now();
    const err = await transport({ port: 1 }).connect().then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_CONNECT' });
    expect(err?.message).toContain('127.0.0.1:1');
    expect(err?.message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lists the methods tried when authentication fails, without the password', async () => {
    const wrongKey = join(sshd.dir, 'wrong_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const err = await transport({ user: USER, privateKeyFile: wrongKey, password: secret('not-the-password-xyz') })
      .connect()
      .then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: 'CONVERGE_AUTH' });
    expect(err?.message).toContain(`publickey ${wrongKey}`);
    expect(err?.message).toContain('password');
    expect(err?.message).not.toContain('not-the-password-xyz');
  });

  it('logs in with a password', async () => {
    const t = transport({ user: USER, privateKeyFile: undefined, password: secret(PASSWORD) });
    expect((await t.exec('id -un')).stdout).toBe(`${USER}\n`);
  });

  it('refuses a missing explicit key file with CONVERGE_AUTH', async () => {
    await expect(transport({ privateKeyFile: '/nonexistent/key' }).connect()).rejects.toMatchObject({ code: 'CONVERGE_AUTH' });
  });
});

describe('~/.ssh/config', () => {
  it('resolves HostName, Port, User and IdentityFile for the inventory address, inventory values winning', async () => {
    const config = join(sshd.dir, 'ssh_config_alias');
    writeFileSync(config, `Host db-alias\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${sshd.clientKeyFile}\n  ConnectTimeout 3\n`);
    const fromConfig = transport({ address: 'db-alias', port: 22, user: undefined, privateKeyFile: undefined }, { sshConfigFile: config });
    expect((await fromConfig.exec('id -un')).stdout).toBe('root\n');
    expect(fromConfig.loginUser).toBe('root');
    const inventoryUser = transport({ address: 'db-alias', port: 22, user: USER, privateKeyFile: undefined }, { sshConfigFile: config });
    expect((await inventoryUser.exec('id -un')).stdout).toBe(`${USER}\n`);
  });
});
