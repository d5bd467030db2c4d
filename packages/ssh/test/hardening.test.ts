import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionSpec } from '@converge/engine';
import { isConvergeError } from '@converge/core';
import type { ConnectionSpec } from '@converge/core';
import { DEFAULT_ALGORITHMS, HostKeyPins, SshTransport, applyAlgorithmSetting, interpretSshDirectives, parseSshArgs, sshHostOptions } from '@converge/ssh';
import type { SshOptions } from '@converge/ssh';
import { startAgent, startSshd, sshdPath } from './sshd.js';
import type { StartSshdOptions, TestAgent, TestSshd } from './sshd.js';

// Every test here talks to a real OpenSSH server started on loopback (Debian's openssh-server).
const noSshd = !sshdPath();
if (noSshd) console.log('hardening.test.ts: skipped, sshd is not installed (apt-get install -y openssh-server)');

const servers: TestSshd[] = [];
const open: SshTransport[] = [];

async function server(options: StartSshdOptions = {}): Promise<TestSshd> {
  const s = await startSshd(options);
  servers.push(s);
  return s;
}

/** A transport to `s` as root with its client key, the inventory vars given turned into a spec as the engine does. */
function transport(s: TestSshd, vars: Record<string, unknown> = {}, o: SshOptions = {}): SshTransport {
  const spec: ConnectionSpec = {
    ...connectionSpec('test-host', { ansible_host: '127.0.0.1', ansible_port: s.port, ansible_user: 'root', ansible_ssh_private_key_file: s.clientKeyFile, ...vars }),
  };
  const t = new SshTransport(spec, { knownHostsFile: s.knownHostsFile, sshConfigFile: join(s.dir, 'no-such-config'), agent: '', ...o });
  open.push(t);
  return t;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string }> {
  try {
    await p;
  } catch (e) {
    if (!isConvergeError(e)) throw e;
    return { code: e.code, message: e.message, hint: e.hint ?? '' };
  }
  throw new Error('expected a failure');
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe.skipIf(noSshd)('a host key that changes during the run is refused', () => {
  it('refuses a reconnect that meets another key, even when known_hosts lists both', async () => {
    const s = await server({ hostKeyTypes: ['ed25519'] });
    const t = transport(s);
    expect((await t.exec('echo first')).stdout).toBe('first\n');
    const rotated = await s.rotateHostKeys();
    // known_hosts now trusts the old and the new key: only the pin can tell them apart.
    appendFileSync(s.knownHostsFile, rotated.map((k) => `[127.0.0.1]:${s.port} ${k.type} ${k.key}\n`).join(''));
    // End the connection from the server side: the next command reconnects.
    await t.exec('kill -TERM $PPID').catch(() => undefined);
    const f = await failure(t.exec('echo second'));
    expect(f.code).toBe('CONVERGE_HOST_KEY');
    expect(f.message).toMatch(/CHANGED during this run/);
    expect(f.message).toMatch(/SHA256:/);
    // A new run (new pins) trusts known_hosts again.
    const fresh = transport(s);
    expect((await fresh.exec('echo again')).stdout).toBe('again\n');
  });

  it('pins per run across transports: a second connection to the same host with another key is refused', async () => {
    const s = await server({ hostKeyTypes: ['ed25519'] });
    const pins = new HostKeyPins();
    const a = transport(s, {}, { hostKeyPins: pins });
    await a.connect();
    expect(pins.size).toBe(1);
    const rotated = await s.rotateHostKeys();
    appendFileSync(s.knownHostsFile, rotated.map((k) => `[127.0.0.1]:${s.port} ${k.type} ${k.key}\n`).join(''));
    const b = transport(s, {}, { hostKeyPins: pins });
    const f = await failure(b.connect());
    expect(f.code).toBe('CONVERGE_HOST_KEY');
    expect(f.message).toMatch(/CHANGED during this run/);
  });
});

describe.skipIf(noSshd)('only modern algorithms are offered by default', () => {
  it('the default lists hold no SHA-1, CBC, MD5 or DSA algorithm', () => {
    const all = Object.values(DEFAULT_ALGORITHMS).flat().join(' ');
    expect(all).not.toMatch(/sha1|cbc|md5|ssh-dss|3des|\bssh-rsa\b/);
    expect(DEFAULT_ALGORITHMS.kex[0]).toBe('curve25519-sha256');
    expect(DEFAULT_ALGORITHMS.cipher).toContain('chacha20-poly1305@openssh.com');
  });

  it('reads ssh_config syntax: +append, -remove, ^first, replace; refuses unknown names', () => {
    expect(applyAlgorithmSetting('serverHostKey', ['a'], '+ssh-rsa', 'x')).toEqual(['a', 'ssh-rsa']);
    expect(applyAlgorithmSetting('cipher', DEFAULT_ALGORITHMS.cipher, '-aes128-ctr,aes192-ctr', 'x')).not.toContain('aes192-ctr');
    expect(applyAlgorithmSetting('hmac', ['hmac-sha2-256'], '^hmac-sha2-512', 'x')).toEqual(['hmac-sha2-512', 'hmac-sha2-256']);
    expect(applyAlgorithmSetting('kex', DEFAULT_ALGORITHMS.kex, ['curve25519-sha256'], 'x')).toEqual(['curve25519-sha256']);
    expect(() => applyAlgorithmSetting('cipher', [], 'rot13', 'host h: converge_ssh_ciphers')).toThrow(/host h: converge_ssh_ciphers: Ciphers "rot13" is not an algorithm/);
  });

  const weak: { what: string; config: StartSshdOptions; vars: Record<string, unknown>; keyword: RegExp }[] = [
    { what: 'only ssh-rsa (SHA-1) host key signatures', config: { hostKeyTypes: ['rsa'], extraConfig: 'HostKeyAlgorithms ssh-rsa' }, vars: { converge_ssh_host_key_algorithms: '+ssh-rsa' }, keyword: /HostKeyAlgorithms/ },
    { what: 'only CBC ciphers', config: { extraConfig: 'Ciphers aes128-cbc,aes256-cbc' }, vars: { converge_ssh_ciphers: '+aes128-cbc' }, keyword: /Ciphers/ },
    { what: 'only SHA-1 key exchange', config: { extraConfig: 'KexAlgorithms diffie-hellman-group14-sha1' }, vars: { ansible_ssh_common_args: '-o KexAlgorithms=+diffie-hellman-group14-sha1' }, keyword: /KexAlgorithms/ },
    { what: 'only SHA-1 MACs', config: { extraConfig: 'Ciphers aes128-ctr\nMACs hmac-sha1' }, vars: { converge_ssh_macs: ['hmac-sha2-256', 'hmac-sha1'] }, keyword: /MACs/ },
  ];
  for (const w of weak) {
    it(`refuses a server offering ${w.what}, naming the offer and the per-host escape, which then works`, async () => {
      const s = await server(w.config);
      const f = await failure(transport(s).connect());
      expect(f.code).toBe('CONVERGE_CONNECT');
      expect(f.message).toMatch(w.keyword);
      expect(f.message).toMatch(/no common .* algorithm: the server offers/);
      expect(f.hint).toMatch(/refused by default as weak/);
      expect(f.hint).toMatch(/converge_ssh_/);
      const ok = transport(s, w.vars);
      expect((await ok.exec('echo legacy')).stdout).toBe('legacy\n');
    });
  }

  it('connects to a stock OpenSSH server with the defaults', async () => {
    const s = await server();
    expect((await transport(s).exec('echo modern')).stdout).toBe('modern\n');
    expect(s.log()).not.toMatch(/no matching/);
  });
});

describe.skipIf(noSshd)('agent forwarding is off unless the host asks for it', () => {
  let agent: TestAgent | undefined;
  let sock = '';

  beforeAll(async () => {
    agent = await startAgent();
    sock = agent.sock;
  });

  afterAll(() => {
    agent?.stop();
  });

  it('forwards only with converge_ssh_forward_agent: true', async () => {
    const s = await server({ allowAgentForwarding: true });
    agent?.add(s.clientKeyFile);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${s.clientKeyFile}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
    const probe = 'if [ -n "$SSH_AUTH_SOCK" ]; then ssh-add -l; else echo no-agent; fi';

    const plain = transport(s, {}, { agent: sock });
    expect((await plain.exec(probe)).stdout).toBe('no-agent\n');
    const off = transport(s, { converge_ssh_forward_agent: 'no' }, { agent: sock });
    expect((await off.exec(probe)).stdout).toBe('no-agent\n');

    const on = transport(s, { converge_ssh_forward_agent: true }, { agent: sock });
    const r = await on.exec(probe);
    expect(r.stdout).toContain(fingerprint);
  });

  it('refuses forwarding without an agent, and a non-boolean value, before connecting', async () => {
    const s = await server();
    const f = await failure(transport(s, { converge_ssh_forward_agent: true }, { agent: '' }).connect());
    expect(f.code).toBe('CONVERGE_OPTIONS');
    expect(f.message).toMatch(/no ssh-agent socket/);
    expect(() => sshHostOptions({ host: 'h', options: { forward_agent: 'sometimes' } })).toThrow(/host h: converge_ssh_forward_agent must be true or false/);
  });
});

describe.skipIf(noSshd)('timeouts and keepalives', () => {
  let silent: Server;
  let silentPort = 0;
  const silentSockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a host whose sshd hangs.
    silent = createServer((socket) => silentSockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });

  afterAll(() => {
    for (const socket of silentSockets) socket.destroy();
    silent.close();
  });

  it('gives up connecting after ansible_ssh_timeout seconds', async () => {
    const spec = connectionSpec('mute', { ansible_host: '127.0.0.1', ansible_port: silentPort, ansible_ssh_timeout: 1 });
    expect(spec.connectTimeoutMs).toBe(1000);
    const t = new SshTransport(spec, { sshConfigFile: '/nonexistent', agent: '' });
    open.push(t);
    const started = Date.now();
    const f = await failure(t.connect());
    expect(f.code).toBe('CONVERGE_CONNECT');
    expect(f.message).toMatch(/no SSH handshake and authentication within 1000 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills a command after converge_ssh_command_timeout seconds, then runs the next one', async () => {
    const s = await server();
    const t = transport(s, { converge_ssh_command_timeout: 1 });
    const started = Date.now();
    const f = await failure(t.exec('sleep 30'));
    expect(f.code).toBe('CONVERGE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await t.exec('echo next')).stdout).toBe('next\n');
    // ExecOptions.timeoutMs still wins for one command.
    expect((await t.exec('sleep 1.5; echo slow', { timeoutMs: 5000 })).stdout).toBe('slow\n');
  });

  it('ends a connection whose server stops answering keepalives, and says so', async () => {
    const s = await server();
    const t = transport(s, { converge_ssh_server_alive_interval: 0.5, converge_ssh_server_alive_count_max: 2 });
    const pid = (await t.exec('echo $PPID')).stdout.trim();
    // Freeze the server process of this connection: TCP stays up, nothing answers.
    process.kill(Number(pid), 'SIGSTOP');
    try {
      const started = Date.now();
      const f = await failure(t.exec('echo never'));
      expect(f.code).toBe('CONVERGE_TRANSPORT');
      expect(f.message).toMatch(/did not answer 2 keepalives sent every 500 ms/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      process.kill(Number(pid), 'SIGKILL');
    }
  });

  it('reads keepalive and algorithm settings from -o options in ansible_ssh_common_args', () => {
    const spec = connectionSpec('h', { ansible_ssh_common_args: '-o ServerAliveInterval=7 -o ServerAliveCountMax=4 -o ForwardAgent=yes -o Ciphers=+aes128-cbc' });
    const [args] = spec.options.sshArgs as { from: string; text: string }[];
    const directives = parseSshArgs(args?.text ?? '', { where: 'ansible_ssh_common_args', code: 'CONVERGE_INVENTORY' }).directives;
    expect(interpretSshDirectives(directives, 'h')).toMatchObject({ forwardAgent: true, algorithms: { cipher: '+aes128-cbc' }, serverAliveIntervalMs: 7000, serverAliveCountMax: 4 });
    expect(() => sshHostOptions({ host: 'h', options: { server_alive_count_max: 'lots' } })).toThrow(/host h: converge_ssh_server_alive_count_max must be a whole number/);
  });
});
