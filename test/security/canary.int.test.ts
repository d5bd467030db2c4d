import { execFile, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { encryptString } from '@converge/inventory';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHosts, type TestHosts } from '@converge/testing';
import { startVaultDouble, type VaultDouble } from './vault-double.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The canary test (field cases C-16, C-17): every secret-bearing input of a playbook holds a
// distinct canary; the real CLI binary runs it in every mode, and no canary may appear in
// stdout (pretty, -v, -vvv, --diff, JSON, JUnit), stderr, the event log (--log), the audit log,
// the audit records sent to syslog (--audit-syslog), `converge audit`, `converge report --html`, the state directory, or
// the process arguments (`ps -eo args`) of the controller or the target while the run goes on.
// A canary must still reach the host where it is used (the files hold the real values).

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const bin = join(root, 'packages/cli/bin/converge.js');
const playbook = join(fixtures, 'canary.playbook.ts');
const CANARIES = JSON.parse(readFileSync(join(fixtures, 'canaries.json'), 'utf8')) as Record<string, string>;
const run = promisify(execFile);

let hosts: TestHosts;
let host: string;
let work: string;
let n = 0;
let vaultServer: VaultDouble;
let vaultToken: string;
let syslog: Socket;
/** The audit records received over UDP syslog, all runs together. */
const syslogMessages: string[] = [];

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: root });
  hosts = await startHosts(1, { prefix: 'canary-' });
  host = hosts.hosts[0]!.name;
  work = await mkdtemp(join(tmpdir(), 'converge-canary-'));
  // HashiCorp Vault lookups go to the Vault test double (see vault-double.ts)
  vaultServer = await startVaultDouble();
  vaultServer.kv2('kv', 'canary', { password: CANARIES.vault });
  vaultToken = vaultServer.token(['kv/data/canary']);
  // every run also sends its audit records to a syslog receiver on loopback
  syslog = createSocket('udp4');
  syslog.on('message', (m) => syslogMessages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => syslog.bind(0, '127.0.0.1', resolve));
  // an ansible-vault encrypted inventory var (group_vars/all.yml), decrypted with a password file
  await mkdir(join(work, 'inv', 'group_vars'), { recursive: true });
  await copyFile(hosts.inventoryPath, join(work, 'inv', 'hosts'));
  await writeFile(join(work, 'vault-pass.txt'), `${CANARIES.vaultPassword}\n`, { mode: 0o600 });
  await writeFile(join(work, 'inv', 'group_vars', 'all.yml'), encryptString(CANARIES.vaultFile as string, { label: 'default', password: CANARIES.vaultPassword as string }, 'vaulted_token'));
  const setup = [
    'useradd -m -s /bin/bash deploy',
    'install -d -m 700 -o deploy -g deploy /home/deploy/.ssh',
    'install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys',
    "printf 'deploy ALL=(ALL:ALL) ALL\\n' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
    'install -d -m 700 /etc/canary',
  ].join(' && ');
  const r = await hosts.exec(host, setup);
  expect(r.exitCode, r.stderr).toBe(0);
  const pw = await hosts.exec(host, `printf 'deploy:%s\\n' '${CANARIES.become!.replace(/'/g, `'\\''`)}' | chpasswd`);
  expect(pw.exitCode, pw.stderr).toBe(0);
});
afterAll(async () => {
  await hosts?.stop();
  await vaultServer?.stop();
  syslog?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  texts: Record<string, string>;
}

/** Runs the CLI binary, sampling `ps -eo args` on the controller and the target while it runs. */
async function converge(args: string[], using: { playbook: string; dir: string } = { playbook, dir: '' }): Promise<Outcome> {
  n += 1;
  const base = join(work, using.dir);
  const log = join(work, `events-${n}.jsonl`);
  const audit = join(base, 'audit.jsonl');
  const stateDir = join(base, 'state');
  const argv = [bin, '-i', join(base, 'inv'), '--vault-password-file', join(base, 'vault-pass.txt'), using.playbook, '--known-hosts', hosts.knownHostsPath, '-e', 'ansible_user=deploy', '--state-dir', stateDir, '--log', log, '--audit-log', audit, '--audit-syslog', `udp://127.0.0.1:${syslog.address().port}`, ...args];
  const child = spawn(process.execPath, argv, { cwd: work, env: { ...process.env, NO_COLOR: '1', VAULT_ADDR: vaultServer.address, VAULT_TOKEN: vaultToken } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let done = false;
  void exited.then(() => (done = true));
  let psController = '';
  let psTarget = '';
  let samples = 0;
  while (!done) {
    const [c, t] = await Promise.all([run('ps', ['-eo', 'args'], { maxBuffer: 1 << 24 }).then((r) => r.stdout), hosts.exec(host, 'ps -eo args').then((r) => r.stdout)]);
    psController += c;
    psTarget += t;
    samples += 1;
  }
  const code = await exited;
  const texts: Record<string, string> = { stdout, stderr, psController, psTarget, syslog: syslogMessages.join('\n') };
  for (const f of [log, audit, join(work, 'inv', 'group_vars', 'all.yml')]) if (existsSync(f)) texts[f] = readFileSync(f, 'utf8');
  for (const f of walk(stateDir)) texts[f] = readFileSync(f, 'utf8');
  for (const f of walk(join(fixtures, '.converge'))) texts[f] = readFileSync(f, 'utf8');
  expect(samples, 'ps was sampled while the run went on').toBeGreaterThan(0);
  return { code, texts };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A canary, without its final newline, and each line of a multi-line canary that holds the canary's mark. */
function canaryTexts(canary: string): string[] {
  return [...new Set([canary, canary.trim(), ...canary.split('\n').filter((l) => l.includes('CANARY'))])];
}

function expectNoCanary(o: Outcome): void {
  for (const [where, text] of Object.entries(o.texts)) {
    for (const [name, canary] of Object.entries(CANARIES)) {
      for (const c of canaryTexts(canary)) expect(text.includes(c), `canary "${name}" (${JSON.stringify(c)}) leaked into ${where}:\n${text}`).toBe(false);
    }
  }
}

describe('secrets never leak (canary)', () => {
  it('apply with --diff -v: the canaries reach the host and appear nowhere else', async () => {
    const o = await converge(['--diff', '-v']);
    expect(o.code, o.texts.stderr).toBe(0);
    expect(o.texts.stdout).toMatch(/changed/);
    // the secrets were in play and shown masked (the detector looks at real output)
    expect(o.texts.stdout).toContain('********');
    expect(Object.entries(o.texts).find(([k]) => k.includes('events-'))?.[1]).toContain('********');
    expectNoCanary(o);
    const files = await hosts.exec(host, 'cat /etc/canary/secret.txt /etc/canary/app.env /etc/canary/app.conf /etc/canary/stderr.txt');
    expect(files.stdout).toContain(CANARIES.copyContent);
    expect(files.stdout).toContain(`API_TOKEN=${CANARIES.playVar}`);
    expect(files.stdout).toContain(CANARIES.lineText);
    expect(files.stdout).toContain(`password = ${CANARIES.templateVar}`);
    expect(files.stdout).toContain(`postgres://app:${CANARIES.templateVar}@db`);
    expect(files.stdout).toContain(`vault = ${CANARIES.vault}`);
    expect(files.stdout).toContain(`vaulted = ${CANARIES.vaultFile}`);
    expect((await hosts.exec(host, 'cat /etc/canary/vault.txt')).stdout).toBe(CANARIES.vault);
  });

  it('check mode with diff, after the secrets changed on the host', async () => {
    await hosts.exec(host, 'rm -f /etc/canary/app.env; echo stale > /etc/canary/app.conf; echo old > /etc/canary/secret.txt');
    const o = await converge(['--check', '--diff', '-v']);
    expect(o.code, o.texts.stderr).toBe(0);
    expect(o.texts.stdout).toMatch(/changed/);
    expectNoCanary(o);
  });

  for (const output of ['json', 'junit'] as const) {
    it(`--output ${output} --diff (apply)`, async () => {
      await hosts.exec(host, 'echo old > /etc/canary/secret.txt; echo stale > /etc/canary/app.conf');
      const o = await converge(['--diff', '--output', output]);
      expect(o.code, o.texts.stderr).toBe(0);
      expect(o.texts.stdout).toContain(output === 'json' ? '"summary"' : '<testsuites');
      expectNoCanary(o);
    });
  }

  for (const output of ['pretty', 'json', 'junit'] as const) {
    it(`a failing shell whose stdout and stderr echo a secret (--output ${output} -v)`, async () => {
      const o = await converge(['-e', 'scenario=fail', '--diff', '-v', '--output', output]);
      expect(o.code).toBe(2);
      expectNoCanary(o);
    });
  }

  it('a params error whose value holds a secret interpolated into a larger string', async () => {
    const o = await converge(['-e', 'scenario=params-error']);
    expect(o.code).toBe(4);
    expect(o.texts.stderr).toMatch(/CONVERGE_PARAMS/);
    expectNoCanary(o);
  });

  it('a template error in a template that uses a secret', async () => {
    const o = await converge(['-e', 'scenario=template-error', '-v']);
    expect(o.code).toBe(4);
    expect(o.texts.stderr).toMatch(/CONVERGE_TEMPLATE|template/);
    expectNoCanary(o);
  });

  it('the audit log lists every run above, and `converge audit` shows them without a canary', async () => {
    const audit = join(work, 'audit.jsonl');
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: string });
    const ends = lines.filter((l) => l.type === 'run-end').map((l) => l.result);
    expect(ends).toEqual(['ok', 'ok', 'ok', 'ok', 'failed', 'failed', 'failed', 'error', 'error']);
    const listed = await run(process.execPath, [bin, 'audit', '--audit-log', audit, '-v']);
    expect(listed.stdout.trim().split('\n').filter((l) => /^\d{4}-/.test(l))).toHaveLength(9);
    const failed = await run(process.execPath, [bin, 'audit', '--audit-log', audit, '--failed', '--json']);
    expect(failed.stdout.trim().split('\n')).toHaveLength(5);
    // the params and template errors stopped before any host: they are not runs "on" the host
    const onHost = await run(process.execPath, [bin, 'audit', '--audit-log', audit, '--failed', '--host', host]);
    expect(onHost.stdout.trim().split('\n')).toHaveLength(3);
    expectNoCanary({ code: 0, texts: { list: listed.stdout + listed.stderr, failed: failed.stdout } });
    // the HTML report of every run above, from the audit log
    const page = join(work, 'runs.html');
    const report = await run(process.execPath, [bin, 'report', '--audit-log', audit, '--since', '2000-01-01T00:00:00Z', '--html', page]);
    expect(readFileSync(page, 'utf8')).toContain('<html');
    expectNoCanary({ code: 0, texts: { report: report.stdout + report.stderr, html: readFileSync(page, 'utf8') } });
    // syslog received the same records, masked as in the file
    const received = syslogMessages.join('\n');
    expect(received.split('"type":"run-end"').length - 1).toBeGreaterThanOrEqual(9);
    expect(received).toContain('********');
    expectNoCanary({ code: 0, texts: { syslog: received } });
  });

  it('a wrong become password fails the host without showing either password', async () => {
    const o = await converge(['-e', `ansible_become_password=${'x'.repeat(12)}`, '--output', 'json']);
    expect(o.code).toBe(2);
    expectNoCanary(o);
  });
});

describe('secrets a diff could show line by line or by a former value (canary)', () => {
  // The host holds a former key, a former password and a block line the new block removes: none
  // of them is known to converge, and none may appear; the new secrets may not either.
  const seed = async () => {
    const files: Record<string, string> = {
      '/etc/canary/tls.pem': `# TLS key, rendered by converge\n${CANARIES.formerKey}`,
      '/etc/canary/rotate.conf': `[sst]\nsst_auth = app:${CANARIES.formerPassword}\nport = 4444\n`,
      '/etc/canary/block.conf': `keep = 1\n# BEGIN ANSIBLE MANAGED BLOCK\napi_key = ${CANARIES.playVar}\nlegacy_token = ${CANARIES.removedLine}\n# END ANSIBLE MANAGED BLOCK\n`,
      '/etc/canary/newline.txt': 'old\n',
    };
    const script = Object.entries(files).map(([path, text]) => `printf '%s' '${Buffer.from(text).toString('base64')}' | base64 -d > ${path}`).join(' && ');
    const r = await hosts.exec(host, script);
    expect(r.exitCode, r.stderr).toBe(0);
  };

  for (const [what, args] of [
    ['--check --diff (pretty)', ['--check', '--diff']],
    ['--diff -v (pretty)', ['--diff', '-v']],
    ['--diff -vvv (pretty)', ['--diff', '-vvv']],
    ['--output json --diff -v', ['--diff', '-v', '--output', 'json']],
    ['--output junit --diff -v', ['--diff', '-v', '--output', 'junit']],
  ] as const) {
    it(`${what}: no line of a multi-line secret, no former value, no removed secret line, no secret ending in a newline`, async () => {
      await seed();
      const o = await converge([...args]);
      expect(o.code, o.texts.stderr).toBe(0);
      expectNoCanary(o);
      // the diffs are there, masked line by line rather than hidden
      expect(o.texts.stdout).toContain('sst_auth = app:********');
      expect(o.texts.stdout).toContain('port = 4444');
      expect(o.texts.stdout).toContain('# TLS key, rendered by converge');
    });
  }

  it('the host got the new secrets', async () => {
    const r = await hosts.exec(host, 'cat /etc/canary/tls.pem /etc/canary/rotate.conf /etc/canary/block.conf /etc/canary/newline.txt');
    expect(r.stdout).toContain(CANARIES.tlsKey);
    expect(r.stdout).toContain(`sst_auth = app:${CANARIES.templateVar}`);
    expect(r.stdout).not.toContain(CANARIES.removedLine);
    expect(r.stdout).toContain(CANARIES.newline);
  });
});

describe('a secret that is a common word (canary)', () => {
  // The vaulted var `dbpw` is the word `changed`, and so is the vault password: masking applies
  // to data, never to converge's own statuses, keys or words.
  const using = { playbook: join(fixtures, 'common-word.playbook.ts'), dir: 'word' };
  beforeAll(async () => {
    const dir = join(work, 'word');
    await mkdir(join(dir, 'inv', 'group_vars'), { recursive: true });
    await copyFile(hosts.inventoryPath, join(dir, 'inv', 'hosts'));
    await writeFile(join(dir, 'vault-pass.txt'), 'changed\n', { mode: 0o600 });
    await writeFile(join(dir, 'inv', 'group_vars', 'all.yml'), encryptString('changed', { label: 'default', password: 'changed' }, 'dbpw'));
    await hosts.exec(host, 'rm -f /etc/canary/word.txt');
  });

  it('--check --fail-on-change --output json: the pending change is counted and exits 6', async () => {
    const o = await converge(['--check', '--fail-on-change', '--output', 'json'], using);
    expect(o.code, o.texts.stderr).toBe(6);
    const report = JSON.parse(o.texts.stdout) as { summary: Record<string, { changed: number }>; tasks: { task: string; status: string; result?: { stdout?: string } }[] };
    expect(report.summary[host]?.changed).toBe(1);
    expect(report.tasks.map((t) => t.status)).toEqual(['changed', 'skipped']);
    const audit = readFileSync(join(work, 'word', 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"status":"changed"');
    expect(audit).toContain('"result":"changes-pending"');
  });

  it('pretty -v apply: the statuses and the recap stay, the word is masked where it is data', async () => {
    const o = await converge(['-v', '--diff'], using);
    expect(o.code, `${o.texts.stdout}\n${o.texts.stderr}`).toBe(0);
    expect(o.texts.stdout).toMatch(/^changed +\S+ +copy/m);
    expect(o.texts.stdout).toMatch(/changed=1 /);
    expect(o.texts.stdout).toContain('stdout: ********');
    expect(o.texts.stdout).not.toContain('is not a function');
    expect((await hosts.exec(host, 'cat /etc/canary/word.txt')).stdout).toBe('changed');
    const events = o.texts[Object.keys(o.texts).find((k) => k.includes('events-')) as string] as string;
    expect(events).toContain('"type":"task-result"');
    expect(events).toContain('"status":"changed"');
  });

  it('--output junit --diff: the counts and the frame stay, the word is masked in the diff', async () => {
    await hosts.exec(host, 'rm -f /etc/canary/word.txt');
    const o = await converge(['--diff', '--output', 'junit'], using);
    expect(o.code, o.texts.stderr).toBe(0);
    expect(o.texts.stdout).toMatch(/<testsuite name="[^"]+" tests="2" failures="0" errors="0" skipped="0">/);
    expect(o.texts.stdout).toContain('<system-out>--- ');
    expect(o.texts.stdout).toContain('+********');
    expect(o.texts.stdout).not.toContain('<failure');
    expect((await hosts.exec(host, 'cat /etc/canary/word.txt')).stdout).toBe('changed');
  });
});

