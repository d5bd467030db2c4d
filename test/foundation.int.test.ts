import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task } from '@converge/core';
import { command, copy, file, lineinfile, template } from '@converge/modules';
import { changedTasks, convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The foundation's promises on real Debian 12 hosts over SSH: a first apply of 50 tasks costs at
// most 12 round trips per host and a no-op run at most 2, and --check after a manual edit
// predicts exactly what the next run changes while leaving the host untouched.

let hosts: TestHosts;
const tpl = join(mkdtempSync(join(tmpdir(), 'converge-w50-')), 'app.conf.j2');
writeFileSync(tpl, 'host={{ inventory_hostname }}\nport={{ port }}\npeers={{ peers | join(",") }}\n');

/** Workload W50: 10 x {directory, file, template, line, guarded command}. */
function w50(): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < 10; i++) {
    const d = `/srv/w50/app${i}`;
    tasks.push(
      file({ path: d, state: 'directory', mode: '0755' }),
      copy({ dest: `${d}/motd`, content: `app ${i}\n`, mode: '0644' }),
      template({ src: tpl, dest: `${d}/app.conf`, mode: '0644' }),
      lineinfile({ path: `${d}/settings`, line: `instance=${i}`, create: true }),
      command({ cmd: `touch ${d}/initialised`, creates: `${d}/initialised` }),
    );
  }
  return tasks;
}

const vars = { port: 8080, peers: ['a', 'b', 'c'] };

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'w50-' });
});
afterAll(async () => {
  await hosts?.stop();
});

async function snapshot(host: string): Promise<string> {
  const r = await hosts.exec(host, 'find /srv/w50 -type f -o -type d | sort | xargs -d "\\n" stat -c "%n %a %U %s %Y" ; find /srv/w50 -type f | sort | xargs -d "\\n" sha256sum');
  return r.stdout;
}

describe('foundation on real hosts', () => {
  it('converges W50 in at most 12 round trips per host, then a no-op run costs at most 2', async () => {
    const { first, second } = await convergeTwice(hosts, w50(), { vars });
    for (const h of hosts.hosts) {
      expect(first.summary[h.name]).toMatchObject({ changed: 50, failed: 0 });
      // One probe, then one script per repetition: a directory's files run in its script, and the
      // facts the guarded command makes stale are probed again at the end of that script.
      expect(first.stats[h.name]?.roundTrips).toBeLessThanOrEqual(12);
      expect(second.summary[h.name]).toMatchObject({ ok: 50, changed: 0 });
      expect(second.stats[h.name]?.roundTrips).toBeLessThanOrEqual(2);
    }
  });

  it('--check after a manual edit predicts exactly what the next run changes and touches nothing', async () => {
    const h = hosts.hosts[0]!.name;
    await hosts.exec(h, 'echo tampered > /srv/w50/app3/motd; chmod 600 /srv/w50/app4/app.conf; sed -i d /srv/w50/app5/settings; rm -rf /srv/w50/app6');
    const before = await snapshot(h);
    const check = await runTasks(hosts, w50(), { vars, check: true, diff: true });
    expect(await snapshot(h)).toBe(before);
    const predicted = changedTasks(check);
    // app3 motd, app4 app.conf mode, app5 settings line, and all five tasks of the removed app6.
    expect(predicted.filter((t) => t.startsWith(`${h}\t`)).length).toBe(8);
    expect(predicted.some((t) => !t.startsWith(`${h}\t`))).toBe(false);
    const motdDiff = check.tasks.find((t) => t.host === h && t.task.includes('/srv/w50/app3/motd'))?.diff ?? '';
    expect(motdDiff).toContain('-tampered');
    expect(motdDiff).toContain('+app 3');
    const real = await runTasks(hosts, w50(), { vars });
    expect(changedTasks(real)).toEqual(predicted);
    const again = await runTasks(hosts, w50(), { vars });
    expect(changedTasks(again)).toEqual([]);
  });
});
