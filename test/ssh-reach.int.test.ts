import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type TestAgent } from '../packages/ssh/test/sshd.js';
import { ansibleEnv, findAnsible } from './ansible/oracle.js';

// Reaching hosts the way OpenSSH and ansible-playbook do: a bastion on two Docker networks, the
// targets only on an internal one that the controller cannot reach. The real converge binary
// (and, where cheap, ansible-playbook 2.14 and OpenSSH's ssh) against them: ProxyCommand, -F
// and ProxyJump, a dead target behind a live bastion, a refused sudo password, requiretty,
// IdentitiesOnly, an encrypted key asked for once on a terminal, the live line and each host's
// time, unknown host keys, host key checking off, a host key that changes during the run, and
// the exit codes.

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/fixtures/ssh-reach');
const bin = join(root, 'packages/cli/bin/converge.js');
const run = promisify(execFile);
const ansiblePlaybook = findAnsible('ansible-playbook');
const PASSWORD = `d3ploy;'"$(touch /tmp/reach-pwned) pw`;
const PASSPHRASE = 'open sesame, reach';
const TIMEOUT_S = 5;

let hosts: TestHosts;
let work: string;
let home: string;
let bastion: { name: string; address: string };
let target: { name: string; address: string };
let dead: { name: string; address: string };
let lockedKey: string;
let wrongKey: string;
let agent: TestAgent | undefined;
let agentSock: string;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the converge binary in the work directory, with an empty HOME (no ~/.ssh of the machine). */
async function converge(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Out> {
  const t0 = Date.now();
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '', ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '', ms: Date.now() - t0 };
  }
}

/** The ProxyCommand through the bastion, with OpenSSH's client (its own key and known_hosts). */
const proxyCommand = () => `ssh -W %h:%p -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=${hosts.knownHostsPath} -i ${hosts.privateKeyPath} root@${bastion.address}`;

/**
 * A YAML inventory: the bastion (managed directly too), the target and a dead target, both only
 * reachable through the bastion with `reach` (ssh arguments of ansible_ssh_common_args).
 */
function inventory(name: string, o: { reach?: string; key?: string | null; bastionKey?: string | null; targetUser?: string } = {}): string {
  const key = o.key === undefined ? hosts.privateKeyPath : o.key;
  const bastionKey = o.bastionKey === undefined ? hosts.privateKeyPath : o.bastionKey;
  const reach = o.reach ?? `-o ProxyCommand="${proxyCommand()}" -o UserKnownHostsFile=${hosts.knownHostsPath}`;
  const doc = {
    all: {
      hosts: {
        bastion: { ansible_host: bastion.address, ansible_user: 'root', ansible_ssh_common_args: `-o UserKnownHostsFile=${hosts.knownHostsPath}`, ...(bastionKey ? { ansible_ssh_private_key_file: bastionKey } : {}) },
        target: { ansible_host: target.address, ansible_user: o.targetUser ?? 'deploy', ansible_ssh_common_args: reach, ...(key ? { ansible_ssh_private_key_file: key } : {}) },
        dead: { ansible_host: dead.address, ansible_user: 'root', ansible_ssh_common_args: reach, ansible_ssh_private_key_file: hosts.privateKeyPath },
      },
    },
  };
  const file = join(work, `${name}.yml`);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

/** Lines of the target's journal since `since` (epoch seconds) that match `pattern`. */
async function journal(host: string, since: number, pattern: string): Promise<string[]> {
  const r = await hosts.exec(host, `journalctl -q --no-pager --since @${since} | grep -F ${JSON.stringify(pattern)} || true`);
  return r.stdout.split('\n').filter(Boolean);
}

const changedTasks = (json: string) =>
  (JSON.parse(json) as { tasks: { host: string; task: string; status: string }[] }).tasks
    .filter((t) => t.status === 'changed')
    .map((t) => `${t.host}\t${t.task}`)
    .sort();

beforeAll(async () => {
  hosts = await startHosts(3, {
    prefix: 'reach-',
    networks: [
      { name: 'public', hosts: ['reach-1'] },
      { name: 'private', internal: true, hosts: ['reach-1', 'reach-2', 'reach-3'] },
    ],
    capabilities: { 'reach-3': ['NET_ADMIN'] },
  });
  const [b, t, d] = hosts.hosts as [(typeof hosts.hosts)[0], (typeof hosts.hosts)[0], (typeof hosts.hosts)[0]];
  bastion = { name: b.name, address: b.address };
  target = { name: t.name, address: t.address };
  dead = { name: d.name, address: d.address };
  work = mkdtempSync(join(tmpdir(), 'converge-reach-'));
  home = join(work, 'home');
  execFileSync('mkdir', ['-p', home]);
  lockedKey = join(work, 'locked');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'reach-locked', '-f', lockedKey]);
  wrongKey = join(work, 'wrong');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'reach-wrong', '-f', wrongKey]);
  const pubs = `${readFileSync(`${hosts.privateKeyPath}.pub`, 'utf8').trim()}\n${readFileSync(`${lockedKey}.pub`, 'utf8').trim()}\n`;
  const setup = [
    'useradd -m -s /bin/bash deploy',
    'useradd -m -s /bin/bash app',
    'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
    `printf '%s' '${pubs}' > /home/deploy/.ssh/authorized_keys && chown deploy:deploy /home/deploy/.ssh/authorized_keys && chmod 600 /home/deploy/.ssh/authorized_keys`,
    `printf '%s' '${pubs}' >> /root/.ssh/authorized_keys`,
    "printf 'deploy ALL=(ALL:ALL) ALL\\nDefaults:deploy requiretty\\n' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
  ].join(' && ');
  for (const h of [bastion.name, target.name]) {
    const r = await hosts.exec(h, setup);
    expect(r.exitCode, r.stderr).toBe(0);
  }
  const pw = await hosts.exec(target.name, `printf 'deploy:%s\\n' '${PASSWORD.replace(/'/g, `'\\''`)}' | chpasswd`);
  expect(pw.exitCode, pw.stderr).toBe(0);
  // The dead target: it gets the bastion's SYNs and its answers go nowhere, so the bastion's
  // connect hangs (as to a host whose firewall drops packets).
  const hole = await hosts.exec(dead.name, `ip route add blackhole ${b.networks.private}/32`);
  expect(hole.exitCode, hole.stderr).toBe(0);
  writeFileSync(join(work, 'become-pw'), `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(work, 'wrong-pw'), 'not the password\n', { mode: 0o600 });
  writeFileSync(join(work, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
  agent = await startAgent();
  agentSock = agent.sock;
  agent.add(hosts.privateKeyPath);
});

afterAll(async () => {
  agent?.stop();
  await hosts?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the lab', () => {
  it('reaches the targets only through the bastion: the controller has no route to them', async () => {
    const direct = await new Promise<string>((resolve) => {
      const s = connect(22, target.address);
      s.on('connect', () => resolve('connected'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(direct);
    const viaBastion = await hosts.exec(bastion.name, `timeout 5 bash -c '</dev/tcp/${target.address}/22' && echo open`);
    expect(viaBastion.stdout).toBe('open\n');
  });
});

describe('converging through a bastion (ProxyCommand, -F and ProxyJump) with sudo and requiretty', () => {
  it('ProxyCommand from ansible_ssh_common_args: check predicts the run, the second run changes nothing', async () => {
    const inv = inventory('proxycommand');
    const args = ['-i', inv, join(fixtures, 'site.ts'), '--limit', 'target', '--become-password-file', 'become-pw', '-T', String(TIMEOUT_S), '--output', 'json'];
    const check = await converge([...args, '--check']);
    expect(check.code, check.stderr).toBe(0);
    const first = await converge(args);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(changedTasks(check.stdout)).toEqual(changedTasks(first.stdout));
    expect(changedTasks(first.stdout)).toHaveLength(3);
    const second = await converge(args);
    expect(second.code).toBe(0);
    expect(changedTasks(second.stdout)).toEqual([]);
    const files = await hosts.exec(target.name, 'stat -c "%U %a" /srv/reach/motd /home/app/notes; test ! -e /tmp/reach-pwned && echo clean');
    expect(files.stdout).toBe('root 644\napp 644\nclean\n');
    for (const out of [check, first, second]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });

  it('-F FILE with ProxyJump: the config reaches both the bastion and the target', async () => {
    const config = join(work, 'ssh_config');
    writeFileSync(config, `Host bastion-host\n  HostName ${bastion.address}\n  User root\nHost *\n  IdentityFile ${hosts.privateKeyPath}\n  UserKnownHostsFile ${hosts.knownHostsPath}\n`);
    const inv = inventory('jump', { reach: `-F ${config} -o ProxyJump=bastion-host` });
    const r = await converge(['-i', inv, join(fixtures, 'site.ts'), '--limit', 'target', '--become-password-file', 'become-pw', '--output', 'json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(changedTasks(r.stdout)).toEqual([]);
  });

  it('as ansible-playbook: a dead target behind the live bastion is unreachable within the connect timeout, exit code 4, the jump host named', async () => {
    const config = join(work, 'ssh_config');
    const inv = inventory('jump', { reach: `-F ${config} -o ProxyJump=bastion-host` });
    const r = await converge(['-i', inv, join(fixtures, 'site.ts'), '--limit', 'target,dead', '--become-password-file', 'become-pw', '-T', String(TIMEOUT_S), '--output', 'json']);
    expect(r.code).toBe(4);
    // A bound only a hang breaks (the bastion's own TCP timeout is over two minutes).
    expect(r.ms).toBeLessThan(3 * TIMEOUT_S * 1000);
    const report = JSON.parse(r.stdout) as { unreachable: Record<string, { message: string; code: string }>; summary: Record<string, { unreachable: number; failed: number }> };
    expect(report.unreachable.dead).toMatchObject({
      code: 'CONVERGE_CONNECT',
      message: `cannot reach ${dead.address}:22 through jump host root@${bastion.address}:22: the jump host did not open a connection to it within ${TIMEOUT_S * 1000} ms`,
    });
    expect(report.summary.target).toMatchObject({ unreachable: 0, failed: 0 });
  });

  it.skipIf(!ansiblePlaybook)('ansible-playbook on the same inventory: requiretty works, the dead target is unreachable, exit code 4 for both tools', async () => {
    const inv = inventory('proxycommand');
    const args = ['-i', inv, '--limit', 'target,dead', '-T', String(TIMEOUT_S), '--become-password-file', join(work, 'become-pw')];
    const env = { ...ansibleEnv(), HOME: home };
    const ansible = await run(ansiblePlaybook as string, [...args, join(fixtures, 'site.yml')], { cwd: work, env }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '' }),
    );
    expect(ansible.code, ansible.stdout).toBe(4);
    expect(ansible.stdout).toMatch(/target\s+: ok=1 .*unreachable=0\s+failed=0/);
    expect(ansible.stdout).toMatch(/dead\s+: ok=0 .*unreachable=1/);
    const ours = await converge([...args, join(fixtures, 'site.ts')]);
    expect(ours.code).toBe(4);
    expect(ours.stdout).toMatch(/unreachable\s+dead\s+root@\S+ through ProxyCommand/);
    expect(ours.stdout).toMatch(/target\s+ok=3 changed=0 unreachable=0 failed=0/);
  });

  it('a wrong sudo password costs one authentication failure per host and run, whatever the number of become sessions', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = await converge(['-i', inventory('proxycommand'), join(fixtures, 'site.ts'), '--limit', 'target', '--become-password-file', 'wrong-pw', '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/password was refused/);
    expect(r.stdout).not.toContain('not the password');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await journal(target.name, since, 'pam_unix(sudo:auth): authentication failure')).toHaveLength(1);
  });

  it('IdentitiesOnly yes offers only the identity file, as OpenSSH: the agent key is not used', async () => {
    const loose = await converge(['-i', inventory('agent', { key: wrongKey }), join(fixtures, 'site.ts'), '--limit', 'target', '--become-password-file', 'become-pw', '--output', 'json'], { SSH_AUTH_SOCK: agentSock });
    expect(loose.code, loose.stdout).toBe(0);
    const reach = `-o ProxyCommand="${proxyCommand()}" -o UserKnownHostsFile=${hosts.knownHostsPath} -o IdentitiesOnly=yes`;
    const strict = await converge(['-i', inventory('identities-only', { key: wrongKey, reach }), join(fixtures, 'site.ts'), '--limit', 'target', '--become-password-file', 'become-pw', '--output', 'json'], { SSH_AUTH_SOCK: agentSock });
    expect(strict.code).toBe(4);
    expect(JSON.parse(strict.stdout).unreachable.target).toMatchObject({ code: 'CONVERGE_AUTH', message: expect.stringContaining('IdentitiesOnly yes') });
    const ssh = await run('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${hosts.knownHostsPath}`, '-o', `ProxyCommand=${proxyCommand()}`, '-o', 'IdentitiesOnly=yes', '-i', wrongKey, `deploy@${target.address}`, 'true'], {
      env: { ...process.env, HOME: home, SSH_AUTH_SOCK: agentSock },
    }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(ssh).toBe(255);
  });
});

describe('on a terminal: a key passphrase asked once, the live line, each host its own time', () => {
  it('asks for the passphrase of the encrypted key once for two hosts, names the running task, and times each host', async () => {
    const inv = inventory('locked', { key: null, bastionKey: null, targetUser: 'root' });
    const cmd = [process.execPath, bin, '-i', inv, join(fixtures, 'progress.ts'), '--private-key', lockedKey, '-e', `stamp=${Date.now()}`, '--limit', 'bastion,target']
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: work, env: { ...process.env, HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '', COLUMNS: '200' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let answered = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const prompts = out.split('Enter passphrase for key').length - 1;
      if (prompts > answered) {
        answered = prompts;
        child.stdin.write(`${PASSPHRASE}\r`);
      }
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, out).toBe(0);
    expect(out.split(`Enter passphrase for key '${lockedKey}'`).length - 1).toBe(1);
    expect(out).not.toContain(PASSPHRASE);
    // The live line during the sleep names it, not the copy that started the same round trip.
    expect(out).toMatch(/running\s+target\s+sleep 3/);
    const time = (host: string) => Number(new RegExp(`\\n${host}\\s+ok=.*\\(\\d+ round trips, ([\\d.]+) s\\)`).exec(out)?.[1]);
    expect(time('target') - time('bastion')).toBeGreaterThanOrEqual(2.5);
  });
});

describe('host keys', () => {
  it('unknown host keys: each host says why, and the hint names --accept-new-host-keys and ssh-keyscan once', async () => {
    const empty = join(work, 'known_hosts_empty');
    writeFileSync(empty, '');
    const r = await converge(['-i', inventory('proxycommand'), join(fixtures, 'site.ts'), '--limit', 'bastion,target', '--known-hosts', empty, '--become-password-file', 'become-pw']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`unreachable\\s+bastion\\s+${bastion.address.replace(/\./g, '\\.')}:22: unknown host key`));
    expect(r.stdout).toMatch(new RegExp(`unreachable\\s+target\\s+${target.address.replace(/\./g, '\\.')}:22 \\(through ProxyCommand [^)]*\\): unknown host key`));
    const hints = r.stdout.split('\n').filter((l) => l.includes('hint:'));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(/--accept-new-host-keys.*ssh-keyscan/);
  });

  it('ANSIBLE_HOST_KEY_CHECKING=False is honoured with a warning (once) and an audit record per host; the keys are recorded', async () => {
    const kh = join(work, 'known_hosts_new');
    writeFileSync(kh, '');
    const audit = join(work, 'audit.jsonl');
    const r = await converge(['-i', inventory('proxycommand'), join(fixtures, 'site.ts'), '--limit', 'bastion,target', '--known-hosts', kh, '--become-password-file', 'become-pw', '--audit-log', audit], { ANSIBLE_HOST_KEY_CHECKING: 'False' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr.split('host key checking is off (ANSIBLE_HOST_KEY_CHECKING=False)').length - 1).toBe(1);
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; host?: string; source?: string });
    expect(records.filter((x) => x.type === 'host-key-checking-off').map((x) => `${x.host} ${x.source}`).sort()).toEqual(['bastion ANSIBLE_HOST_KEY_CHECKING=False', 'target ANSIBLE_HOST_KEY_CHECKING=False']);
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('a host key that changes during the run makes the host unreachable (exit 4), not a failed task retried by until', async () => {
    const inv = inventory('rotate', { targetUser: 'root' });
    const r = await converge(['-i', inv, join(fixtures, 'hostkey-change.ts'), '--limit', 'target', '--output', 'json', '--log', join(work, 'rotate-events.jsonl')]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const report = JSON.parse(r.stdout) as { unreachable: Record<string, { code: string; message: string }>; tasks: { task: string; status: string; attempts?: number }[] };
    expect(report.unreachable.target).toMatchObject({ code: 'CONVERGE_HOST_KEY', message: expect.stringContaining('CHANGED during this run') });
    expect(report.tasks.filter((t) => t.task === 'wait for it').map((t) => `${t.status} ${t.attempts}`)).toEqual(['unreachable 2']);
    const retries = readFileSync(join(work, 'rotate-events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"task-retry"'));
    expect(retries).toHaveLength(1);
  });
});
