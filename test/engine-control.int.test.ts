import { block, type TaskListItem } from '@converge/core';
import { command, copy, file, shell } from '@converge/modules';
import { changedTasks, convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Task-level playbook semantics on real Debian 12 hosts over SSH: a loop with labels whose
// registered result decides a later task, a command retried until a background job is done,
// a block whose guard fails (in --check too: the commands before it declare what they touch, so
// the guard's file fact is known to be current) and is rescued, with an always section, and
// host facts in params.
// convergeTwice checks that --check predicts what the first run changes, that the second run
// changes nothing, and that nothing fails (a rescued failure is not a failure).

let hosts: TestHosts;

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'etask' });
});
afterAll(async () => {
  await hosts?.stop();
});

const sites = [
  { name: 'shop', port: 8081 },
  { name: 'blog', port: 8082 },
];

function playbookTasks(): TaskListItem[] {
  return [
    file({ path: '/srv/etask', state: 'directory', mode: '0755' }),
    file({ path: '/srv/etask/conf.d', state: 'directory', mode: '0755' }),
    copy((c) => ({ dest: `/srv/etask/conf.d/${c.item.name}.conf`, content: `listen ${c.item.port}\nhost ${c.host}\n`, mode: '0644' }), {
      name: 'site config',
      loop: sites,
      loopControl: { label: (s) => s.name },
      register: 'confs',
    }),
    command({ cmd: 'touch /srv/etask/reloaded', resources: ['/srv/etask/reloaded'] }, { name: 'reload after a config change', when: (c) => c.registered('confs')?.changed === true }),
    shell({ cmd: 'nohup sh -c "sleep 2; touch /srv/etask/ready" >/dev/null 2>&1 &', creates: '/srv/etask/ready', resources: ['/srv/etask/ready'] }, { name: 'start slow job' }),
    command({ cmd: 'test -f /srv/etask/ready', resources: [] }, { name: 'wait for the job', until: (r) => r.rc === 0, retries: 15, delay: 0.5, changedWhen: () => false, register: 'ready' }),
    copy((c) => ({ dest: '/srv/etask/os', content: `${c.facts.distribution} ${c.facts.distributionVersion}\nipv4 ${(c.facts.allIpv4Addresses ?? []).join(',')}\n` }), { name: 'facts' }),
    block(
      [
        file({ path: '/etc/etask-license-accepted', state: 'file' }, { name: 'guard: license accepted', register: 'guard' }),
        copy({ dest: '/srv/etask/never', content: 'x\n' }, { name: 'after the guard' }),
      ],
      {
        name: 'guarded',
        vars: { marker: 'rescued' },
        rescue: [
          copy((c) => ({ dest: '/srv/etask/rescue', content: `${String(c.vars.marker)} guard.failed=${String(c.registered('guard')?.failed)}\n` }), { name: 'rescue' }),
          block([copy({ dest: '/srv/etask/nested', content: 'nested\n' }, { name: 'nested in rescue' })], { always: [copy({ dest: '/srv/etask/nested-always', content: 'n\n' }, { name: 'nested always' })] }),
        ],
        always: [copy({ dest: '/srv/etask/always', content: 'done\n' }, { name: 'always' })],
      },
    ),
  ];
}

describe('loops, register, until, blocks and facts on real hosts', () => {
  it('converges, with --check predicting the first run and a second run changing nothing', async () => {
    const { check, first, second } = await convergeTwice(hosts, playbookTasks());
    for (const h of hosts.hosts.map((x) => x.name)) {
      const mine = (r: typeof first) => r.tasks.filter((t) => t.host === h);
      expect(mine(first).map((t) => `${t.status} ${t.task}`)).toEqual([
        'changed file /srv/etask',
        'changed file /srv/etask/conf.d',
        'changed site config (item=shop)',
        'changed site config (item=blog)',
        'changed reload after a config change',
        'changed start slow job',
        'ok wait for the job',
        'changed facts',
        'failed guard: license accepted',
        'changed rescue',
        'changed nested in rescue',
        'changed nested always',
        'changed always',
      ]);
      expect(mine(check).find((t) => t.task === 'wait for the job')?.status).toBe('skipped');
      const wait = mine(first).find((t) => t.task === 'wait for the job');
      expect(wait?.attempts).toBeGreaterThan(1);
      expect(mine(first).find((t) => t.task.startsWith('guard'))).toMatchObject({ rescued: true });
      expect(first.summary[h]).toMatchObject({ failed: 0, rescued: 1 });
      expect(mine(second).map((t) => `${t.status} ${t.task}`)).toEqual([
        'ok file /srv/etask',
        'ok file /srv/etask/conf.d',
        'ok site config (item=shop)',
        'ok site config (item=blog)',
        'skipped reload after a config change',
        'ok start slow job',
        'ok wait for the job',
        'ok facts',
        'failed guard: license accepted',
        'ok rescue',
        'ok nested in rescue',
        'ok nested always',
        'ok always',
      ]);
      expect(second.summary[h]).toMatchObject({ changed: 0, failed: 0, rescued: 1 });

      const files = await hosts.exec(h, 'cat /srv/etask/conf.d/shop.conf /srv/etask/rescue /srv/etask/os; test -e /srv/etask/never || echo no-never; hostname -I');
      const [shop1, shop2, rescue, os, ipv4, never, hostnameI] = files.stdout.trimEnd().split('\n');
      expect([shop1, shop2]).toEqual(['listen 8081', `host ${h}`]);
      expect(rescue).toBe('rescued guard.failed=true');
      expect(os).toBe('debian 12');
      expect(never).toBe('no-never');
      expect(ipv4?.replace('ipv4 ', '').split(',').sort()).toEqual((hostnameI ?? '').trim().split(/\s+/).filter((a) => a.includes('.')).sort());
    }
  });

  it('after a manual edit, --check predicts exactly what the next run changes, registered results included', async () => {
    const h = hosts.hosts[0]!.name;
    await hosts.exec(h, 'echo tampered > /srv/etask/conf.d/blog.conf; rm -f /srv/etask/always');
    const check = await runTasks(hosts, playbookTasks(), { check: true, diff: true });
    const predicted = changedTasks(check);
    expect(predicted).toEqual([`${h}\talways`, `${h}\treload after a config change`, `${h}\tsite config (item=blog)`]);
    expect((await hosts.exec(h, 'cat /srv/etask/conf.d/blog.conf')).stdout).toBe('tampered\n');
    const real = await runTasks(hosts, playbookTasks());
    expect(changedTasks(real)).toEqual(predicted);
    expect(changedTasks(await runTasks(hosts, playbookTasks()))).toEqual([]);
  });
});
