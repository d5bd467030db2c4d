// Integration test of @converge/restic-backup and roles/backup on real Debian 12 containers
// (systemd, sshd, Debian's restic 0.14): rst1 backs up /srv/data to an SFTP repository on rst2
// and copies the snapshots to an S3-compatible server and to a local repository; restores are
// compared with the live data. The S3 server is @converge/testing's startS3Server (s3rver, npm)
// run by this test on the controller, over HTTPS with a throw-away certificate, on the Docker
// bridge gateway address where the containers reach it: a real server that restic talks to, not
// a double of restic.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { Play } from '@converge/core';
import type { RunEvent, RunReport } from '@converge/engine';
import { copy, command, file, user } from '@converge/modules';
import { changedTasks, failures, generateEd25519KeyPair, runPlays, runTasks, startHosts, startS3Server, type S3Server, type TestHosts } from '@converge/testing';
import { resticRepository, resticRestoreDrill, resticStatus } from '@converge/restic-backup';
import { backup } from '../../../roles/backup/src/index.js';

const canary = (what: string): string => `${what}-${randomBytes(12).toString('hex')}`;
const SFTP_PASSWORD = canary('sftp-repo-pw');
const S3_PASSWORD = canary('s3-repo-pw');
const LOCAL_PASSWORD = canary('local-repo-pw');
const S3_KEY_ID = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
const S3_SECRET = canary('s3-secret');
const SECRETS = [SFTP_PASSWORD, S3_PASSWORD, LOCAL_PASSWORD, S3_KEY_ID, S3_SECRET];

let hosts: TestHosts;
// The server checks request signatures: a random key pair, so that a wrong key would be refused.
let s3: S3Server | undefined;
let s3Endpoint = '';
const seen: string[] = [];
const onEvent = (e: RunEvent): void => {
  seen.push(JSON.stringify(e));
};
const keep = (r: RunReport): RunReport => {
  seen.push(JSON.stringify(r));
  return r;
};
const sh = async (host: string, cmd: string): Promise<string> => {
  const r = await hosts.exec(host, cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd} on ${host} exited ${r.exitCode}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
};

const sftpKey = generateEd25519KeyPair('rst1-restic');
let plays: Play[];

function makePlays(rst2Address: string, knownHosts: string): Play[] {
  const role = backup({
    repositories: [
      {
        name: 'sftp',
        password: secret(SFTP_PASSWORD),
        location: { type: 'sftp', host: rst2Address, user: 'resticsftp', path: '/srv/restic/rst1', private_key: secret(sftpKey.privateKey), known_hosts: knownHosts },
      },
      {
        name: 's3',
        password: secret(S3_PASSWORD),
        location: { type: 's3', endpoint: s3Endpoint, region: 'gra', bucket: 'rst-backups', prefix: 'rst1', access_key_id: S3_KEY_ID, secret_access_key: secret(S3_SECRET) },
      },
      { name: 'local', password: secret(LOCAL_PASSWORD), location: { type: 'local', path: '/var/backups/restic' } },
    ],
    jobs: [
      {
        name: 'data',
        repository: 'sftp',
        copy_to: ['s3', 'local'],
        paths: ['/srv/data'],
        excludes: ['*.tmp'],
        tags: ['rst'],
        stdin: [{ command: "printf 'CREATE TABLE t (id int);\\nINSERT INTO t VALUES (1);\\n'", filename: 'all-databases.sql' }],
        pre: ['date -u +%s > /var/tmp/restic-data.pre'],
        post: ['echo "status=$RESTIC_JOB_STATUS" > /var/tmp/restic-data.post'],
        retention: { keep_daily: 7, keep_weekly: 4, keep_monthly: 6 },
        on_calendar: '*-*-* 03:00:00',
        randomized_delay: '45min',
      },
    ],
  });
  return [{ name: 'backups', hosts: 'rst1', roles: [role] }];
}

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'rst' });
  // The Docker bridge gateway, as rst1 sees it (its default route in /proc/net/route, little-endian hex).
  const route = await sh('rst1', "awk '$2 == \"00000000\" { print $3; exit }' /proc/net/route");
  const gateway = (route.match(/../g) ?? []).reverse().map((h) => parseInt(h, 16)).join('.');
  s3 = await startS3Server({ address: gateway, buckets: ['rst-backups'], keys: [{ id: S3_KEY_ID, secret: S3_SECRET }] });
  s3Endpoint = s3.endpoint;

  // rst2 is the SFTP server: a `resticsftp` account that accepts rst1's key.
  const rst2 = hosts.hosts.find((h) => h.name === 'rst2');
  if (!rst2) throw new Error('no rst2');
  const setup = keep(
    await runTasks(
      hosts,
      [
        user({ name: 'resticsftp', shell: '/bin/sh', create_home: true }),
        file({ path: '/home/resticsftp/.ssh', state: 'directory', owner: 'resticsftp', group: 'resticsftp', mode: '0700' }),
        copy({ dest: '/home/resticsftp/.ssh/authorized_keys', content: sftpKey.publicKey, owner: 'resticsftp', group: 'resticsftp', mode: '0600' }),
        file({ path: '/srv/restic', state: 'directory', owner: 'resticsftp', group: 'resticsftp', mode: '0700' }),
      ],
      { hosts: 'rst2', onEvent },
    ),
  );
  expect(failures(setup)).toEqual([]);
  // rst1 trusts the test CA, as a host trusts a provider's public CA.
  const ca = keep(
    await runTasks(
      hosts,
      [
        copy({ dest: '/usr/local/share/ca-certificates/converge-test-s3.crt', content: s3.certificate }),
        command({ argv: ['update-ca-certificates'] }),
      ],
      { hosts: 'rst1', onEvent },
    ),
  );
  expect(failures(ca)).toEqual([]);
  await sh('rst1', "mkdir -p /srv/data/sub && printf 'alpha\\n' > /srv/data/a.txt && printf 'beta\\n' > '/srv/data/sub/b c.txt' && head -c 65536 /dev/urandom > /srv/data/blob.bin && echo scratch > /srv/data/skip.tmp");
  const hostKey = await sh('rst2', 'cat /etc/ssh/ssh_host_ed25519_key.pub');
  plays = makePlays(rst2.address, `${rst2.address} ${hostKey.split(' ').slice(0, 2).join(' ')}\n`);
});

afterAll(async () => {
  await hosts?.stop();
  await s3?.close();
});

const restic = (repo: string, args: string): string => `(set -a && . /etc/restic/${repo}/env && set +a && restic ${args})`;

describe('roles/backup with @converge/restic-backup', () => {
  // Four runs of the role (packages, three repositories): minutes on a loaded machine.
  test('converges: check predicts the run, second run changes nothing; credentials are root-only', async () => {
    // The role's contract, as convergeTwice checks it for tasks: check, run, run again, check.
    const check = keep(await runPlays(hosts, plays, { check: true, diff: true, onEvent }));
    expect(failures(check)).toEqual([]);
    const first = keep(await runPlays(hosts, plays, { diff: true, onEvent }));
    expect(failures(first)).toEqual([]);
    expect(changedTasks(first)).toEqual(['restic installed', 'restic jobs', 'restic repositories'].map((t) => `rst1\t${t}`));
    expect(changedTasks(check)).toEqual(changedTasks(first));
    const second = keep(await runPlays(hosts, plays, { onEvent }));
    expect(failures(second)).toEqual([]);
    expect(changedTasks(second)).toEqual([]);
    const recheck = keep(await runPlays(hosts, plays, { check: true, onEvent }));
    expect(changedTasks(recheck)).toEqual([]);
    // The diff of the first check shows where the secret files go, never what is in them.
    const diffs = check.tasks.map((t) => t.diff ?? '').join('\n');
    expect(diffs).toContain('/etc/restic/s3/env');
    for (const f of ['/etc/restic/sftp/password', '/etc/restic/sftp/env', '/etc/restic/sftp/id', '/etc/restic/s3/password', '/etc/restic/s3/env', '/etc/restic/local/password']) {
      expect(await sh('rst1', `stat -c '%a %U:%G' ${f}`), f).toBe('600 root:root');
    }
    expect(await sh('rst1', "stat -c '%a' /etc/restic /etc/restic/s3")).toBe('700\n700');
    // The secrets reach the host, in those files only.
    expect(await sh('rst1', 'cat /etc/restic/s3/password')).toBe(S3_PASSWORD);
    expect(await sh('rst1', 'cat /etc/restic/s3/env')).toContain(`AWS_SECRET_ACCESS_KEY='${S3_SECRET}'`);
    // Each repository was initialised; the copy targets share the primary's chunker parameters.
    const poly = async (repo: string): Promise<unknown> => (JSON.parse(await sh('rst1', restic(repo, '--no-lock cat config'))) as { chunker_polynomial: unknown }).chunker_polynomial;
    const primary = await poly('sftp');
    expect(await poly('s3')).toBe(primary);
    expect(await poly('local')).toBe(primary);
    expect(await sh('rst2', 'test -f /srv/restic/rst1/config && echo ok')).toBe('ok');
  }, 600_000);

  test('the timer is enabled and active with its schedule and randomized delay', async () => {
    expect(await sh('rst1', 'systemctl is-enabled restic-data.timer; systemctl is-active restic-data.timer')).toBe('enabled\nactive');
    expect(await sh('rst1', 'systemctl show -p TimersCalendar -p RandomizedDelayUSec -p Persistent restic-data.timer')).toMatch(
      /RandomizedDelayUSec=45min[\s\S]*Persistent=yes|Persistent=yes[\s\S]*RandomizedDelayUSec=45min/,
    );
    expect(await sh('rst1', 'systemctl show -p TimersCalendar restic-data.timer')).toContain('OnCalendar=*-*-* 03:00:00');
  });

  test('the job backs up to SFTP, copies to S3 and local, logs to the journal, runs its hooks', async () => {
    await sh('rst1', 'systemctl start restic-data.service');
    const journal = await sh('rst1', 'journalctl -u restic-data.service --no-pager -o cat');
    expect(journal).toContain('restic job data done');
    expect(journal).toMatch(/snapshot [0-9a-f]{8} saved/);
    expect(await sh('rst1', 'cat /var/tmp/restic-data.post')).toBe('status=0');
    expect(await sh('rst1', 'test -s /var/tmp/restic-data.pre && echo ran')).toBe('ran');
    for (const repo of ['sftp', 's3', 'local']) {
      const snaps = JSON.parse(await sh('rst1', restic(repo, '--no-lock snapshots --json --tag data'))) as { paths: string[]; tags: string[] }[];
      expect(snaps.map((s) => s.paths.join(',')).sort(), repo).toEqual(['/all-databases.sql', '/srv/data']);
      expect(snaps.every((s) => s.tags.includes('rst') && s.tags.includes('data')), repo).toBe(true);
    }
    // The stream from the stdin source is in the S3 copy, byte for byte.
    expect(await sh('rst1', restic('s3', '--no-lock dump latest /all-databases.sql --path /all-databases.sql'))).toBe('CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);');
    // The exclude held.
    expect(await sh('rst1', restic('local', '--no-lock ls latest --path /srv/data'))).not.toContain('skip.tmp');
  });

  test('restic.status reports each repository; failedWhen and max_age_hours alert', async () => {
    const report = keep(
      await runTasks(
        hosts,
        ['sftp', 's3', 'local'].map((repository) => resticStatus({ repository, tag: 'data', check: true, max_age_hours: 1 })),
        { hosts: 'rst1', onEvent },
      ),
    );
    expect(failures(report)).toEqual([]);
    for (const row of report.tasks) {
      expect(row.status).toBe('ok');
      expect(row.result).toMatchObject({ snapshots: 2, check: 'ok' });
      expect(row.result?.['ageHours'] as number).toBeLessThan(1);
    }
    const alert = keep(
      await runTasks(hosts, [resticStatus({ repository: 's3', tag: 'data' }, { failedWhen: (r) => (r['snapshots'] as number) < 3 })], { hosts: 'rst1', onEvent }),
    );
    expect(alert.tasks[0]?.status).toBe('failed');
    expect(alert.tasks[0]?.message).toMatch(/failedWhen matched: s3: 2 snapshot\(s\)/);
    const stale = keep(await runTasks(hosts, [resticStatus({ repository: 'local', tag: 'no-such-job', max_age_hours: 26 })], { hosts: 'rst1', onEvent }));
    expect(stale.tasks[0]?.status).toBe('failed');
    expect(stale.tasks[0]?.message).toMatch(/is stale: no snapshot, allowed 26 h/);
  });

  test('the restore drill restores what was saved, and reports what differs from the live data', async () => {
    const ok = keep(await runTasks(hosts, [resticRestoreDrill({ repository: 's3', path: '/srv/data', tag: 'data', excludes: ['*.tmp'] })], { hosts: 'rst1', onEvent }));
    expect(failures(ok)).toEqual([]);
    expect(ok.tasks[0]?.result).toMatchObject({ files: 3, mismatches: [] });
    expect(ok.tasks[0]?.message).toMatch(/restored 3 file\(s\) from snapshot [0-9a-f]{8} .*all checksums match/);

    await sh('rst1', "printf 'changed\\n' > /srv/data/a.txt && rm '/srv/data/sub/b c.txt' && echo new > /srv/data/new.txt");
    const bad = keep(await runTasks(hosts, [resticRestoreDrill({ repository: 'local', path: '/srv/data', tag: 'data', excludes: ['*.tmp'] })], { hosts: 'rst1', onEvent }));
    expect(bad.tasks[0]?.status).toBe('failed');
    expect(bad.tasks[0]?.result?.['mismatches']).toEqual([
      { path: 'a.txt', kind: 'differs' },
      { path: 'new.txt', kind: 'missing' },
      { path: 'sub/b c.txt', kind: 'extra' },
    ]);
    expect(await sh('rst1', 'ls /var/tmp/restic-drill 2>/dev/null | wc -l')).toBe('0');
  });

  test('the role stays converged after the backup; a wrong password is refused, never re-initialised', async () => {
    const again = keep(await runPlays(hosts, plays, { onEvent }));
    expect(failures(again)).toEqual([]);
    expect(changedTasks(again)).toEqual([]);
    // A second name for the existing local repository, with another password: the first run's
    // init is refused by restic (a repository is there), the next plan names the cause.
    const other = [resticRepository({ name: 'other', password: secret(canary('other-pw')), location: { type: 'local', path: '/var/backups/restic' } })];
    const first = keep(await runTasks(hosts, other, { hosts: 'rst1', onEvent }));
    expect(first.tasks[0]?.status).toBe('failed');
    const second = keep(await runTasks(hosts, other, { hosts: 'rst1', onEvent }));
    expect(second.tasks[0]?.status).toBe('failed');
    expect(second.tasks[0]?.message).toMatch(/restic repository other: the password does not open the repository there/);
    expect(await sh('rst1', restic('local', '--no-lock snapshots --json --tag data | head -c 1'))).toBe('[');
  });

  test('no repository password or S3 key appears in any report, event, journal or unit file', async () => {
    seen.push(await sh('rst1', 'journalctl --no-pager -o cat -n 2000'));
    seen.push(await sh('rst1', 'cat /etc/restic/jobs/data.sh /etc/systemd/system/restic-data.service /etc/systemd/system/restic-data.timer /etc/ssh/ssh_config.d/restic-sftp.conf'));
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    for (const s of SECRETS) expect(all.includes(s), `a secret leaked (${s.slice(0, 6)}…)`).toBe(false);
  });
});
