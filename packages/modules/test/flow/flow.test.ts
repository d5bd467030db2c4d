import { describe, expect, test } from 'vitest';
import { LocalTransport, factCommand, secret, validateParams, type HostInfo, type Module, type PrepareContext, type Task } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { assert, debug, fail, pause, reboot, setFact, waitFor, waitCondition, BOOT_ID_COMMAND, conditionOf, timeoutMessage, evaluateAssertions } from '../../src/flow.js';

const check = { check: true };
const host: HostInfo = { name: 'h', vars: {}, user: 'root', check: false, diff: false };

/** Validates, prepares (expressions evaluated from a table) and plans, as the engine does for a module with `prepare`. */
function prepareAndPlan(mod: Module<never, never, never, never>, params: unknown, values: Record<string, unknown>, hostInfo: Partial<HostInfo> = {}) {
  const def = mod.definition as unknown as Module<never, never, never, never>['definition'] & { prepare(p: unknown, c: PrepareContext): unknown };
  const h = { ...host, ...hostInfo };
  const ctx = {
    host: h,
    evaluate: (e: string) => {
      if (!(e in values)) throw new Error(`no value for ${e}`);
      return values[e];
    },
  } as unknown as PrepareContext;
  const prepared = def.prepare(validateParams(def.params, params, 'test'), ctx);
  return def.plan({ params: prepared as never, facts: {} as never, host: h, upstreamChanged: false });
}
const cond = (e: string) => `True if (${e}) else False`;

describe('module assert', () => {
  const values = { [cond('x > 1')]: true, [cond('y == 2')]: false, [cond('z')]: false, [cond('x')]: true, [cond('w')]: false };
  test.each([
    { case: 'every condition holds: ok, the success message shown', params: { that: ['x > 1', true] }, verdict: undefined, reason: 'All assertions passed', output: 'All assertions passed' },
    { case: 'quiet: no output', params: { that: 'x > 1', quiet: true }, verdict: undefined, reason: 'All assertions passed', output: undefined },
    { case: 'a custom success message', params: { that: ['x'], success_msg: ['ready', 'go'] }, verdict: undefined, reason: 'ready\ngo', output: 'ready\ngo' },
    { case: 'the first false condition is named', params: { that: ['x > 1', 'y == 2', 'z'] }, verdict: 'failed', reason: 'Assertion failed: y == 2', output: undefined },
    { case: 'a boolean condition is named by its place', params: { that: [true, false] }, verdict: 'failed', reason: 'Assertion failed: that[1] is false', output: undefined },
    { case: 'fail_msg', params: { that: 'w', fail_msg: 'w must be set' }, verdict: 'failed', reason: 'w must be set', output: undefined },
    { case: "msg, Ansible's older name", params: { that: ['w'], msg: ['a', 'b'] }, verdict: 'failed', reason: 'a\nb', output: undefined },
  ])('$case', ({ params, verdict, reason, output }) => {
    const plan = prepareAndPlan(assert as never, params, values);
    expect(plan.changes).toEqual([]);
    expect(plan.verdict).toBe(verdict);
    expect(plan.reason).toBe(reason);
    expect(plan.output).toBe(output);
  });

  test('refuses fail_msg with msg', () => {
    expect(() => planModule(assert, { params: { that: true, fail_msg: 'a', msg: 'b' }, facts: {} })).toThrow(/fail_msg or its older name msg, not both/);
  });

  test('evaluates strings as Jinja2 conditions with Jinja2 truth; booleans as they are', () => {
    const seen: string[] = [];
    const ctx = { evaluate: (e: string) => (seen.push(e), e.includes('[]') ? false : true) };
    expect(evaluateAssertions(['port | int > 1024', 'items == []', true, false], ctx)).toEqual([
      { index: 0, expression: 'port | int > 1024', holds: true },
      { index: 1, expression: 'items == []', holds: false },
      { index: 2, holds: true },
      { index: 3, holds: false },
    ]);
    expect(seen).toEqual(['True if (port | int > 1024) else False', 'True if (items == []) else False']);
  });
});

describe('module fail', () => {
  test.each([
    [{}, 'Failed as requested from task'],
    [{ msg: 'not on Sundays' }, 'not on Sundays'],
  ])('%j fails with %j', (params, msg) => {
    const r = planModule(fail, { params, facts: {} });
    expect(r.plan).toMatchObject({ changes: [], verdict: 'failed', reason: msg, result: { msg } });
  });
});

describe('module debug', () => {
  test.each([
    { case: 'a message', params: { msg: 'deploying 2.4' }, host: {}, output: 'deploying 2.4', result: { msg: 'deploying 2.4' } },
    { case: 'no message: Hello world!', params: {}, host: {}, output: 'Hello world!', result: { msg: 'Hello world!' } },
    { case: 'a value as JSON', params: { msg: { port: 80, hosts: ['a'] } }, host: {}, output: '{\n  "port": 80,\n  "hosts": [\n    "a"\n  ]\n}', result: { msg: { port: 80, hosts: ['a'] } } },
    { case: 'a verbosity the run has', params: { msg: 'x', verbosity: 2 }, host: { verbosity: 2 }, output: 'x', result: { msg: 'x' } },
  ])('$case', ({ params, host, output, result }) => {
    const r = planModule(debug, { params, facts: {}, host });
    expect(r.plan).toMatchObject({ changes: [], output, result });
    expect(r.plan.verdict).toBeUndefined();
  });

  test('a var is evaluated in prepare with the host\'s vars, when the verbosity is met', () => {
    const plan = prepareAndPlan(debug as never, { var: 'out.stdout_lines' }, { 'out.stdout_lines': ['a', 'b'] });
    expect(plan).toMatchObject({ output: 'out.stdout_lines: [\n  "a",\n  "b"\n]', result: { 'out.stdout_lines': ['a', 'b'] } });
    // Below its verbosity, an expression is not evaluated (an undefined var does not fail it).
    expect(prepareAndPlan(debug as never, { var: 'nope', verbosity: 1 }, {})).toMatchObject({ verdict: 'skipped' });
  });

  test('skipped below its verbosity, as Ansible ("Verbosity threshold not met")', () => {
    const r = planModule(debug, { params: { msg: 'x', verbosity: 2 }, facts: {}, host: { verbosity: 1 } });
    expect(r.plan).toMatchObject({ verdict: 'skipped', reason: 'verbosity threshold not met (shown with -vv)' });
    expect(r.plan.output).toBeUndefined();
  });

  test('a secret is shown as its mask', () => {
    const r = planModule(debug, { params: { msg: secret('debug-canary-pw') }, facts: {} });
    expect(r.plan.output).toBe('********');
    expect(JSON.stringify(r.plan.output)).not.toContain('debug-canary');
  });

  test("refuses msg with var, as Ansible: 'msg' and 'var' are incompatible options", () => {
    expect(() => planModule(debug, { params: { msg: 'a', var: 'b' }, facts: {} })).toThrow(/'msg' and 'var' are incompatible options/);
  });
});

describe('setFact', () => {
  test('a task that declares the names it sets; values may be functions of the host', () => {
    const t = setFact({ a: 1, b: (c) => `${c.host}-x`, cacheable: true }, { name: 'facts' }) as Task;
    expect(t.sets).toEqual(['a', 'b']);
    expect(t.module.name).toBe('set_fact');
    expect(t.site?.file).toMatch(/flow\.test\.ts$/);
    const params = (t.params as (c: unknown) => Record<string, unknown>)({ host: 'web1', vars: {}, item: undefined });
    expect(params).toEqual({ a: 1, b: 'web1-x', cacheable: true });
    expect(setFact({ a: 1 }).params).toEqual({ a: 1 });
  });

  test('plans the vars, without cacheable', () => {
    const r = planModule(setFact, { params: { a: 1, b: { c: [2] }, cacheable: true }, facts: {} });
    expect(r.plan).toMatchObject({ changes: [], vars: { a: 1, b: { c: [2] } }, result: { ansible_facts: { a: 1, b: { c: [2] } } }, reason: 'set a, b' });
  });

  test.each([
    [{}, /give at least one var/],
    [{ cacheable: true }, /give at least one var/],
    [{ inventory_hostname: 'x' }, /inventory_hostname: converge sets this itself/],
    [{ 'bad-name': 1 }, /unknown param "bad-name"/],
    [{ cacheable: 'yes' }, /cacheable/],
  ])('refuses %j', (params, message) => {
    expect(() => planModule(setFact, { params, facts: {} })).toThrow(message);
  });

  test('refuses a function in place of the object, naming the call', () => {
    expect(() => setFact((() => ({ a: 1 })) as never)).toThrow(/setFact takes an object whose keys are the vars it sets/);
  });
});

describe('module pause', () => {
  test.each([
    [{ seconds: 2.5 }, {}, { pauseSeconds: 2.5, reason: 'paused 2.5 seconds', result: { delta: 2.5, stdout: 'Paused for 2.5 seconds' } }],
    [{ minutes: 1 }, {}, { pauseSeconds: 60, reason: 'paused 1 minute' }],
    [{ seconds: 30 }, check, { reason: 'check mode: the run pauses 30 seconds here' }],
  ])('%j %j', (params, host, plan) => {
    const r = planModule(pause, { params, facts: {}, host });
    expect(r.plan).toMatchObject({ changes: [], ...plan });
    if (host === check) expect(r.plan.pauseSeconds).toBeUndefined();
  });
  test.each([
    [{}, /a pause that waits for a prompt is not offered/],
    [{ seconds: 1, minutes: 1 }, /seconds or minutes, not both/],
    [{ seconds: 0 }, /seconds/],
    [{ prompt: 'go?' }, /unknown param "prompt"/],
  ])('refuses %j', (params, message) => {
    expect(() => planModule(pause, { params, facts: {} })).toThrow(message);
  });
});

describe('module wait_for', () => {
  const port = { kind: 'port', host: '127.0.0.1', port: 8080, open: true, connectTimeout: 5 } as const;
  test.each([
    [{ port: 8080 }, port],
    [{ port: 8080, host: 'db1', state: 'stopped', connect_timeout: 2 }, { ...port, host: 'db1', open: false, connectTimeout: 2 }],
    [{ port: 8080, state: 'absent' }, { ...port, open: false }],
    [{ path: '/run/app.pid' }, { kind: 'path', path: '/run/app.pid', exists: true }],
    [{ path: '/run/app.pid', state: 'absent' }, { kind: 'path', path: '/run/app.pid', exists: false }],
    [{ path: '/var/log/app.log', search_regex: '^ready' }, { kind: 'regex', path: '/var/log/app.log', regex: '^ready' }],
    [{ timeout: 3 }, undefined],
  ])('%j waits for %j', (params, condition) => {
    expect(conditionOf(params as never)).toEqual(condition);
  });

  test.each([
    [{ port: 8080 }, { holds: true }, {}, { changes: [], reason: '127.0.0.1:8080 is open' }],
    [{ port: 8080 }, { holds: true }, { upstreamChanged: true, check: true }, { changes: [], reason: '127.0.0.1:8080 is open (before earlier tasks change the host; the run tests it again after them)' }],
    [{ port: 8080 }, { holds: false }, {}, { changes: [{ path: '127.0.0.1:8080', before: 'closed', after: 'open' }] }],
    [{ port: 8080, timeout: 60 }, { holds: false }, check, { changes: [], verdict: 'skipped', reason: 'check mode: 127.0.0.1:8080 is closed now; the run waits up to 60 s for it to be open (known after it runs)' }],
    [{ path: '/tmp/x', delay: 5 }, { holds: true }, {}, { changes: [{ path: '/tmp/x', before: 'present', after: 'present' }] }],
    [{ path: '/tmp/x', state: 'absent' }, { holds: true }, {}, { changes: [], reason: '/tmp/x is absent' }],
    [{ timeout: 2 }, undefined, {}, { changes: [{ path: 'sleep', before: null, after: '2 s' }] }],
    [{ timeout: 2 }, undefined, check, { changes: [], verdict: 'skipped', reason: 'check mode: the run sleeps 2 s here' }],
  ])('%j, now %j, %j', (params, now, opts, plan) => {
    const { upstreamChanged, ...host } = opts as { upstreamChanged?: boolean; check?: boolean };
    const r = planModule(waitFor, { params, facts: now ? { now } : {}, host, upstreamChanged: upstreamChanged ?? false });
    expect(r.plan).toMatchObject(plan);
    expect(r.commands.length).toBe(plan.changes.length > 0 ? 1 : 0);
  });

  test.each([
    [{ port: 1, path: '/x' }, /port and path cannot both be given/],
    [{ host: 'db1' }, /host needs a port/],
    [{ port: 1, search_regex: 'x' }, /search_regex needs a path/],
    [{ path: '/x', search_regex: 'x', state: 'absent' }, /state must be started or present/],
    [{ path: '/x', state: 'stopped' }, /use absent for a path/],
    [{ path: '/x', search_regex: '(?x)a b' }, /search_regex: verbose regular expressions/],
    [{ port: 1, state: 'drained' }, /state/],
    [{ port: 1, exclude_hosts: ['a'] }, /unknown param "exclude_hosts"/],
    [{ path: 'relative' }, /path/],
  ])('refuses %j', (params, message) => {
    expect(() => planModule(waitFor, { params, facts: {} })).toThrow(message);
  });

  test.each([
    [port, 'Timeout when waiting for 127.0.0.1:8080'],
    [{ ...port, open: false }, 'Timeout when waiting for 127.0.0.1:8080 to stop.'],
    [{ kind: 'path', path: '/x', exists: true }, 'Timeout when waiting for file /x'],
    [{ kind: 'path', path: '/x', exists: false }, 'Timeout when waiting for /x to be absent.'],
    [{ kind: 'regex', path: '/x', regex: 'up' }, 'Timeout when waiting for search string up in /x'],
  ])("%j times out with Ansible's message", (c, message) => {
    expect(timeoutMessage(c as never)).toBe(message);
  });

  test('outcome: ok with elapsed, Ansible\'s message (or msg) when the time ran out, the host\'s error otherwise', () => {
    const out = (exitCode: number, stdout = '', stderr = '') => ({ stdout, stderr, exitCode, durationMs: 0 });
    const input = (params: object) => ({ params, facts: {}, host: { name: 'h', vars: {}, user: 'root', check: false, diff: false }, upstreamChanged: false, plan: { changes: [] } }) as never;
    const o = waitFor.definition.outcome;
    expect(o?.(out(0, 'elapsed=3\n'), input({ port: 8080 }))).toEqual({ changed: false, result: { elapsed: 3 }, message: '127.0.0.1:8080 is open after 3 s' });
    expect(o?.(out(124, 'elapsed=2\n'), input({ port: 8080 }))).toEqual({ changed: false, failed: true, result: { elapsed: 2 }, message: 'Timeout when waiting for 127.0.0.1:8080' });
    expect(o?.(out(124, 'elapsed=2\n'), input({ port: 8080, msg: 'app did not start' }))?.message).toBe('app did not start');
    expect(o?.(out(2, '', 'waiting for a port needs bash or nc on the host\n'), input({ port: 8080 }))?.message).toBe('the host cannot test the condition (exit 2): waiting for a port needs bash or nc on the host');
  });

  // The probe on this controller's own shell: a file, a regex in it, a closed port.
  test('fact wait_for.condition on a real shell', async () => {
    const local = new LocalTransport();
    try {
      const now = async (c: Parameters<typeof waitCondition>[0]) => {
        const r = await local.exec(factCommand(waitCondition, c));
        return waitCondition.definition.parse(r.stdout, { args: c, exitCode: r.exitCode, stderr: r.stderr });
      };
      const dir = (await local.exec('mktemp -d')).stdout.trim();
      await local.exec(`printf 'booting\\nready on port 8080\\n' > ${dir}/log`);
      expect(await now({ kind: 'path', path: `${dir}/log`, exists: true })).toEqual({ holds: true });
      expect(await now({ kind: 'path', path: `${dir}/nope`, exists: false })).toEqual({ holds: true });
      expect(await now({ kind: 'regex', path: `${dir}/log`, regex: '^ready on port \\d+$' })).toEqual({ holds: true });
      expect(await now({ kind: 'regex', path: `${dir}/log`, regex: '^port' })).toEqual({ holds: false });
      expect(await now({ kind: 'regex', path: `${dir}/log`, regex: 'booting\\nready' })).toEqual({ holds: true });
      expect(await now({ kind: 'port', host: '127.0.0.1', port: 1, open: true, connectTimeout: 2 })).toEqual({ holds: false });
      expect(await now({ kind: 'port', host: '127.0.0.1', port: 1, open: false, connectTimeout: 2 })).toEqual({ holds: true });
      await local.exec(`rm -rf ${dir}`);
    } finally {
      await local.close();
    }
  });
});

describe('module reboot', () => {
  test('reboots in the background after a second, so that the step reports first', () => {
    const r = planModule(reboot, { params: {}, facts: {} });
    expect(r.changes).toEqual([{ path: 'boot', before: 'running', after: 'rebooted' }]);
    expect(r.commands.map((c) => String(c.script))).toEqual([`( trap '' HUP; sleep 1; exec shutdown -r now 'Reboot initiated by converge' ) </dev/null >/dev/null 2>&1 &`]);
    expect(String(planModule(reboot, { params: { reboot_command: 'systemctl kexec', pre_reboot_delay: 30 }, facts: {} }).commands[0]?.script)).toBe(
      `( trap '' HUP; sleep 30; exec /bin/sh -c 'systemctl kexec' ) </dev/null >/dev/null 2>&1 &`,
    );
  });

  test('with removes: only while the path exists', () => {
    expect(planModule(reboot, { params: { removes: '/run/reboot-required' }, facts: { removes: { exists: false } } })).toMatchObject({ changes: [], reason: 'removes: /run/reboot-required does not exist' });
    expect(planModule(reboot, { params: { removes: '/run/reboot-required' }, facts: { removes: { exists: true, match: '/run/reboot-required' } } }).changes).toHaveLength(1);
    const def = reboot.definition;
    expect(def.facts?.({ removes: '/run/reboot-required' }, { name: 'h', vars: {}, user: 'root', check: false, diff: false })).toHaveProperty('removes');
    expect(typeof def.verify === 'function' && [def.verify({}), def.verify({ removes: '/x' })]).toEqual([false, true]);
  });

  test('tells the engine how to get the host back', () => {
    expect(reboot.definition.reconnect?.({})).toEqual({ bootId: expect.anything(), timeoutSeconds: 600, test: 'whoami' });
    expect(String(reboot.definition.reconnect?.({}).bootId)).toBe(BOOT_ID_COMMAND);
    expect(reboot.definition.reconnect?.({ reboot_timeout: 60, post_reboot_delay: 5, test_command: 'systemctl is-system-running', boot_time_command: 'uptime -s' })).toEqual({
      bootId: 'uptime -s',
      timeoutSeconds: 60,
      settleSeconds: 5,
      test: 'systemctl is-system-running',
    });
  });

  test("the boot identity: the kernel's boot id and PID 1's start time, in plain sh", async () => {
    const local = new LocalTransport();
    try {
      const r = await local.exec(`/bin/sh -c ${JSON.stringify(BOOT_ID_COMMAND).replace(/\$/g, '\\$')}`);
      const bootId = (await local.exec('cat /proc/sys/kernel/random/boot_id')).stdout.trim();
      const start = (await local.exec("sed 's/.*) //' /proc/1/stat | cut -d' ' -f20")).stdout.trim();
      expect(r.stdout.trim()).toBe(`${bootId} ${start}`);
    } finally {
      await local.close();
    }
  });
});
