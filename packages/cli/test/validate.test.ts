// converge validate: what a run checks before contacting a host, plus the TypeScript compiler,
// without contacting any host. The playbooks are written outside the repository, as a team's
// own are, and import the packages and a role by name. The hosts' address is a TCP listener of
// this test: it must see no connection.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationProblem } from '../src/commands/validate.js';
import { cli } from './cli-harness.js';

let server: Server;
let connections = 0;
let port = 0;
let dir: string;

const BAD_PLAYBOOK = [
  "import { definePlay, definePlaybook, Type } from '@converge/core';",
  "import { lineinfile } from '@converge/modules';",
  "import { loadBalancer } from '@converge/role-load-balancer';",
  '',
  'const WebVars = Type.Object({ http_port: Type.Integer({ minimum: 1, maximum: 65535 }) });',
  '// Backends as a deployment tool hands them over: JSON, which the type-checker cannot see into.',
  'const backends = JSON.parse(\'[{"name":"app","balance":"roundrobn","servers":[{"name":"app1","address":"10.0.0.11:8080"}]}]\');',
  '',
  'export default definePlaybook([',
  "  definePlay(WebVars, { name: 'app', hosts: 'web', tasks: [lineinfile((h) => ({ path: '/etc/app.conf', line: `port=${h.vars.htp_port}`, create: true }))] }),",
  "  { name: 'lb', hosts: 'lb', roles: [loadBalancer({ frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }], backends })] },",
  ']);',
  '',
].join('\n');

const TEMPLATE_PLAYBOOK = [
  "import { definePlaybook } from '@converge/core';",
  "import { template } from '@converge/modules';",
  '',
  "export default definePlaybook({ name: 'app', hosts: 'web', tasks: [template({ src: 'app.conf.j2', dest: '/etc/app.conf' })] });",
  '',
].join('\n');

const HARDENING_PLAYBOOK = [
  "import { definePlaybook } from '@converge/core';",
  "import { sshHardeningRole } from '@converge/role-ssh-hardening';",
  '',
  "export default definePlaybook({ name: 'ssh', hosts: 'web', roles: [sshHardeningRole] });",
  '',
].join('\n');

const GOOD_PLAYBOOK = BAD_PLAYBOOK.replace('htp_port', 'http_port').replace('roundrobn', 'roundrobin');

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'converge-validate-'));
  const host = `ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root`;
  writeFileSync(join(dir, 'hosts.ini'), `[web]\nweb1 ${host} http_port=8080\nweb2 ${host}\n\n[lb]\nlb1 ${host}\n`);
  writeFileSync(join(dir, 'good-hosts.ini'), `[web]\nweb1 ${host} http_port=8080\nweb2 ${host} http_port=8081\n\n[lb]\nlb1 ${host}\n`);
  writeFileSync(join(dir, 'empty.ini'), '[web]\n\n[lb:children]\nweb\n');
  writeFileSync(join(dir, 'bad.ts'), BAD_PLAYBOOK);
  writeFileSync(join(dir, 'good.ts'), GOOD_PLAYBOOK);
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'app.conf.j2'), 'listen {{ http_port }}\nworkers {{ app_workers }}\n');
  writeFileSync(join(dir, 'template.ts'), TEMPLATE_PLAYBOOK);
  writeFileSync(join(dir, 'hardening.ts'), HARDENING_PLAYBOOK);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

type Problem = ValidationProblem;

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('converge validate', () => {
  it('reports every problem with its place, in one pass, and contacts no host', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), join(dir, 'bad.ts'), '--output', 'json']);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as { ok: boolean; hosts: number; problems: Problem[]; typeCheck: { ran: boolean } };
    expect(report).toMatchObject({ ok: false, hosts: 3, typeCheck: { ran: true } });
    const file = join(dir, 'bad.ts');
    // A type error: the compiler's code, file, line and column.
    const typo = report.problems.find((p) => p.code === 'TS2551');
    expect(typo).toMatchObject({ file, line: lineOf(BAD_PLAYBOOK, 'htp_port'), column: BAD_PLAYBOOK.split('\n')[lineOf(BAD_PLAYBOOK, 'htp_port') - 1]!.indexOf('htp_port') + 1 });
    expect(typo?.message).toMatch(/Property 'htp_port' does not exist on type .*Did you mean 'http_port'\?/);
    // A var the play declares that a host does not define.
    const vars = report.problems.filter((p) => p.code === 'CONVERGE_VARS');
    expect(vars.map((p) => p.message)).toEqual(['play "app" on web2: the vars do not fit the declared varsSchema:\n  var http_port is not defined']);
    expect(vars[0]).toMatchObject({ file, line: lineOf(BAD_PLAYBOOK, 'export default definePlaybook') });
    // A params error inside a role: at the playbook's line that uses the role, with the allowed values.
    const params = report.problems.filter((p) => p.code === 'CONVERGE_PARAMS');
    expect(params).toHaveLength(1);
    expect(params[0]).toMatchObject({ file, line: lineOf(BAD_PLAYBOOK, 'loadBalancer({') });
    expect(params[0]?.message).toContain('task "haproxy.cfg" (haproxy.config) on lb1: invalid params:\n  /backends/0/balance: must be one of "roundrobin", "static-rr", "leastconn"');
    expect(params[0]?.message).toMatch(/\(got "roundrobn"\) \(task of role "load-balancer" at .*roles\/load-balancer\/(src|dist)\/index\.(ts|js):\d+:\d+\)$/);
    expect(report.problems).toHaveLength(3);
    expect(connections).toBe(0);
  });

  it('prints problems as the compiler and converge do, and a summary line', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), join(dir, 'bad.ts'), '--no-type-check']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('converge: error [CONVERGE_VARS] play "app" on web2');
    expect(r.stderr).toMatch(new RegExp(`\\n {2}at .*bad\\.ts:${lineOf(BAD_PLAYBOOK, 'loadBalancer({')}`));
    expect(r.stdout).toMatch(/^2 problems: .*bad\.ts with .*hosts\.ini: 3 hosts, \d+ tasks checked, not type-checked\n$/);
    expect(connections).toBe(0);
  });

  it("refuses a var a role does not know under its own var, naming its path, and contacts no host", async () => {
    const r = await cli(['validate', '-i', join(dir, 'good-hosts.ini'), join(dir, 'hardening.ts'), '--no-type-check', '--output', 'json', '-e', '{"ssh_hardening": {"prot": 2222}}']);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as { problems: Problem[] };
    expect(report.problems.length).toBeGreaterThan(0);
    for (const p of report.problems) expect(p).toMatchObject({ code: 'CONVERGE_VARS', message: expect.stringContaining('role ssh-hardening: ssh_hardening.prot is not a var of the role (known: port, ') });
    expect(connections).toBe(0);
  });

  it("reports a template's unknown var on every host, at the template's line", async () => {
    const r = await cli(['validate', '-i', join(dir, 'good-hosts.ini'), join(dir, 'template.ts'), '--no-type-check', '--output', 'json']);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as { problems: Problem[] };
    const file = join(dir, 'templates', 'app.conf.j2');
    expect(report.problems).toEqual(
      ['web1', 'web2'].map((host) =>
        expect.objectContaining({ code: 'CONVERGE_TEMPLATE', message: `task "template /etc/app.conf" (template) on ${host}: template ${file}:2: 'app_workers' is undefined`, file, line: 2 }),
      ),
    );
    expect(connections).toBe(0);
  });

  it('refuses an inventory with no hosts', async () => {
    const r = await cli(['validate', '-i', join(dir, 'empty.ini'), join(dir, 'good.ts'), '--no-type-check', '--output', 'json']);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as { problems: Problem[] };
    expect(report.problems).toEqual([expect.objectContaining({ code: 'CONVERGE_INVENTORY', message: `the inventory ${join(dir, 'empty.ini')} has no hosts`, file: join(dir, 'empty.ini') })]);
  });

  it('says a valid playbook is valid, exit code 0, with the type-check it ran', async () => {
    const r = await cli(['validate', '-i', join(dir, 'good-hosts.ini'), join(dir, 'good.ts')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: .*good\.ts with .*good-hosts\.ini: 3 hosts, \d+ tasks checked, type-checked with TypeScript 5\.\d+\.\d+ in \d+\.\d s\n$/);
    expect(connections).toBe(0);
  });

  it('a run with --type-check stops at a type error before reading the inventory', async () => {
    const r = await cli(['-i', join(dir, 'good-hosts.ini'), join(dir, 'bad.ts'), '--type-check']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`bad\\.ts:${lineOf(BAD_PLAYBOOK, 'htp_port')}:\\d+: error TS2551: Property 'htp_port' does not exist`));
    expect(r.stderr).toContain('converge: 1 type error in');
    expect(connections).toBe(0);
  });
});
