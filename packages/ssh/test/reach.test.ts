import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isConvergeError, secret } from '@converge/core';
import { connectionSpec } from '@converge/engine';
import { KeyPassphrases, SshTransport } from '@converge/ssh';
import type { SshOptions } from '@converge/ssh';
import { sshdPath, startAgent, startSshd } from './sshd.js';
import type { TestAgent, TestSshd } from './sshd.js';

// Reaching a host as OpenSSH does: ProxyCommand, -F, IdentitiesOnly, encrypted keys, timeouts
// of a jump host's channel, sudo's requiretty, a refused become password, host key checking
// settings. A real OpenSSH server on loopback (Debian's openssh-server) and, where the
// comparison is cheap, the OpenSSH client itself.

const noSshd = !sshdPath();
if (noSshd) console.log('reach.test.ts: skipped, sshd is not installed (apt-get install -y openssh-server)');
const run = promisify(execFile);

const USER = 'convergereach';
const PASSWORD = `r;e'a"c h $(touch /tmp/reach-pwned)`;
const SUDOERS = '/etc/sudoers.d/converge-reach-test';
let sshd: TestSshd;
const open: SshTransport[] = [];

function transport(vars: Record<string, unknown> = {}, o: SshOptions = {}): SshTransport {
  const spec = connectionSpec('test-host', { ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: 'root', ansible_ssh_private_key_file: sshd.clientKeyFile, ...vars });
  const t = new SshTransport(spec, { knownHostsFile: sshd.knownHostsFile, sshConfigFile: join(sshd.dir, 'no-such-config'), agent: '', ...o });
  open.push(t);
  return t;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string; detail: string }> {
  try {
    await p;
  } catch (e) {
    if (!isConvergeError(e)) throw e;
    return { code: e.code, message: e.message, hint: e.hint ?? '', detail: e.detail ?? '' };
  }
  throw new Error('expected a failure');
}

/** OpenSSH's own client with the test server's key and known_hosts: exit code and stderr. */
async function openssh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-F', '/dev/null', '-p', String(sshd.port)];
  try {
    const r = await run('ssh', [...base, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

const logins = () => sshd.log().split('\n').filter((l) => l.includes('Accepted publickey for')).length;
const keygen = (file: string, passphrase = '') => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'reach-test', '-f', file], { stdio: 'ignore' });
const authorize = (pubFile: string) => appendFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(pubFile));

function sudoers(extra = ''): void {
  const file = `${SUDOERS}.tmp`;
  writeFileSync(file, `${USER} ALL=(ALL:ALL) ALL\nDefaults:${USER} timestamp_timeout=0\n${extra}\n`, { mode: 0o440 });
  execFileSync('visudo', ['-c', '-q', '-f', file]);
  execFileSync('mv', ['-f', file, SUDOERS]);
}

beforeAll(async () => {
  if (noSshd) return;
  sshd = await startSshd();
  execFileSync('useradd', ['-m', '-s', '/bin/bash', USER]);
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  sudoers();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  rmSync(SUDOERS, { force: true });
  try {
    execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  await sshd?.stop();
});

describe.skipIf(noSshd)('ProxyCommand and -F, as OpenSSH', () => {
  const proxy = () => `ssh -W %h:%p -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=${sshd.knownHostsFile} -i ${sshd.clientKeyFile} -p ${sshd.port} root@127.0.0.1`;

  it('speaks SSH over the stdio of a ProxyCommand from ansible_ssh_common_args (%h %p expanded), as ssh does', async () => {
    const before = logins();
    const t = transport({ ansible_ssh_common_args: `-o ProxyCommand="${proxy()}"` });
    expect((await t.exec('echo "$SSH_CONNECTION"')).stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
    // One login for the bastion (OpenSSH's ssh -W), one for the target (converge).
    expect(logins() - before).toBe(2);
    const ssh = await openssh(['-i', sshd.clientKeyFile, '-o', `ProxyCommand=${proxy()}`, 'root@127.0.0.1', 'echo via-openssh']);
    expect(ssh).toMatchObject({ code: 0, stdout: 'via-openssh\n' });
  });

  it('reads the ssh config given with -F (HostName, User, IdentityFile, ProxyCommand)', async () => {
    const config = join(sshd.dir, 'reach_config');
    writeFileSync(config, `Host target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${sshd.clientKeyFile}\n  ProxyCommand ${proxy()}\n`);
    const spec = connectionSpec('target', { ansible_ssh_common_args: `-F ${config}` });
    const t = new SshTransport(spec, { knownHostsFile: sshd.knownHostsFile, agent: '' });
    open.push(t);
    expect((await t.exec('id -un')).stdout).toBe('root\n');
  });

  it('says why a ProxyCommand failed, with its stderr and exit status', async () => {
    const f = await failure(transport({ ansible_ssh_common_args: `-o 'ProxyCommand=sh -c "echo no route to %h >&2; exit 3"'` }).connect());
    expect(f.code).toBe('CONVERGE_CONNECT');
    expect(f.message).toMatch(/through ProxyCommand/);
    expect(f.detail).toContain('no route to 127.0.0.1');
    expect(f.detail).toContain('exit 3');
  });

  it('refuses an ssh option it does not implement before connecting, naming it and the var', async () => {
    const before = logins();
    expect(() => transport({ ansible_ssh_extra_args: '-o LocalForward=8080:localhost:80' })).toThrow(/ansible_ssh_extra_args of host test-host.*LocalForward 8080:localhost:80.*not supported/);
    expect(logins()).toBe(before);
  });
});

describe.skipIf(noSshd)('keys: IdentitiesOnly and encrypted keys', () => {
  let agent: TestAgent;
  let sock = '';
  let keyDir = '';
  let wrongKey = '';
  let lockedKey = '';
  const LOCKED = 'open sesame';

  beforeAll(async () => {
    agent = await startAgent();
    sock = agent.sock;
    agent.add(sshd.clientKeyFile);
    keyDir = mkdtempSync(join(tmpdir(), 'converge-reach-keys-'));
    wrongKey = join(keyDir, 'wrong');
    keygen(wrongKey);
    lockedKey = join(keyDir, 'locked');
    keygen(lockedKey, LOCKED);
    authorize(`${lockedKey}.pub`);
  });

  afterAll(() => {
    agent?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('offers the agent only the identity file keys with IdentitiesOnly yes, as OpenSSH', async () => {
    // The wrong key as IdentityFile, the right one only in the agent.
    const loose = transport({ ansible_ssh_private_key_file: wrongKey }, { agent: sock });
    expect((await loose.exec('echo in')).stdout).toBe('in\n');
    const strict = await failure(transport({ ansible_ssh_private_key_file: wrongKey, ansible_ssh_common_args: '-o IdentitiesOnly=yes' }, { agent: sock }).connect());
    expect(strict.code).toBe('CONVERGE_AUTH');
    expect(strict.message).toMatch(/IdentitiesOnly yes/);
    expect((await openssh(['-i', wrongKey, 'root@127.0.0.1', 'true'], { SSH_AUTH_SOCK: sock })).code).toBe(0);
    expect((await openssh(['-o', 'IdentitiesOnly=yes', '-i', wrongKey, 'root@127.0.0.1', 'true'], { SSH_AUTH_SOCK: sock })).code).toBe(255);
  });

  it('signs with the agent when it holds the identity file key, without asking for a passphrase', async () => {
    agent.add(lockedKey, LOCKED);
    try {
      const passphrases = new KeyPassphrases({ ask: () => Promise.reject(new Error('must not ask')) });
      const t = transport({ ansible_ssh_private_key_file: lockedKey, ansible_ssh_common_args: '-o IdentitiesOnly=yes' }, { agent: sock, passphrases });
      expect((await t.exec('echo agent')).stdout).toBe('agent\n');
      expect(passphrases.asked).toBe(0);
    } finally {
      agent.remove(`${lockedKey}.pub`);
    }
  });

  it('skips an encrypted key it cannot unlock, naming the ways to give its passphrase', async () => {
    const f = await failure(transport({ ansible_ssh_private_key_file: lockedKey }).connect());
    expect(f.code).toBe('CONVERGE_AUTH');
    expect(f.message).toContain(`${lockedKey} (encrypted: no terminal to ask on; give its passphrase with --private-key-passphrase-file or converge_ssh_private_key_passphrase`);
  });

  it('unlocks an encrypted key with the run passphrase or the host var (a Secret)', async () => {
    const fromFile = transport({ ansible_ssh_private_key_file: lockedKey }, { passphrases: new KeyPassphrases({ passphrase: secret(LOCKED) }) });
    expect((await fromFile.exec('echo file')).stdout).toBe('file\n');
    const fromVar = transport({ ansible_ssh_private_key_file: lockedKey, converge_ssh_private_key_passphrase: secret(LOCKED) });
    expect((await fromVar.exec('echo var')).stdout).toBe('var\n');
  });

  it('asks for a passphrase once per key and run, whatever the number of hosts, and gives up after 3 wrong answers', async () => {
    const answers: string[] = [];
    const passphrases = new KeyPassphrases({
      ask: async (prompt) => {
        answers.push(prompt);
        return LOCKED;
      },
    });
    const hosts = [1, 2, 3].map(() => transport({ ansible_ssh_private_key_file: lockedKey }, { passphrases }));
    const out = await Promise.all(hosts.map((t) => t.exec('echo asked')));
    expect(out.map((r) => r.stdout)).toEqual(['asked\n', 'asked\n', 'asked\n']);
    expect(answers).toEqual([`Enter passphrase for key '${lockedKey}': `]);

    const wrong = new KeyPassphrases({ ask: async () => 'not it' });
    const f = await failure(transport({ ansible_ssh_private_key_file: lockedKey }, { passphrases: wrong }).connect());
    expect(f.message).toMatch(/no passphrase given on the terminal decrypts it/);
    expect(wrong.asked).toBe(3);
  });
});

describe.skipIf(noSshd)('every step of reaching a host is under the connect timeout', () => {
  let listener: ChildProcess | undefined;
  let port = 0;
  const held: Socket[] = [];

  beforeAll(async () => {
    // A port whose accept queue is full: the kernel drops new SYNs, so a connect to it hangs
    // like one to a host that drops packets (the jump host's TCP timeout is minutes).
    port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    listener = spawn('/usr/bin/python3', ['-c', `import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',${port}))\ns.listen(0)\nprint('ready',flush=True)\ntime.sleep(600)`], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => listener?.stdout?.once('data', r));
    for (let i = 0; i < 3; i++) held.push(connect(port, '127.0.0.1').on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(() => {
    for (const s of held) s.destroy();
    listener?.kill('SIGKILL');
  });

  it('gives up on a dead target behind a live jump host within the connect timeout, naming the jump host (ssh -J: the same)', async () => {
    const started = Date.now();
    const f = await failure(transport({ ansible_port: port, converge_jump_host: `root@127.0.0.1:${sshd.port}`, ansible_timeout: 2 }).connect());
    const took = Date.now() - started;
    expect(f.code).toBe('CONVERGE_CONNECT');
    expect(f.message).toBe(`cannot reach 127.0.0.1:${port} through jump host root@127.0.0.1:${sshd.port}: the jump host did not open a connection to it within 2000 ms`);
    // A bound only a hang breaks: 3 times the connect timeout.
    expect(took).toBeLessThan(6000);
    const t0 = Date.now();
    const ssh = await openssh(['-i', sshd.clientKeyFile, '-o', 'ConnectTimeout=2', '-J', `root@127.0.0.1:${sshd.port}`, '-o', `ProxyCommand=none`, `root@127.0.0.1`, '-p', String(port), 'true']);
    expect(ssh.code).toBe(255);
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});

describe.skipIf(noSshd)('become: requiretty and a refused password', () => {
  const become = (password: string, user = 'root') => ({ method: 'sudo' as const, user, password: secret(password) });

  it('requests a pseudo-terminal when sudoers says requiretty, keeps the password off the echo, and frames output as before', async () => {
    sudoers(`Defaults:${USER} requiretty`);
    try {
      const t = transport({ ansible_user: USER, ansible_ssh_private_key_file: sshd.clientKeyFile });
      const r = await t.exec('id -un; echo err >&2; exit 4', { become: become(PASSWORD) });
      expect(r).toMatchObject({ stdout: 'root\n', stderr: 'err\n', exitCode: 4 });
      const text = `quotes ' " $(no) \\ \n\u00e9\u4e2d\n${'x'.repeat(70_000)}\n`;
      expect((await t.exec('cat', { become: become(PASSWORD), stdin: text })).stdout).toBe(text);
      for (let i = 0; i < 3; i++) expect((await t.exec('echo $((1+1))', { become: become(PASSWORD) })).stdout).toBe('2\n');
      expect(JSON.stringify(r)).not.toContain(PASSWORD);
      expect(existsSync('/tmp/reach-pwned')).toBe(false);
      // Told not to use a terminal, it fails and says why.
      const f = await failure(transport({ ansible_user: USER, ansible_ssh_use_tty: false }).exec('id', { become: become(PASSWORD) }));
      expect(f.code).toBe('CONVERGE_BECOME');
      expect(f.message).toMatch(/sudo needs a terminal \(requiretty in sudoers\)/);
    } finally {
      sudoers();
    }
  });

  it('does not send a refused password to the host again in the run, for another become user either', async () => {
    const t = transport({ ansible_user: USER });
    const first = await failure(t.exec('id -un', { become: become('wrong-one') }));
    expect(first.message).toMatch(/password was refused/);
    const channels = t.stats.channels;
    const again = await failure(t.exec('id -un', { become: become('wrong-one', 'nobody') }));
    expect(again.code).toBe('CONVERGE_BECOME');
    expect(again.message).toMatch(/not tried: the host refused this password earlier in the run/);
    expect(t.stats.channels).toBe(channels);
    // Another password is tried.
    expect((await t.exec('id -un', { become: become(PASSWORD, 'nobody') })).stdout).toBe('nobody\n');
  });
});

describe.skipIf(noSshd)('host key checking settings', () => {
  it('records an unknown key when ansible_host_key_checking is false, says so once, and still refuses a changed key', async () => {
    const kh = join(sshd.dir, 'kh-relaxed');
    writeFileSync(kh, '');
    const relaxed: string[] = [];
    const t = transport({ ansible_host_key_checking: false }, { knownHostsFile: kh, onHostKeyCheckingRelaxed: (h, where) => relaxed.push(`${h}: ${where}`) });
    await t.connect();
    expect(relaxed).toEqual(['test-host: ansible_host_key_checking of host test-host']);
    expect(readFileSync(kh, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519`);
    const other = join(sshd.dir, 'other-host-key');
    keygen(other);
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${readFileSync(`${other}.pub`, 'utf8').split(' ')[1]}\n`);
    expect((await failure(transport({ ansible_ssh_common_args: '-o StrictHostKeyChecking=no' }, { knownHostsFile: kh }).connect())).message).toMatch(/CHANGED/);
  });

  it('the run-wide setting (ANSIBLE_HOST_KEY_CHECKING) applies unless the host says otherwise', async () => {
    const kh = join(sshd.dir, 'kh-env');
    writeFileSync(kh, '');
    const hostKeyChecking = { enabled: false, source: 'ANSIBLE_HOST_KEY_CHECKING=False' };
    const strict = await failure(transport({ ansible_host_key_checking: true }, { knownHostsFile: kh, hostKeyChecking }).connect());
    expect(strict.code).toBe('CONVERGE_HOST_KEY');
    expect(strict.hint).toMatch(/--accept-new-host-keys.*ssh-keyscan/);
    const relaxed: string[] = [];
    await transport({}, { knownHostsFile: kh, hostKeyChecking, onHostKeyCheckingRelaxed: (_h, where) => relaxed.push(where) }).connect();
    expect(relaxed).toEqual(['ANSIBLE_HOST_KEY_CHECKING=False']);
  });
});
