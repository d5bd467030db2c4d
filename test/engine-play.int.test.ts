import type { Play } from '@converge/core';
import type { RunReport } from '@converge/engine';
import { command, copy, file } from '@converge/modules';
import { changedTasks, failures, runPlays, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Play-level execution control on three real Debian 12 hosts over SSH: a rolling play (serial 1)
// stopped by a failing host, a task delegated to a load-balancer host with the vars of the host
// it is for, and a runOnce task; converged twice, with --check predicting the real run.

let hosts: TestHosts;
const [web1, web2, lb] = ['eplay1', 'eplay2', 'eplay3'];

beforeAll(async () => {
  hosts = await startHosts(3, { prefix: 'eplay', groups: { web: [web1, web2], lb: [lb] } });
});
afterAll(async () => {
  await hosts?.stop();
});

const cat = async (host: string, path: string) => {
  const r = await hosts.exec(host, `cat ${path}`);
  return r.exitCode === 0 ? r.stdout : null;
};

/** `--check --diff`, the real run, a second run and a last check; each asserted like convergeTwice. */
async function convergePlaysTwice(plays: Play[]): Promise<{ check: RunReport; first: RunReport; second: RunReport }> {
  const check = await runPlays(hosts, plays, { check: true, diff: true });
  expect(failures(check)).toEqual([]);
  const first = await runPlays(hosts, plays);
  expect(failures(first)).toEqual([]);
  expect(changedTasks(check)).toEqual(changedTasks(first));
  const second = await runPlays(hosts, plays);
  expect(failures(second)).toEqual([]);
  expect(changedTasks(second)).toEqual([]);
  const recheck = await runPlays(hosts, plays, { check: true });
  expect(changedTasks(recheck)).toEqual([]);
  return { check, first, second };
}

describe('play-level execution control on real hosts', () => {
  it('serial 1 with maxFailPercentage: the failing host stops the play, later hosts are not touched', async () => {
    const play: Play = {
      name: 'rolling',
      hosts: 'all',
      serial: 1,
      maxFailPercentage: 0,
      tasks: [
        copy({ dest: '/srv/rolling-before', content: 'before\n' }, { notify: 'mark batch' }),
        command({ cmd: 'false' }, { name: 'break on eplay2', when: (h) => h.host === web2 }),
        copy({ dest: '/srv/rolling-after', content: 'after\n' }),
      ],
      handlers: [command({ cmd: 'touch /srv/rolling-handler' }, { name: 'mark batch' })],
    };
    const r = await runPlays(hosts, [play, { name: 'later', hosts: 'all', tasks: [copy({ dest: '/srv/later', content: 'x\n' })] }]);
    expect(r.summary[web1]).toMatchObject({ failed: 0, changed: 3 });
    expect(r.summary[web2]).toMatchObject({ failed: 1 });
    expect(r.summary[lb]).toMatchObject({ ok: 0, changed: 0, failed: 0 });
    // eplay1's batch ran to its end, handler included; eplay2 stopped at the failure.
    expect(await cat(web1, '/srv/rolling-after')).toBe('after\n');
    expect((await hosts.exec(web1, 'test -f /srv/rolling-handler')).exitCode).toBe(0);
    expect(await cat(web2, '/srv/rolling-before')).toBe('before\n');
    expect(await cat(web2, '/srv/rolling-after')).toBeNull();
    expect((await hosts.exec(web2, 'test -f /srv/rolling-handler')).exitCode).not.toBe(0);
    // eplay3 and the later play never ran.
    expect(await cat(lb, '/srv/rolling-before')).toBeNull();
    for (const h of [web1, web2, lb]) expect(await cat(h, '/srv/later')).toBeNull();
  });

  it('delegateTo writes on the delegate with the vars of each host, runOnce runs on one host; twice, check = run', async () => {
    const plays: Play[] = [
      {
        name: 'web',
        hosts: 'web',
        tasks: [
          file({ path: '/srv/backends', state: 'directory', mode: '0755' }, { name: 'backends dir on lb', delegateTo: lb, runOnce: true }),
          copy((h) => ({ dest: `/srv/backends/${h.host}`, content: `server ${String(h.vars.inventory_hostname)} port ${String(h.vars.ansible_port)}\n` }), {
            name: 'register backend',
            delegateTo: lb,
          }),
          copy({ dest: '/srv/migrated', content: 'schema v2\n' }, { name: 'migrate once', runOnce: true }),
          copy((h) => ({ dest: '/srv/app.conf', content: `name=${h.host}\n` }), { name: 'app config' }),
        ],
      },
    ];
    const { first, second } = await convergePlaysTwice(plays);
    expect(changedTasks(first)).toEqual(
      [`${web1}\tbackends dir on lb`, `${web1}\tregister backend`, `${web2}\tregister backend`, `${web1}\tmigrate once`, `${web1}\tapp config`, `${web2}\tapp config`].sort(),
    );
    const rows = first.tasks.filter((t) => t.delegatedTo).map((t) => `${t.host} -> ${t.delegatedTo} ${t.task}`);
    expect(rows.sort()).toEqual([`${web1} -> ${lb} backends dir on lb`, `${web1} -> ${lb} register backend`, `${web2} -> ${lb} register backend`]);
    // Files on the delegate, each with the vars of the host it is for; none on the web hosts.
    const inv = await import('node:fs').then((fs) => fs.readFileSync(hosts.inventoryPath, 'utf8'));
    const port = (h: string) => new RegExp(`^${h} .*ansible_port=(\\d+)`, 'm').exec(inv)?.[1];
    expect(await cat(lb, `/srv/backends/${web1}`)).toBe(`server ${web1} port ${port(web1)}\n`);
    expect(await cat(lb, `/srv/backends/${web2}`)).toBe(`server ${web2} port ${port(web2)}\n`);
    expect((await hosts.exec(web1, 'test -e /srv/backends')).exitCode).not.toBe(0);
    // runOnce: only the first host of the batch.
    expect(await cat(web1, '/srv/migrated')).toBe('schema v2\n');
    expect(await cat(web2, '/srv/migrated')).toBeNull();
    // A no-op run: one probe round trip on each web host; the delegated probes go to the delegate.
    expect(second.stats[web1]?.roundTrips).toBe(1);
    expect(second.stats[web2]?.roundTrips).toBe(1);
    expect(second.stats[lb]?.roundTrips).toBeGreaterThan(0);
  });
});
