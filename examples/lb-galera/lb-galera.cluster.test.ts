// examples/lb-galera end to end on six Debian 12 containers: lbg1 runs HAProxy, lbg2 and lbg3 the
// notes application (lighttpd + CGI + mariadb client), lbg4..lbg6 a MariaDB Galera cluster. The
// playbook is converged over SSH as check, run, run again, check again: the check predicts what
// the run changes (but for the services that Debian's packages start on install, see below), and
// the second run changes nothing; drift is then predicted exactly and repaired. Then HTTP
// requests from this process go through HAProxy to both applications, which share the database.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { changedTasks, failures, runPlays, startHosts, type TestHosts } from '@converge/testing';
import { lbGaleraPlaybook } from './lb-galera.js';

const APP_PASSWORD = 'notes-Secret-5d1c';
const SST_PASSWORD = 'sst-Secret-90ab';
const playbookPath = join(import.meta.dirname, 'playbook.ts');
let lab: TestHosts;
let lb: string;

async function request(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; servedBy: string; body: string }> {
  const res = await fetch(`http://${lb}${path}`, { method, ...(body !== undefined ? { body } : {}), headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, servedBy: res.headers.get('x-served-by') ?? '', body: await res.text() };
}

beforeAll(async () => {
  lab = await startHosts(6, { prefix: 'lbg', groups: { lb: ['lbg1'], app: ['lbg2', 'lbg3'], galera: ['lbg4', 'lbg5', 'lbg6'] } });
  lb = lab.hosts[0]?.address as string;
}, 600_000);
afterAll(async () => {
  await lab?.stop();
});

describe('examples/lb-galera: 1 HAProxy, 2 apps, 3 Galera nodes', () => {
  test('converges from nothing (check predicts the run, the second run changes nothing); requests through HAProxy reach both apps, which read each other\'s writes', async () => {
    const plays = [...lbGaleraPlaybook({ app: secret(APP_PASSWORD), sst: secret(SST_PASSWORD) }).plays];
    const options = { playbookPath };
    const check = await runPlays(lab, plays, { ...options, check: true, diff: true });
    expect(failures(check), 'check run').toEqual([]);
    const first = await runPlays(lab, plays, { ...options, diff: true });
    expect(failures(first), 'first run').toEqual([]);
    // Check mode cannot know that installing a Debian package also starts and enables its
    // service: on fresh hosts the check predicts a start for these three tasks, which the
    // package's installation already did. Everything else must be predicted exactly.
    const startedByTheirPackage = ['lbg1\thaproxy running and enabled', 'lbg2\tlighttpd running and enabled', 'lbg3\tlighttpd running and enabled'];
    expect(changedTasks(check), '--check predicted other changes than the run made').toEqual([...changedTasks(first), ...startedByTheirPackage].sort());
    expect(changedTasks(first)).toEqual(expect.arrayContaining(['lbg1\thaproxy.cfg', 'lbg2\thandler restart lighttpd', 'lbg4\tcreate the notes table', 'lbg4\tmariadb.user notes', 'lbg6\tSynced member of the cluster']));
    const second = await runPlays(lab, plays, options);
    expect(failures(second), 'second run').toEqual([]);
    expect(changedTasks(second), 'the second run changed something').toEqual([]);
    const recheck = await runPlays(lab, plays, { ...options, check: true });
    expect(changedTasks(recheck), '--check after converging').toEqual([]);

    // Drift on converged hosts, where check mode knows everything: predicted exactly, then repaired.
    await lab.exec('lbg2', 'rm /etc/notes/db-hosts');
    await lab.exec('lbg3', 'systemctl stop lighttpd');
    const driftCheck = await runPlays(lab, plays, { ...options, check: true, diff: true });
    expect(changedTasks(driftCheck)).toEqual(['lbg2\tdatabase hosts', 'lbg3\tlighttpd running and enabled']);
    const repair = await runPlays(lab, plays, options);
    expect(failures(repair), 'repair run').toEqual([]);
    expect(changedTasks(repair)).toEqual(changedTasks(driftCheck));
    for (const report of [check, first, second, driftCheck, repair]) {
      expect(JSON.stringify(report)).not.toContain(APP_PASSWORD);
      expect(JSON.stringify(report)).not.toContain(SST_PASSWORD);
    }

    // HAProxy marks a server up after one good health check (every 2 s): wait until both are up.
    const deadline = Date.now() + 60_000;
    let seen = new Set<string>();
    while (Date.now() < deadline) {
      const answers = await Promise.all([request('GET', '/notes'), request('GET', '/notes')].map((p) => p.catch(() => undefined)));
      for (const a of answers) if (a?.status === 200) seen.add(a.servedBy);
      if (seen.size === 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect([...seen].sort(), 'apps that answered through HAProxy').toEqual(['lbg2', 'lbg3']);

    // A note written through one app is read through the other (round robin alternates).
    const note = `written at ${Date.now()}`;
    const written = await request('POST', '/notes', note);
    expect(written.status, written.body).toBe(201);
    expect(written.body).toMatch(new RegExp(`^served by ${written.servedBy}\\nnote \\d+ stored`));
    seen = new Set();
    for (let i = 0; i < 4 && !seen.has('other'); i++) {
      const read = await request('GET', '/notes');
      expect(read.status, read.body).toBe(200);
      if (read.servedBy !== written.servedBy) {
        expect(read.body).toContain(`\t${written.servedBy}\t${note}`);
        seen.add('other');
      }
    }
    expect(seen.has('other'), `no read through the app other than ${written.servedBy}`).toBe(true);
    // The row is on every Galera node.
    for (const node of ['lbg4', 'lbg5', 'lbg6']) {
      const r = await lab.exec(node, `mariadb -N -e "SELECT app FROM notes.notes WHERE body = '${note}'"`);
      expect(r.stdout.trim(), node).toBe(written.servedBy);
    }
    // Bad input is refused by the application, not stored.
    expect((await request('POST', '/notes', "x'); DROP TABLE notes; --")).status).toBe(400);
  }, 2_400_000);
});
