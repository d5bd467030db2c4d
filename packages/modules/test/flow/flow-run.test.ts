// The flow modules through the engine, on this controller's own shell (LocalTransport, a
// framed /bin/sh): vars set for later tasks and plays, conditions evaluated with the host's vars,
// messages in the report, secrets masked, waits bounded, and what each costs in round trips.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTransport, definePlaybook, secret, type Play, type TaskListItem } from '@converge/core';
import { runPlaybook, type RunEvent, type RunOptions } from '@converge/engine';
import { parseIniInventory } from '@converge/inventory';
import { command, copy, template } from '../../src/index.js';
import { assert, debug, fail, pause, setFact, waitFor } from '../../src/flow.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-flow-'));
});

const inventory = (hosts: string[], vars = '') => parseIniInventory(`${hosts.map((h) => `${h} ansible_connection=local ${vars}`).join('\n')}\n`, 'test.ini');

async function run(plays: Play[], options: Partial<RunOptions> & { hosts?: string[]; vars?: string } = {}) {
  const events: RunEvent[] = [];
  const { hosts, vars, ...rest } = options;
  const report = await runPlaybook({
    playbook: definePlaybook(plays),
    playbookPath: join(dir, 'playbook.ts'),
    inventory: inventory(hosts ?? ['local1'], vars),
    transport: (spec) => new LocalTransport(spec.host),
    stateDir: join(dir, '.converge'),
    onEvent: (e) => events.push(e),
    ...rest,
  });
  return { report, events };
}

const play = (tasks: TaskListItem[], extra: Partial<Play> = {}): Play => ({ name: 'p', hosts: 'all', tasks, ...extra });
const rows = (r: Awaited<ReturnType<typeof run>>) => r.report.tasks.map((t) => `${t.status} ${t.task}`);
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('setFact', () => {
  it('sets vars that later tasks and later plays read (params, templates), overriding the inventory; a no-op run is one probe per play', async () => {
    writeFileSync(join(dir, 'app.j2'), 'url={{ app_url }} port={{ http_port }}\n');
    const plays = [
      play([
        copy({ dest: join(dir, 'before'), content: 'x' }),
        setFact({ http_port: 8081, app_url: (c) => `http://${c.host}:${String(c.vars.http_port)}/` }, { name: 'facts' }),
        copy((c) => ({ dest: join(dir, 'after'), content: `${String(c.vars.http_port)} ${String(c.vars.app_url)}\n` }), { name: 'after' }),
      ]),
      play([template({ src: 'app.j2', dest: join(dir, 'app.conf') }, { name: 'templated' })], { name: 'later' }),
    ];
    const check = await run(plays, { check: true, vars: 'http_port=80' });
    expect(rows(check)).toEqual([`changed copy ${join(dir, 'before')}`, 'ok facts', 'changed after', 'changed templated']);
    const first = await run(plays, { vars: 'http_port=80' });
    expect(rows(first)).toEqual(rows(check));
    // app_url was computed before http_port was set: from the inventory's value, as Ansible's set_fact (static on assignment).
    expect(read('after')).toBe('8081 http://local1:80/\n');
    expect(read('app.conf')).toBe('url=http://local1:80/ port=8081\n');
    expect(first.report.tasks[1]?.result).toEqual({ ansible_facts: { http_port: 8081, app_url: 'http://local1:80/' } });
    const second = await run(plays, { vars: 'http_port=80' });
    expect(rows(second)).toEqual([`ok copy ${join(dir, 'before')}`, 'ok facts', 'ok after', 'ok templated']);
    // The tasks that read the vars were probed with the host's first probe of each play, as if the vars were static.
    expect(second.report.stats.local1?.roundTrips).toBe(2);
  });

  it('extra vars still win, as in Ansible', async () => {
    const r = await run([play([setFact({ env_name: 'set' }), copy((c) => ({ dest: join(dir, 'env'), content: String(c.vars.env_name) }))])], { extraVars: { env_name: 'extra' } });
    expect(r.report.summary.local1?.failed).toBe(0);
    expect(read('env')).toBe('extra');
  });

  it('from a registered result: check mode skips it and its readers, saying why; the run sets it', async () => {
    const plays = [
      play([
        command({ cmd: 'echo 2.4.1' }, { register: 'version', changedWhen: () => false }),
        setFact({ release: (c) => c.registered('version')?.stdout?.trim() }, { name: 'release' }),
        copy((c) => ({ dest: join(dir, 'release'), content: String(c.vars.release) }), { name: 'write release' }),
      ]),
      play([template({ src: 'r.j2', dest: join(dir, 'release.conf') }, { name: 'templated' })], { name: 'later' }),
    ];
    writeFileSync(join(dir, 'r.j2'), 'release={{ release }}\n');
    const check = await run(plays, { check: true });
    expect(rows(check)).toEqual(['skipped command echo 2.4.1', 'skipped release', 'skipped write release', 'skipped templated']);
    expect(check.report.tasks.slice(1).map((t) => t.message)).toEqual([
      'check mode: needs the result of "command echo 2.4.1", which only a real run produces',
      'check mode: needs the result of "release", which only a real run produces',
      'check mode: needs the result of "release", which only a real run produces',
    ]);
    const first = await run(plays);
    expect(rows(first)).toEqual(['ok command echo 2.4.1', 'ok release', 'changed write release', 'changed templated']);
    expect(read('release')).toBe('2.4.1');
    expect(read('release.conf')).toBe('release=2.4.1\n');
  });

  it('the later of a register and a setFact of one name wins', async () => {
    const r = await run([
      play([
        command({ cmd: 'echo registered' }, { register: 'thing', changedWhen: () => false }),
        setFact({ thing: 'set' }),
        copy((c) => ({ dest: join(dir, 'a'), content: JSON.stringify([c.vars.thing, c.registered('thing') ?? null]) }), { name: 'a' }),
        command({ cmd: 'echo again' }, { register: 'thing', changedWhen: () => false }),
        copy((c) => ({ dest: join(dir, 'b'), content: String((c.vars.thing as { stdout: string }).stdout) }), { name: 'b' }),
      ]),
    ]);
    expect(r.report.summary.local1?.failed).toBe(0);
    expect(read('a')).toBe('["set",null]');
    expect(read('b')).toBe('again');
  });

  it('with runOnce, every host of the batch gets the vars, as Ansible', async () => {
    const r = await run([play([setFact({ leader: (c) => c.host }, { runOnce: true }), copy((c) => ({ dest: join(dir, `leader-${c.host}`), content: String(c.vars.leader) }))])], { hosts: ['local1', 'local2'] });
    expect(r.report.summary.local1?.failed).toBe(0);
    expect(read('leader-local1')).toBe('local1');
    expect(read('leader-local2')).toBe('local1');
  });
});

describe('assert and fail', () => {
  it('judges Jinja2 conditions with the host\'s vars, and conditions from params functions; a failure stops the host with its message', async () => {
    const r = await run([
      play([
        assert({ that: ['http_port | int > 1024', "app_env in ['prod', 'staging']"] }, { name: 'settings' }),
        assert((c) => ({ that: [Number(c.vars.http_port) < 9000], quiet: true }), { name: 'quietly' }),
        assert({ that: ['http_port | int > 8080'], fail_msg: 'the port is too low' }, { name: 'custom' }),
        copy({ dest: join(dir, 'never'), content: 'x' }),
      ]),
    ], { vars: 'http_port=8080 app_env=prod' });
    expect(rows(r)).toEqual(['ok settings', 'ok quietly', 'failed custom']);
    expect(r.report.tasks.map((t) => t.output)).toEqual(['All assertions passed', undefined, undefined]);
    expect(r.report.tasks[2]).toMatchObject({ code: 'CONVERGE_ASSERT', message: 'the port is too low', result: { assertion: 'http_port | int > 8080', evaluated_to: false } });
    const named = await run([play([assert({ that: 'http_port | int > 8080' })])], { vars: 'http_port=8080' });
    expect(named.report.tasks[0]?.message).toBe('Assertion failed: http_port | int > 8080');
  });

  it('an undefined variable or a bad expression is refused before any host is contacted, with the task\'s location', async () => {
    await expect(run([play([assert({ that: 'nope > 1' })])])).rejects.toThrow(/that\[0\] "nope > 1": 'nope' is undefined/);
    const bad = await run([play([assert({ that: 'x >' })])], { vars: 'x=1' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'CONVERGE_TEMPLATE', location: { file: expect.stringMatching(/flow-run\.test\.ts$/) } });
  });

  it('ignoreErrors and failedWhen apply; fail under a when', async () => {
    const r = await run([
      play([
        fail({ msg: 'not here' }, { ignoreErrors: true }),
        assert({ that: false }, { failedWhen: () => false, name: 'tolerated' }),
        fail({}, { when: (c) => c.vars.app_env !== 'prod', name: 'guard' }),
      ]),
    ], { vars: 'app_env=prod' });
    expect(rows(r)).toEqual(['failed fail', 'ok tolerated', 'skipped guard']);
    expect(r.report.tasks[0]).toMatchObject({ ignored: true, message: 'not here' });
    expect(r.report.summary.local1).toMatchObject({ failed: 0, ignored: 1 });
  });

  it('in check mode, judges the same values', async () => {
    const r = await run([play([assert({ that: 'x == 1' }, { name: 'a' })])], { check: true, vars: 'x=2' });
    expect(rows(r)).toEqual(['failed a']);
  });
});

describe('debug', () => {
  it('shows a message or an expression under the task; verbosity; secrets masked everywhere', async () => {
    const pw = 'debug-canary-secret';
    const tasks = [
      debug({ msg: 'hello' }),
      debug({ var: 'app.port + 1' }),
      debug({ msg: 'chatty', verbosity: 2 }, { name: 'chatty' }),
      debug((c) => ({ msg: c.vars.db_password }), { name: 'a secret' }),
      debug({ var: 'db_password' }, { name: 'a secret by name' }),
      debug((c) => ({ msg: { user: 'app', password: c.vars.db_password } }), { name: 'a secret inside' }),
    ];
    const quiet = await run([play(tasks, { vars: { app: { port: 8080 }, db_password: secret(pw) } })]);
    expect(rows(quiet)).toEqual(['ok debug', 'ok debug', 'skipped chatty', 'ok a secret', 'ok a secret by name', 'ok a secret inside']);
    expect(quiet.report.tasks.map((t) => t.output)).toEqual(['hello', 'app.port + 1: 8081', undefined, '********', 'db_password: ********', '{\n  "user": "app",\n  "password": "********"\n}']);
    expect(quiet.report.tasks[2]?.message).toBe('verbosity threshold not met (shown with -vv)');
    expect(JSON.stringify(quiet.report)).not.toContain(pw);
    expect(JSON.stringify(quiet.events)).not.toContain(pw);
    const loud = await run([play([tasks[2] as TaskListItem])], { verbosity: 2 });
    expect(loud.report.tasks[0]).toMatchObject({ status: 'ok', output: 'chatty' });
    // Decided on the controller: nothing but the connection's first probe (none: no facts).
    expect(quiet.report.stats.local1?.roundTrips).toBe(0);
  });

  it("an undefined var fails the task, naming it", async () => {
    await expect(run([play([debug({ var: 'missing.thing' })])])).rejects.toThrow(/'missing' is undefined/);
  });
});

describe('pause', () => {
  it('pauses on the controller: no round trip; check mode does not pause', async () => {
    const r = await run([play([pause({ seconds: 0.2 })])]);
    expect(r.report.tasks[0]).toMatchObject({ status: 'ok', message: 'paused 0.2 seconds', result: { delta: 0.2 } });
    expect(r.report.stats.local1?.roundTrips).toBe(0);
    const c = await run([play([pause({ minutes: 10 })])], { check: true });
    expect(c.report.tasks[0]).toMatchObject({ status: 'ok', message: 'check mode: the run pauses 10 minutes here' });
  });
});

describe('waitFor', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());
  const freePort = async (): Promise<number> => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    return port;
  };

  it('a condition that holds is ok from the probe: one round trip for the whole no-op', async () => {
    server = createServer();
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    writeFileSync(join(dir, 'log'), 'starting\nlistening on 8080\n');
    const tasks = [waitFor({ port }), waitFor({ path: join(dir, 'log'), search_regex: '^listening on \\d+$' }), waitFor({ path: join(dir, 'gone'), state: 'absent' }), debug({ msg: 'up' })];
    const r = await run([play(tasks)]);
    expect(rows(r).map((x) => x.split(' ')[0])).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(r.report.tasks[0]?.message).toBe(`127.0.0.1:${port} is open`);
    expect(r.report.stats.local1?.roundTrips).toBe(1);
  });

  it('waits for a port that opens late, and is ok (not changed), with the time it took', async () => {
    const port = await freePort();
    const later = setTimeout(() => {
      server = createServer();
      server.listen(port, '127.0.0.1');
    }, 1500);
    try {
      const r = await run([play([waitFor({ port, timeout: 30, sleep: 0.2 })])]);
      expect(r.report.tasks[0]).toMatchObject({ status: 'ok', changes: [] });
      expect(r.report.tasks[0]?.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port} is open after \\d+ s$`));
      expect(r.report.tasks[0]?.result?.elapsed).toBeGreaterThanOrEqual(1);
    } finally {
      clearTimeout(later);
    }
  });

  it('fails with Ansible\'s message when the port never opens; check mode says what the run will wait for', async () => {
    const port = await freePort();
    const r = await run([play([waitFor({ port, timeout: 2, sleep: 0.5 }), copy({ dest: join(dir, 'never'), content: 'x' })])]);
    expect(rows(r)).toEqual([`failed wait_for`]);
    expect(r.report.tasks[0]).toMatchObject({ message: `Timeout when waiting for 127.0.0.1:${port}` });
    expect(r.report.tasks[0]?.result?.elapsed).toBeGreaterThanOrEqual(2);
    const c = await run([play([waitFor({ port, timeout: 2 })])], { check: true });
    expect(c.report.tasks[0]).toMatchObject({ status: 'skipped', message: `check mode: 127.0.0.1:${port} is closed now; the run waits up to 2 s for it to be open (known after it runs)` });
  });
});
