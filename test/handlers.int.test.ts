import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, copy, systemd } from '@converge/modules';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// C-19 on a real host: a config change notifies a restart, then a later task fails.

let hosts: TestHosts;
let host: string;
const unit = '[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n';
const handlers = [systemd.service({ name: 'demo', state: 'restarted' }, { name: 'restart demo' })];
const invocation = async () => (await hosts.exec(host, 'systemctl show -p InvocationID --value demo')).stdout.trim();

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'handlers-' });
  host = hosts.hosts[0]!.name;
  await convergeTwice(hosts, [copy({ dest: '/etc/systemd/system/demo.service', content: unit }), systemd.service({ name: 'demo', state: 'started', enabled: true })]);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('C-19: handlers and failures on a real service', () => {
  it('without force-handlers, the restart is remembered and done by the next run', async () => {
    const before = await invocation();
    const broken = await runTasks(hosts, [copy({ dest: '/etc/demo.conf', content: 'v2\n' }, { notify: 'restart demo' }), command({ cmd: 'false' })], { handlers });
    expect(broken.summary[host]).toMatchObject({ failed: 1, changed: 1 });
    expect(await invocation()).toBe(before);
    expect(readFileSync(join(hosts.dir, 'state', 'pending-handlers.json'), 'utf8')).toContain('restart demo');
    // The next run: the config task is already converged, yet the remembered restart runs.
    const next = await runTasks(hosts, [copy({ dest: '/etc/demo.conf', content: 'v2\n' }, { notify: 'restart demo' })], { handlers });
    expect(next.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['copy /etc/demo.conf:ok', 'restart demo:changed']);
    expect(await invocation()).not.toBe(before);
    const after = await runTasks(hosts, [copy({ dest: '/etc/demo.conf', content: 'v2\n' }, { notify: 'restart demo' })], { handlers });
    expect(after.summary[host]).toMatchObject({ changed: 0 });
  });

  it('with force-handlers, the restart runs before the play stops', async () => {
    const before = await invocation();
    const r = await runTasks(hosts, [copy({ dest: '/etc/demo.conf', content: 'v3\n' }, { notify: 'restart demo' }), command({ cmd: 'false' })], { handlers, forceHandlers: true });
    expect(r.summary[host]).toMatchObject({ failed: 1 });
    expect(r.tasks.find((t) => t.handler)?.status).toBe('changed');
    expect(await invocation()).not.toBe(before);
  });
});
