import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const execFileAsync = promisify(execFile);
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);


let dir: string;
let inv: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-cli-'));
  inv = join(dir, 'hosts.ini');
  writeFileSync(inv, `[local]\nlocal1 ansible_connection=local\n\n[local:vars]\ntarget_dir=${dir}\n`);
});

describe('converge (command line)', () => {
  it('prints its version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reads --become-password-file before touching a host, and refuses a missing or empty file', async () => {
    const missing = await cli(['-i', inv, '--become-password-file', join(dir, 'nope'), fixture('local-files.ts')]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/--become-password-file: cannot read .*nope/);
    writeFileSync(join(dir, 'empty'), '\n');
    expect((await cli(['-i', inv, '--become-password-file', join(dir, 'empty'), fixture('local-files.ts')])).stderr).toMatch(/is empty/);
    writeFileSync(join(dir, 'pw'), 's3cr3t-become-canary\n');
    const ok = await cli(['-i', inv, '--become-password-file', join(dir, 'pw'), fixture('local-files.ts'), '--output', 'json']);
    expect(ok.code).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain('s3cr3t-become-canary');
  });

  it('runs a playbook outside the repository that imports @converge packages and a role (the built CLI)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'converge-outside-'));
    writeFileSync(join(outside, 'hosts.ini'), 'local1 ansible_connection=local\n');
    writeFileSync(
      join(outside, 'site.ts'),
      [
        "import { definePlaybook, secret, secretText } from '@converge/core';",
        "import { copy } from '@converge/modules';",
        "import { loadBalancer } from '@converge/role-load-balancer';",
        'void loadBalancer;',
        `export default definePlaybook([{ name: 'outside', hosts: 'all', tasks: [copy({ dest: ${JSON.stringify(join(outside, 'out.txt'))}, content: secretText\`pw=\${secret('outside-canary-3391')}\` })] }]);`,
      ].join('\n'),
    );
    const bin = join(import.meta.dirname, '..', 'bin', 'converge.js');
    const runIt = () => execFileAsync(process.execPath, [bin, '-i', 'hosts.ini', 'site.ts', '--output', 'json'], { cwd: outside });
    const first = await runIt();
    expect(JSON.parse(first.stdout)).toMatchObject({ summary: { local1: { changed: 1, failed: 0 } } });
    expect(readFileSync(join(outside, 'out.txt'), 'utf8')).toBe('pw=outside-canary-3391');
    expect(first.stdout + first.stderr).not.toContain('outside-canary-3391');
    expect(JSON.parse((await runIt()).stdout)).toMatchObject({ summary: { local1: { changed: 0 } } });
  });

  it('-v counts (-vv is 2) and reaches modules as the verbosity; a task\'s output is shown under its row and in JUnit', async () => {
    const plain = await cli(['-i', inv, fixture('say.ts')]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/ok +local1 +plain\n +hello from the controller\n/);
    expect(plain.stdout).toMatch(/skipped +local1 +loud +\(needs -vv\)/);
    const loud = await cli(['-i', inv, fixture('say.ts'), '-vv']);
    expect(loud.stdout).toMatch(/ok +local1 +loud\n +only with -vv\n/);
    expect((await cli(['-i', inv, fixture('say.ts'), '-v', '-v', '--output', 'junit'])).stdout).toContain('<system-out>only with -vv</system-out>');
  });

  it('says which ANSIBLE_* environment variables it does not read, instead of ignoring them', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { ANSIBLE_REMOTE_USER: 'deploy', ANSIBLE_FORKS: '20', ANSIBLE_SSH_ARGS: '-o ConnectTimeout=5' });
    try {
      const r = await cli(['-i', inv, fixture('say.ts')]);
      expect(r.code, r.stderr).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('from the environment; not read:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('not read: ANSIBLE_FORKS, ANSIBLE_REMOTE_USER (');
      expect(warnings[0]).not.toContain('not read: ANSIBLE_SSH_ARGS');
    } finally {
      process.env = saved;
    }
    expect((await cli(['-i', inv, fixture('say.ts')])).stderr).not.toContain('not read');
  });

  it('exits 5 for unknown options and a missing inventory', async () => {
    expect((await cli(['--no-such-flag', 'x.ts'])).code).toBe(5);
    expect((await cli([fixture('local-files.ts')])).code).toBe(5);
    expect((await cli(['-i', inv, '--fail-on-change', fixture('local-files.ts')])).code).toBe(5);
  });

  it('runs a playbook, prints the JSON report, and a second run changes nothing in one round trip', async () => {
    const first = await cli(['-i', inv, fixture('local-files.ts'), '--output', 'json']);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['summary', 'tasks', 'stats']));
    expect(report.summary.local1).toMatchObject({ ok: 2, changed: 2, failed: 0, skipped: 1, unreachable: 0 });
    expect(report.tasks[0]).toMatchObject({ host: 'local1', task: 'write a.txt', module: 'fixture.put', status: 'changed' });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('hello local1\n');
    const second = JSON.parse((await cli(['-i', inv, fixture('local-files.ts'), '--output', 'json'])).stdout);
    expect(second.summary.local1).toMatchObject({ changed: 0 });
    expect(second.stats.local1.roundTrips).toBe(1);
  });

  it('--check --diff shows the diff and changes nothing; --fail-on-change exits 6 on drift', async () => {
    await cli(['-i', inv, fixture('local-files.ts')]);
    writeFileSync(join(dir, 'b.txt'), 'edited by hand\n');
    const check = await cli(['-i', inv, fixture('local-files.ts'), '--check', '--diff']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('CHECK MODE');
    expect(check.stdout).toContain('-edited by hand');
    expect(check.stdout).toContain('+b');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('edited by hand\n');
    expect((await cli(['-i', inv, fixture('local-files.ts'), '--check', '--fail-on-change'])).code).toBe(6);
    await cli(['-i', inv, fixture('local-files.ts')]);
    expect((await cli(['-i', inv, fixture('local-files.ts'), '--check', '--fail-on-change'])).code).toBe(0);
  });

  it('exits 2 when a task fails, naming the exit code and stderr', async () => {
    const r = await cli(['-i', inv, fixture('local-files.ts'), '-e', 'fail=yes']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/failed\s+local1\s+maybe fail/);
    expect(r.stdout).toContain('exited with 9: broken');
    expect(r.stdout).toMatch(/RECAP[\s\S]*local1\s+ok=2 changed=2 unreachable=0 failed=1/);
  });

  it('exits 4 when a host is unreachable, as ansible-playbook (RUN_UNREACHABLE_HOSTS), and says why in every output format', async () => {
    writeFileSync(inv, `gone ansible_host=127.0.0.1 ansible_port=1 target_dir=${dir}\n`);
    const r = await cli(['-i', inv, fixture('local-files.ts')]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/unreachable\s+gone\s+\S+@127\.0\.0\.1:1: cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED/);
    const json = await cli(['-i', inv, fixture('local-files.ts'), '--output', 'json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout).unreachable.gone).toMatchObject({ code: 'CONVERGE_CONNECT', message: expect.stringContaining('ECONNREFUSED'), hint: expect.stringContaining('host is up') });
    const junit = await cli(['-i', inv, fixture('local-files.ts'), '--output', 'junit']);
    expect(junit.stdout).toMatch(/<error message="[^"]*ECONNREFUSED[^"]*" type="CONVERGE_CONNECT">/);
  });

  it('exits 4 for invalid params before contacting any host', async () => {
    // The host is unreachable: had it been contacted, the output would say so.
    writeFileSync(inv, 'gone ansible_host=127.0.0.1 ansible_port=1\n');
    const r = await cli(['-i', inv, fixture('bad-params.ts')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/CONVERGE_PARAMS.*task "open port" \(fixture\.strict\) on gone/s);
    expect(r.stderr).toContain('/port');
    expect(r.stderr).toContain('70000');
    // The location is the module call in the playbook.
    expect(r.stderr).toContain(`at ${fixture('bad-params.ts')}:4:`);
  });

  it('points a params error in a task of a role at the playbook line that asked for the role, and names the role\'s task line', async () => {
    writeFileSync(inv, 'gone ansible_host=127.0.0.1 ansible_port=1\n');
    const r = await cli(['-i', inv, fixture('bad-role-params.ts')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/CONVERGE_PARAMS.*task "open port" \(fixture\.strict\) on gone/s);
    expect(r.stderr).toContain(`(task of role "port-role" at ${fixture('port-role/index.ts')}:9:`);
    expect(r.stderr).toContain(`at ${fixture('bad-role-params.ts')}:8:`);
  });

  it('shows a change known after apply as unknown, apart from changed, in every output format; --fail-on-change counts it', async () => {
    const pretty = await cli(['-i', inv, fixture('known-after-apply.ts'), '--check']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^unknown +local1 +guess +\(known after apply: an earlier task decides\)$/m);
    expect(pretty.stdout).toMatch(/local1 +ok=1 changed=0 unknown=1 /);
    const json = JSON.parse((await cli(['-i', inv, fixture('known-after-apply.ts'), '--check', '--output', 'json'])).stdout);
    expect(json.tasks[0]).toMatchObject({ status: 'unknown', message: 'known after apply: an earlier task decides' });
    expect(json.summary.local1).toMatchObject({ changed: 0, unknown: 1 });
    const junit = (await cli(['-i', inv, fixture('known-after-apply.ts'), '--check', '--output', 'junit'])).stdout;
    expect(junit).toContain('<skipped message="unknown: known after apply: an earlier task decides"/>');
    expect((await cli(['-i', inv, fixture('known-after-apply.ts'), '--check', '--fail-on-change'])).code).toBe(6);
    // the real run changes it, with no unknown status
    expect((await cli(['-i', inv, fixture('known-after-apply.ts')])).stdout).toMatch(/^changed +local1 +guess/m);
  });

  it('exits 69 (a service is unavailable) when Vault cannot be reached, not 1 (an error in converge)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: 'not-used' });
    try {
      const r = await cli(['-i', inv, fixture('vault-lookup.ts')]);
      expect(r.stderr).toContain('[CONVERGE_UNAVAILABLE] cannot reach Vault at http://127.0.0.1:9');
      expect(r.code).toBe(69);
    } finally {
      process.env = saved;
    }
  });

  it('exits 4 with file:line for a broken inventory, and for a module that is not a playbook', async () => {
    writeFileSync(inv, '[web\nhost1\n');
    const r = await cli(['-i', inv, fixture('local-files.ts')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${inv}:1`);
    writeFileSync(inv, 'local1 ansible_connection=local\n');
    const p = await cli(['-i', inv, fixture('not-a-playbook.ts')]);
    expect(p.code).toBe(4);
    expect(p.stderr).toContain('must default-export a playbook');
  });

  it('writes JUnit XML with one testcase per host and task', async () => {
    const r = await cli(['-i', inv, fixture('local-files.ts'), '--output', 'junit', '-e', 'fail=yes']);
    expect(r.stdout).toContain('<testsuite name="local1" tests="3" failures="1"');
    expect(r.stdout).toContain('<testcase classname="local1.local files" name="write a.txt"');
    expect(r.stdout).toMatch(/<failure message="[^"]*exited with 9/);
  });

  it('prints the inventory as ansible-inventory --list does', async () => {
    const r = await cli(['inventory', '-i', inv, '--list']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.all.children).toContain('local');
    expect(doc.local.hosts).toEqual(['local1']);
    expect(doc._meta.hostvars.local1.target_dir).toBe(dir);
  });

  it('reads a TypeScript inventory', async () => {
    const r = await cli(['inventory', '-i', fixture('inventory.ts'), '--list']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.local.hosts).toEqual(['ts1', 'ts2']);
    expect(doc._meta.hostvars.ts2).toMatchObject({ from_ts: 'yes', ansible_connection: 'local' });
  });

  it('prints facts of a host', async () => {
    const r = await cli(['facts', '-i', inv, 'local1']);
    expect(r.code).toBe(0);
    const facts = JSON.parse(r.stdout).local1;
    expect(facts.kernel).toMatch(/\d/);
    expect(facts.osFamily).toBe('Debian');
  });
});
