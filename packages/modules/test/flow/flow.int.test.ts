// The flow modules on a real Debian 12 container (systemd as PID 1, sshd), over SSH: check, run,
// run again (zero changes), check again; a port that opens late and one that never does; and a
// reboot that really restarts the host's systemd and sshd (see startHosts' `rebootable`: PID 1
// exits, Docker starts the container again) while converge waits, connects again and re-probes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { command, file, shell, template } from '../../src/index.js';
import { assert, debug, fail, pause, reboot, setFact, waitFor } from '../../src/flow.js';

let hosts: TestHosts;
const H = 'host1';
const sh = async (cmd: string): Promise<string> => (await hosts.exec(H, cmd)).stdout.trim();
/** PID 1's start time, in clock ticks since the kernel booted: it changes when the container's systemd boots again. */
const pid1Start = () => sh("sed 's/.*) //' /proc/1/stat | cut -d' ' -f20");

beforeAll(async () => {
  hosts = await startHosts(1, { rebootable: true });
});
afterAll(async () => {
  await hosts?.stop();
});

describe('flow and facts', () => {
  test('setFact, assert, debug, fail, pause and a wait that holds: twice, the second run one round trip', async () => {
    await writeFile(join(hosts.dir, 'app.conf.j2'), 'listen {{ app_port }}\nrelease {{ release }}\n');
    await sh('printf "booting\\nready on 22\\n" > /var/tmp/flow.log');
    const tasks = [
      setFact({ app_port: 8080, release: (c) => `${c.host}-${String(c.vars.app_version)}` }, { name: 'facts' }),
      assert({ that: ['app_port | int > 1024', "release is match('host1-2\\.')"] }, { name: 'settings' }),
      assert((c) => ({ that: [c.facts.osFamily === 'Debian'], quiet: true }), { name: 'on Debian' }),
      fail({ msg: 'not Debian' }, { when: (c) => c.facts.osFamily !== 'Debian' }),
      debug({ var: 'release' }, { name: 'show release' }),
      debug((c) => ({ msg: { user: 'app', password: c.vars.db_password } }), { name: 'show secret' }),
      template({ src: 'app.conf.j2', dest: '/etc/flow-app.conf' }, { name: 'app conf' }),
      waitFor({ port: 22 }, { name: 'sshd listens' }),
      waitFor({ path: '/var/tmp/flow.log', search_regex: '^ready on \\d+$' }, { name: 'log says ready' }),
      waitFor({ path: '/var/tmp/flow-gone', state: 'absent' }, { name: 'no lock' }),
      pause({ seconds: 1 }),
    ];
    const r = await convergeTwice(hosts, tasks, { vars: { app_version: '2.4', db_password: secret('flow-canary-secret') } });
    expect(r.check.tasks.map((t) => `${t.status} ${t.task}`)).toEqual(r.first.tasks.map((t) => `${t.status} ${t.task}`));
    expect(r.first.tasks.map((t) => `${t.status} ${t.task}`)).toEqual([
      'ok facts',
      'ok settings',
      'ok on Debian',
      'skipped fail',
      'ok show release',
      'ok show secret',
      'changed app conf',
      'ok sshd listens',
      'ok log says ready',
      'ok no lock',
      'ok pause',
    ]);
    expect(await sh('cat /etc/flow-app.conf')).toBe('listen 8080\nrelease host1-2.4');
    expect(r.first.tasks.find((t) => t.task === 'show release')?.output).toBe('release: host1-2.4');
    expect(r.first.tasks.find((t) => t.task === 'show secret')?.output).toBe('{\n  "user": "app",\n  "password": "********"\n}');
    expect(r.first.tasks.find((t) => t.task === 'settings')?.output).toBe('All assertions passed');
    expect(JSON.stringify([r.check, r.first, r.second, r.recheck])).not.toContain('flow-canary-secret');
    // A no-op: the host's one probe (the template's facts in it, although it reads a set var).
    expect(r.second.stats[H]?.roundTrips).toBe(1);
  });

  test('an assertion that fails stops the host, in check mode too', async () => {
    for (const check of [true, false]) {
      const report = await runTasks(hosts, [assert({ that: 'ansible_check_mode or not ansible_check_mode', success_msg: 'x' }), assert({ that: ['app_port | int < 1024'], fail_msg: 'privileged port expected' }), file({ path: '/var/tmp/never', state: 'touch' })], { check, vars: { app_port: 8080 } });
      expect(report.tasks.map((t) => `${t.status} ${t.module}`)).toEqual(['ok assert', 'failed assert']);
      expect(report.tasks[1]).toMatchObject({ code: 'CONVERGE_ASSERT', message: 'privileged port expected' });
    }
    expect(await sh('test -e /var/tmp/never && echo yes || echo no')).toBe('no');
  });
});

describe('waitFor', () => {
  test('waits for a port that opens two seconds after the task that starts its service: twice', async () => {
    const start = shell(
      { cmd: 'touch /var/tmp/late-port.started && systemd-run --unit=late-port --on-active=2 --timer-property=AccuracySec=100ms python3 -m http.server --bind 127.0.0.1 18080', creates: '/var/tmp/late-port.started' },
      { name: 'start late' },
    );
    const r = await convergeTwice(hosts, [start, waitFor({ port: 18080, timeout: 60, sleep: 0.5 }, { name: 'port 18080' })]);
    expect(r.check.tasks.map((t) => `${t.status} ${t.task}`)).toEqual(['changed start late', 'skipped port 18080']);
    expect(r.check.tasks[1]?.message).toBe('check mode: 127.0.0.1:18080 is closed now; the run waits up to 60 s for it to be open (known after it runs)');
    const waited = r.first.tasks[1];
    expect(waited).toMatchObject({ status: 'ok', changes: [] });
    expect(waited?.message).toMatch(/^127\.0\.0\.1:18080 is open after \d+ s$/);
    expect(waited?.result?.elapsed).toBeGreaterThanOrEqual(1);
    expect(r.second.tasks[1]).toMatchObject({ status: 'ok', message: '127.0.0.1:18080 is open' });
  });

  test('a port that never opens fails after the timeout with Ansible\'s message; the wait is bounded', async () => {
    const report = await runTasks(hosts, [waitFor({ port: 18099, timeout: 3, sleep: 0.5 }), file({ path: '/var/tmp/never', state: 'touch' })]);
    expect(report.tasks.map((t) => t.status)).toEqual(['failed']);
    expect(report.tasks[0]).toMatchObject({ message: 'Timeout when waiting for 127.0.0.1:18099' });
    expect(report.tasks[0]?.result?.elapsed).toBeGreaterThanOrEqual(3);
    // A bound only a hang can break: timeout + one connection attempt + one sleep, with room for a slow machine.
    expect(report.tasks[0]?.durationMs).toBeLessThan(60_000);
    // And a port that closes: sshd's is open, so waiting for it to stop times out too.
    const stopped = await runTasks(hosts, [waitFor({ port: 22, state: 'stopped', timeout: 2, msg: 'sshd still up' })]);
    expect(stopped.tasks[0]).toMatchObject({ status: 'failed', message: 'sshd still up' });
  });
});

describe('reboot', () => {
  test('reboots while /run/reboot-required exists: converge waits, connects again and re-probes; twice', async () => {
    await sh('touch /run/reboot-required');
    const before = await pid1Start();
    const r = await convergeTwice(hosts, [reboot({ removes: '/run/reboot-required', reboot_timeout: 180 }, { name: 'reboot' }), command({ cmd: 'systemctl is-system-running --wait' }, { name: 'booted', changedWhen: () => false, failedWhen: (x) => !/running|degraded/.test(x.stdout ?? '') })]);
    expect(r.check.tasks[0]).toMatchObject({ status: 'changed', changes: [{ path: 'boot', before: 'running', after: 'rebooted' }] });
    expect(r.first.tasks[0]).toMatchObject({ status: 'changed', result: { rebooted: true } });
    expect(r.second.tasks[0]).toMatchObject({ status: 'ok', message: 'removes: /run/reboot-required does not exist' });
    const after = await pid1Start();
    expect(Number(after)).toBeGreaterThan(Number(before));
    expect(await sh('systemctl is-active ssh')).toBe('active');
  });

  test('a reboot without removes reboots every run; tasks after it plan from facts probed after it', async () => {
    await sh('touch /run/converge-before-reboot');
    const before = await pid1Start();
    const report = await runTasks(hosts, [reboot({ reboot_timeout: 180, msg: 'flow test' }), file({ path: '/run/converge-before-reboot', state: 'absent' }, { name: 'marker gone' })]);
    expect(report.tasks.map((t) => `${t.status} ${t.task}`)).toEqual(['changed reboot', 'ok marker gone']);
    expect(Number(await pid1Start())).toBeGreaterThan(Number(before));
  });
});
