import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdPath, startSshd } from '../../ssh/test/sshd.js';
import type { TestSshd } from '../../ssh/test/sshd.js';
import { cli } from './cli-harness.js';

// ansible-playbook's connection and privilege flags with Ansible's meaning (they set what the
// inventory does not), against a real OpenSSH server on loopback; and every flag of
// `ansible-playbook --help` (ansible-core 2.14) is either a converge flag or refused with why,
// and listed in docs/coming-from-ansible.md.

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'coming-from-ansible.md'), 'utf8');
const bin = join(import.meta.dirname, '..', 'bin', 'converge.js');
const noSshd = !sshdPath();
const USER = 'convergecli';
const PASSWORD = `cli'pw "$(touch /tmp/cli-pwned)"`;

let sshd: TestSshd;
let dir: string;
let silent: Server;
let silentPort = 0;
const silentSockets: Socket[] = [];

/** An inventory of one host on the test sshd with only `vars` set (as `key=value`). */
function inventory(vars: string): string {
  const file = join(dir, `inv-${Math.random().toString(36).slice(2)}.ini`);
  writeFileSync(file, `h1 ansible_host=127.0.0.1 ${vars}\n`);
  return file;
}

/** The `whoami` result of a JSON run: `USER ssh` or `USER local`. */
function whoami(stdout: string): string {
  const report = JSON.parse(stdout) as { tasks: { result?: { stdout?: string }; message?: string }[] };
  return report.tasks[0]?.result?.stdout ?? `no result: ${report.tasks[0]?.message ?? stdout}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'converge-cli-flags-'));
  // Only this file's runs: no ~/.ssh of the machine, no ansible.cfg.
  process.env.HOME = dir;
  silent = createServer((socket) => silentSockets.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
  if (noSshd) return;
  sshd = await startSshd();
  execFileSync('useradd', ['-m', '-s', '/bin/bash', USER]);
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  silent?.close();
  try {
    execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch {
    /* not made */
  }
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(noSshd)("ansible-playbook's connection and become flags, with Ansible's meaning", () => {
  const base = () => ['--known-hosts', sshd.knownHostsFile, fixture('whoami.ts'), '--output', 'json'];

  it('-u, --private-key and --ssh-extra-args set the user, key and port the inventory leaves out; the inventory wins', async () => {
    const bare = inventory('');
    const r = await cli(['-i', bare, '-u', 'root', '--private-key', sshd.clientKeyFile, '--ssh-extra-args', `-o Port=${sshd.port}`, ...base()]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(whoami(r.stdout)).toBe('root ssh');
    // ansible_user in the inventory beats -u (as in Ansible: variables over command-line options).
    const inv = inventory(`ansible_user=root ansible_port=${sshd.port}`);
    const wins = await cli(['-i', inv, '-u', 'nosuchuser', '--key-file', sshd.clientKeyFile, ...base()]);
    expect(whoami(wins.stdout)).toBe('root ssh');
  });

  it('-b with --become-user and --become-method (sudo, su)', async () => {
    const inv = inventory(`ansible_user=root ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.clientKeyFile}`);
    // sudo and su reset the environment (no SSH_CONNECTION): only the user is compared.
    const user = async (args: string[]) => whoami((await cli(['-i', inv, ...args, ...base()])).stdout).split(' ')[0];
    expect(await user(['-b', '--become-user', 'nobody'])).toBe('nobody');
    expect(await user(['--become', '--become-method', 'su', '--become-user', 'daemon'])).toBe('daemon');
    // Without -b, --become-user alone changes nothing, as in Ansible.
    expect(await user(['--become-user', 'nobody'])).toBe('root');
    const bad = await cli(['-i', inv, '-b', '--become-method', 'doas', ...base()]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('--become-method doas is not supported: converge becomes another user with sudo or su');
  });

  it('--connection-password-file (and -k on a terminal) log in with a password, never shown', async () => {
    const inv = inventory(`ansible_user=${USER} ansible_port=${sshd.port}`);
    writeFileSync(join(dir, 'conn-pw'), `${PASSWORD}\n`, { mode: 0o600 });
    const r = await cli(['-i', inv, '--conn-pass-file', join(dir, 'conn-pw'), ...base()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(whoami(r.stdout)).toBe(`${USER} ssh`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    // -k asks on the terminal (script(1) gives the command one).
    const cmd = [process.execPath, bin, '-i', inv, '-k', ...base()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      const before = out;
      out += d.toString('utf8');
      if (!before.includes('SSH password:') && out.includes('SSH password:')) child.stdin.write(`${PASSWORD}\r`);
    });
    expect(await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))).toBe(0);
    expect(out).toContain(`"stdout": "${USER} ssh"`);
    expect(out).not.toContain(PASSWORD);
  });

  it('-c local runs where the inventory names no connection; ansible_connection wins', async () => {
    const inv = inventory(`ansible_user=root ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.clientKeyFile}`);
    expect(whoami((await cli(['-i', inv, '-c', 'local', ...base()])).stdout)).toBe('root local');
    expect(whoami((await cli(['-i', inventory(`ansible_connection=ssh ansible_user=root ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.clientKeyFile}`), '-c', 'local', ...base()])).stdout)).toBe('root ssh');
    expect((await cli(['-i', inv, '-c', 'winrm', ...base()])).stderr).toContain('--connection winrm is not supported');
  });

  it('-T sets the connect timeout in seconds', async () => {
    const r = await cli(['-i', inventory(`ansible_port=${silentPort}`), '-T', '1', ...base()]);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).unreachable.h1.message).toMatch(/no SSH handshake and authentication within 1000 ms/);
    expect((await cli(['-i', inventory(''), '-T', 'soon', ...base()])).code).toBe(5);
  });

  it('--ssh-common-args: ssh options converge does not implement are refused before any host is contacted, naming the flag', async () => {
    const r = await cli(['-i', inventory(`ansible_port=${sshd.port}`), '--ssh-common-args', '-o LocalForward=8080:localhost:80', ...base()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--ssh-common-args (-o LocalForward=8080:localhost:80): ssh option "LocalForward 8080:localhost:80" is not supported: converge forwards no ports');
  });
});

/**
 * Every ansible-playbook 2.14 flag, with arguments that make it valid, and what converge does:
 * `ok` (a converge flag), or the message of its refusal. The prompting flags (`-k`, `-K`,
 * `--ask-vault-password`) are run elsewhere; here they are listed.
 */
const FLAGS: [string, string[], 'ok' | 'prompt' | RegExp][] = [
  ['-h', [], 'ok'],
  ['--help', [], 'ok'],
  ['--version', [], 'ok'],
  ['-v', [], 'ok'],
  ['--verbose', [], 'ok'],
  ['--private-key', ['/nonexistent/key'], 'ok'],
  ['--key-file', ['/nonexistent/key'], 'ok'],
  ['-u', ['deploy'], 'ok'],
  ['--user', ['deploy'], 'ok'],
  ['-c', ['ssh'], 'ok'],
  ['--connection', ['smart'], 'ok'],
  ['-T', ['5'], 'ok'],
  ['--timeout', ['5'], 'ok'],
  ['--ssh-common-args', ['-o ServerAliveInterval=5'], 'ok'],
  ['--ssh-extra-args', ['-o ServerAliveCountMax=2'], 'ok'],
  ['--sftp-extra-args', ['-l 100'], /--sftp-extra-args is not supported: converge copies files over its own SSH connection/],
  ['--scp-extra-args', ['-l 100'], /--scp-extra-args is not supported: converge copies files over its own SSH connection/],
  ['-k', [], 'prompt'],
  ['--ask-pass', [], 'prompt'],
  ['--connection-password-file', ['/dev/null'], 'ok'],
  ['--conn-pass-file', ['/dev/null'], 'ok'],
  ['--force-handlers', [], 'ok'],
  ['--flush-cache', [], /--flush-cache is not supported: converge keeps no fact cache/],
  ['-b', [], 'ok'],
  ['--become', [], 'ok'],
  ['--become-method', ['su'], 'ok'],
  ['--become-user', ['postgres'], 'ok'],
  ['-K', [], 'prompt'],
  ['--ask-become-pass', [], 'prompt'],
  ['--become-password-file', ['/dev/null'], 'ok'],
  ['--become-pass-file', ['/dev/null'], 'ok'],
  ['-t', ['web'], 'ok'],
  ['--tags', ['web'], 'ok'],
  ['--skip-tags', ['db'], 'ok'],
  ['-C', [], 'ok'],
  ['--check', [], 'ok'],
  ['-D', [], 'ok'],
  ['--diff', [], 'ok'],
  ['-i', ['INVENTORY'], 'ok'],
  ['--inventory', ['INVENTORY'], 'ok'],
  ['--inventory-file', ['INVENTORY'], 'ok'],
  ['--list-hosts', [], 'ok'],
  ['-l', ['h1'], 'ok'],
  ['--limit', ['h1'], 'ok'],
  ['-e', ['x=1'], 'ok'],
  ['--extra-vars', ['x=1'], 'ok'],
  ['--vault-id', ['dev@VAULTPW'], 'ok'],
  ['--ask-vault-password', [], 'prompt'],
  ['--ask-vault-pass', [], 'prompt'],
  ['--vault-password-file', ['VAULTPW'], 'ok'],
  ['--vault-pass-file', ['VAULTPW'], 'ok'],
  ['-f', ['3'], 'ok'],
  ['--forks', ['3'], 'ok'],
  ['-M', ['/usr/share/ansible/plugins/modules'], /--module-path is not supported: converge modules are TypeScript imports/],
  ['--module-path', ['/usr/share/ansible/plugins/modules'], /--module-path is not supported/],
  ['--syntax-check', [], /--syntax-check is not supported: use converge validate -i INVENTORY PLAYBOOK.ts/],
  ['--list-tasks', [], 'ok'],
  ['--list-tags', [], 'ok'],
  ['--step', [], /--step is not supported/],
  ['--start-at-task', ['whoami'], 'ok'],
];

describe('every ansible-playbook flag has a converge form or is refused with why', () => {
  it.each(FLAGS.filter(([, , want]) => want !== 'prompt'))('%s', async (flag, args, want) => {
    const inv = inventory('ansible_connection=local');
    const vaultPw = join(dir, 'vault-pw');
    writeFileSync(vaultPw, 'vault\n');
    const fill = (a: string) => a.replace('INVENTORY', inv).replace('VAULTPW', vaultPw);
    const extra = flag === '-i' || flag === '--inventory' || flag === '--inventory-file' ? [] : ['-i', inv];
    const r = await cli([...extra, flag, ...args.map(fill), fixture('whoami.ts'), '--list-hosts']);
    if (want === 'ok') {
      expect(r.code, r.stderr).toBe(0);
    } else {
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(want);
    }
    expect(r.stderr).not.toMatch(/unknown option/);
  });

  it('docs/coming-from-ansible.md lists every flag', () => {
    for (const [flag] of FLAGS) expect(docs, flag).toContain(`\`${flag}`);
  });

  it.skipIf(!ansibleHelp())('the list above is every flag of ansible-playbook --help', () => {
    const help = ansibleHelp() as string;
    // The usage lines, and the left column of each option line (its descriptions name other tools' flags).
    const usage = help.slice(0, help.indexOf('\n\n'));
    const columns = help.split('\n').flatMap((l) => /^ {2}(-\S.*?)(?: {2,}|$)/.exec(l)?.[1] ?? []);
    const flags = new Set([...[usage, ...columns].join('\n').matchAll(/(?<![\w-])(-{1,2}[A-Za-z][\w-]*)/g)].map((m) => m[1] as string));
    expect([...flags].filter((f) => !FLAGS.some(([g]) => g === f)).sort()).toEqual([]);
  });
});

function ansibleHelp(): string | undefined {
  try {
    return execFileSync('ansible-playbook', ['--help'], { encoding: 'utf8', env: { ...process.env, ANSIBLE_CONFIG: '/nonexistent', HOME: tmpdir() } });
  } catch {
    return undefined;
  }
}
