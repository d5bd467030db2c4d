// Module cases ({ params, facts } -> { changes, commands }) and fact parsers of
// @converge/restic-backup, plus the README's coverage of every param, on recorded data.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isSecret, reveal, secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { TSchema } from '@converge/core';
import type { FileState, UnitStatus } from '@converge/modules';
import {
  excludeMatches,
  JobParams,
  parseDrill,
  parseRepositoryConfig,
  parseRepositoryStatus,
  renderJobScript,
  renderJobUnits,
  repositoryFiles,
  RepositoryParams,
  RestoreDrillParams,
  resticJob,
  resticJobs,
  resticRepositories,
  resticRepository,
  resticStatus,
  StatusParams,
} from '@converge/restic-backup';
import { backup, checkBackupConfig, repositoriesWithChunkerSource } from '../../../roles/backup/src/index.js';

const PW = 'correct horse battery staple';
const S3_SECRET = 'ovh-secret-key-0123456789';
const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
const dirState = (path: string, mode = '0700'): FileState => ({
  path,
  type: 'directory',
  parentExists: true,
  target: { type: 'directory', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: 4096, inode: '1:1' },
});
const fileWith = (path: string, content: string, mode: string): FileState => ({
  path,
  type: 'file',
  parentExists: true,
  target: {
    type: 'file',
    mode,
    owner: 'root',
    group: 'root',
    uid: 0,
    gid: 0,
    size: content.length,
    inode: '1:2',
    sha256: createHash('sha256').update(content).digest('hex'),
    content: Buffer.from(content, 'utf8').toString('latin1'),
  },
});

const s3Repo = {
  name: 'ovh',
  password: secret(PW),
  location: { type: 's3' as const, endpoint: 'https://s3.gra.io.cloud.ovh.net', region: 'gra', bucket: 'acme-backups', prefix: 'web1', access_key_id: 'AKOVH', secret_access_key: secret(S3_SECRET) },
};

/** Facts of a repository task: every file as given (or absent), and the repository state. */
function repoFacts(p: Parameters<typeof repositoryFiles>[0], config: ReturnType<typeof parseRepositoryConfig>, present: boolean): Record<string, unknown> {
  const { dirs, files } = repositoryFiles(p);
  const f: Record<string, unknown> = { config };
  dirs.forEach((d, i) => (f[`dir${i}`] = present ? dirState(d.path, d.mode) : absent(d.path)));
  files.forEach((x, i) => (f[`file${i}`] = present ? fileWith(x.path, reveal(x.content), x.mode) : absent(x.path)));
  return f;
}

describe('restic.repository', () => {
  test('a new S3 repository: root-only files written from stdin, then init only when cat config finds none', () => {
    const r = planModule(resticRepository, { params: s3Repo, facts: repoFacts(s3Repo, { state: 'no-env' }, false) });
    expect(r.changes.map((c) => c.path)).toEqual([
      'directory:/etc/restic',
      'directory:/etc/restic/ovh',
      'file:/etc/restic/ovh/password',
      'file:/etc/restic/ovh/env',
      'initialised',
    ]);
    const scripts = r.commands.map((c) => String(c.script)).join('\n');
    for (const s of [PW, S3_SECRET]) expect(scripts).not.toContain(s);
    expect(r.commands.filter((c) => isSecret(c.stdin)).length).toBe(2);
    expect(scripts).toContain("if ! (set -a && . /etc/restic/ovh/env && set +a && exec restic --no-lock cat config) >/dev/null 2>&1; then (set -a && . /etc/restic/ovh/env && set +a && exec restic init); fi");
    for (const d of r.diffs) expect(`${d.before}${d.after}`).not.toContain(S3_SECRET);
  });

  test('the env file names the repository, password file, keys and region', () => {
    const env = reveal(repositoryFiles(s3Repo).files[1]?.content ?? '');
    expect(env).toBe(
      [
        '# Managed by converge: restic repository ovh.',
        "RESTIC_REPOSITORY='s3:https://s3.gra.io.cloud.ovh.net/acme-backups/web1'",
        "RESTIC_PASSWORD_FILE='/etc/restic/ovh/password'",
        "AWS_ACCESS_KEY_ID='AKOVH'",
        `AWS_SECRET_ACCESS_KEY='${S3_SECRET}'`,
        "AWS_DEFAULT_REGION='gra'",
        '',
      ].join('\n'),
    );
  });

  test('an SFTP repository gets its own OpenSSH host alias, key and known host key', () => {
    const p = { name: 'nas', password: secret(PW), location: { type: 'sftp' as const, host: '10.0.0.5', port: 2222, user: 'backup', path: '/srv/restic', private_key: secret('KEY'), known_hosts: '10.0.0.5 ssh-ed25519 AAAA' } };
    const { files } = repositoryFiles(p);
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['/etc/restic/nas/password', '0600'],
      ['/etc/restic/nas/env', '0600'],
      ['/etc/restic/nas/known_hosts', '0644'],
      ['/etc/restic/nas/id', '0600'],
      ['/etc/ssh/ssh_config.d/restic-nas.conf', '0644'],
    ]);
    expect(reveal(files[1]?.content ?? '')).toContain("RESTIC_REPOSITORY='sftp:restic-nas:/srv/restic'");
    expect(files[4]?.content).toContain('Host restic-nas\n  HostName 10.0.0.5\n  Port 2222\n  User backup\n  IdentityFile /etc/restic/nas/id\n');
    expect(files[4]?.content).toContain('StrictHostKeyChecking yes');
  });

  test('a REST repository with basic auth keeps the password in the env file only', () => {
    const p = { name: 'rest', password: secret(PW), location: { type: 'rest' as const, url: 'https://backup.example.net:8000/web1/', user: 'web1', password: secret('p@ss:w/rd') } };
    const env = repositoryFiles(p).files[1]?.content;
    expect(isSecret(env)).toBe(true);
    expect(reveal(env ?? '')).toContain("RESTIC_REPOSITORY='rest:https://web1:p%40ss%3Aw%2Frd@backup.example.net:8000/web1/'");
  });

  test('an env file change shows its lines, the keys masked on both sides (a former key too)', () => {
    const facts = repoFacts(s3Repo, { state: 'initialised', id: '18980cf6a35d8550', version: 2 }, true);
    const files = repositoryFiles(s3Repo).files;
    const i = files.findIndex((f) => f.path === '/etc/restic/ovh/env');
    const old = reveal(files[i]?.content ?? '').replace("AWS_DEFAULT_REGION='gra'", "AWS_DEFAULT_REGION='sbg'").replace(S3_SECRET, 'former-s3-secret-77');
    facts[`file${i}`] = fileWith('/etc/restic/ovh/env', old, '0600');
    const r = planModule(resticRepository, { params: s3Repo, facts });
    expect(r.changes.map((c) => c.path)).toEqual(['content:/etc/restic/ovh/env']);
    const d = r.diffs.find((x) => x.path === '/etc/restic/ovh/env');
    expect(d?.before).toContain("AWS_DEFAULT_REGION='sbg'");
    expect(d?.after).toContain("AWS_DEFAULT_REGION='gra'");
    expect(d?.after).toContain("RESTIC_REPOSITORY='s3:https://s3.gra.io.cloud.ovh.net/acme-backups/web1'");
    for (const side of [d?.before, d?.after]) expect(side).toContain(`AWS_SECRET_ACCESS_KEY=${SECRET_MASK}`);
    for (const s of [S3_SECRET, 'former-s3-secret-77']) expect(`${d?.before}${d?.after}`).not.toContain(s);
  });

  test('the password in a REST server URL is masked in the env file diff, the URL shows', () => {
    const p = { name: 'rest', password: secret(PW), location: { type: 'rest' as const, url: 'https://backup.example.net:8000/web1/', user: 'web1', password: secret('p@ss:w/rd') } };
    const env = repositoryFiles(p).files[1];
    expect(env?.secretSettings?.mask(reveal(env.content))).toContain(`RESTIC_REPOSITORY='rest:https://web1:${SECRET_MASK}@backup.example.net:8000/web1/'`);
  });

  test('up to date and initialised: no change, with the repository id in the reason', () => {
    const r = planModule(resticRepository, { params: s3Repo, facts: repoFacts(s3Repo, { state: 'initialised', id: '18980cf6a35d8550', version: 2 }, true) });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('repository ovh is initialised (id 18980cf6a3, format 2) and its files are up to date');
  });

  test('a repository the password does not open fails the plan instead of being initialised', () => {
    expect(() => planModule(resticRepository, { params: s3Repo, facts: repoFacts(s3Repo, { state: 'wrong-password', message: 'Fatal: wrong password or no key found' }, true) })).toThrow(
      /the password does not open the repository there/,
    );
  });

  test('a copy target is initialised with the primary\'s chunker parameters', () => {
    const p = { name: 'local', password: secret(PW), location: { type: 'local' as const, path: '/var/backups/restic' }, chunker_params_from: 'sftp' };
    const r = planModule(resticRepository, { params: p, facts: repoFacts(p, { state: 'absent' }, true) });
    expect(r.changes.map((c) => c.path)).toEqual(['initialised']);
    expect(String(r.commands.at(-1)?.script)).toContain(
      '(set -a && . /etc/restic/sftp/env && RESTIC_FROM_REPOSITORY=$RESTIC_REPOSITORY && RESTIC_FROM_PASSWORD_FILE=$RESTIC_PASSWORD_FILE && . /etc/restic/local/env && set +a && exec restic init --copy-chunker-params)',
    );
  });

  test('bad params are refused before any host is touched', () => {
    expect(() => planModule(resticRepository, { params: { ...s3Repo, password: PW }, facts: {} })).toThrow(/password/);
    expect(() =>
      planModule(resticRepository, {
        params: { name: 'x', password: secret(PW), location: { type: 'sftp', host: 'h', user: 'u', path: '/r', private_key: secret('k'), identity_file: '/root/.ssh/id', known_hosts: 'h ssh-ed25519 A' } },
        facts: {},
      }),
    ).toThrow(/give private_key or identity_file, not both/);
    expect(() => planModule(resticRepository, { params: { ...s3Repo, name: 'Bad Name' }, facts: {} })).toThrow(/name/);
  });
});

describe('restic.repository_config fact', () => {
  test.each([
    ['rc=0\n{\n  "version": 2,\n  "id": "18980cf6a3",\n  "chunker_polynomial": "38ce2e8acbddd3"\n}\n', { state: 'initialised', id: '18980cf6a3', version: 2 }],
    ['rc=1\nFatal: unable to open config file: Stat: The specified key does not exist.\nIs there a repository at the following location?\ns3:https://x/b\n', { state: 'absent', message: 'Fatal: unable to open config file: Stat: The specified key does not exist.' }],
    ['rc=1\nFatal: wrong password or no key found\n', { state: 'wrong-password', message: 'Fatal: wrong password or no key found' }],
    ['rc=1\nFatal: unable to open repository at sftp:x:/r: ssh: Host key verification failed.\n', { state: 'error', message: 'Fatal: unable to open repository at sftp:x:/r: ssh: Host key verification failed.' }],
    ['rc=127\nrestic: not installed\n', { state: 'no-restic', message: 'restic: not installed' }],
    ['no-env\n', { state: 'no-env' }],
  ])('%j', (out, value) => {
    expect(parseRepositoryConfig(out)).toEqual(value);
  });
});

const job = {
  name: 'www',
  repository: 'sftp',
  copy_to: ['ovh', 'scw'],
  paths: ['/srv/www', '/etc/nginx'],
  excludes: ['*.tmp'],
  tags: ['web'],
  stdin: [{ command: 'mariadb-dump --all-databases --single-transaction', filename: 'all-databases.sql' }],
  pre: ['systemctl is-active mariadb'],
  post: ['logger "backup done: $RESTIC_JOB_STATUS"'],
  retention: { keep_daily: 7, keep_weekly: 4, keep_monthly: 6 },
};

describe('restic.job', () => {
  test('the script backs up, forgets with the policy, copies to each target and keeps hooks in order', () => {
    const script = renderJobScript(job);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines).toContain('set -euo pipefail');
    expect(lines).toContain("restic_in \"$primary\" backup --tag www --tag web --exclude '*.tmp' -- /srv/www /etc/nginx");
    expect(lines).toContain("bash -c 'mariadb-dump --all-databases --single-transaction' | restic_in \"$primary\" backup --stdin --stdin-filename all-databases.sql --tag www --tag web");
    expect(lines).toContain('restic_in "$primary" forget --tag www --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune');
    expect(lines).toContain('restic_copy "$primary" /etc/restic/ovh copy --tag www');
    expect(lines).toContain('restic_in /etc/restic/scw forget --tag www --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune');
    expect(lines.indexOf("bash -c 'systemctl is-active mariadb'")).toBeLessThan(lines.findIndex((l) => l.startsWith('restic_in "$primary" backup')));
    expect(lines).toContain('trap on_exit EXIT');
    expect(lines).toContain("primary=/etc/restic/sftp");
  });

  test('units: oneshot service logging to the journal, timer with randomized delay', () => {
    const u = renderJobUnits({ ...job, on_calendar: '*-*-* 02:30', randomized_delay: '30min', persistent: false });
    expect(u.service).toContain('Type=oneshot\nExecStart=/etc/restic/jobs/www.sh\nSyslogIdentifier=restic-www\n');
    expect(u.timer).toContain('[Timer]\nOnCalendar=*-*-* 02:30\nRandomizedDelaySec=30min\nPersistent=false\n\n[Install]\nWantedBy=timers.target\n');
  });

  const timer = (over: Partial<UnitStatus>): UnitStatus => ({ id: 'restic-www.timer', loadState: 'loaded', activeState: 'active', subState: 'waiting', unitFileState: 'enabled', needDaemonReload: false, fragmentPath: '', isEnabled: 'enabled', ...over });
  function jobFacts(present: boolean, t: UnitStatus): Record<string, unknown> {
    const units = renderJobUnits(job);
    const files: [string, string, string][] = [
      ['/etc/restic/jobs/www.sh', renderJobScript(job), '0700'],
      ['/etc/systemd/system/restic-www.service', units.service, '0644'],
      ['/etc/systemd/system/restic-www.timer', units.timer, '0644'],
    ];
    const f: Record<string, unknown> = { timer: t, dir0: dirState('/etc/restic'), dir1: dirState('/etc/restic/jobs') };
    files.forEach(([path, content, mode], i) => (f[`file${i}`] = present ? fileWith(path, content, mode) : absent(path)));
    return f;
  }

  test('new job: files, daemon-reload, enable and start the timer (check mode predicts the unit)', () => {
    const r = planModule(resticJob, { params: job, facts: jobFacts(false, timer({ loadState: 'not-found', activeState: 'inactive', unitFileState: '' })) });
    expect(r.changes.map((c) => c.path)).toEqual([
      'file:/etc/restic/jobs/www.sh',
      'file:/etc/systemd/system/restic-www.service',
      'file:/etc/systemd/system/restic-www.timer',
      'daemon_reload',
      'enabled',
      'state',
    ]);
    expect(r.commands.slice(-3).map((c) => String(c.script))).toEqual(['systemctl daemon-reload', 'systemctl enable -- restic-www.timer', 'systemctl start -- restic-www.timer']);
  });

  test('up to date: no change; a disabled timer is enabled again', () => {
    expect(planModule(resticJob, { params: job, facts: jobFacts(true, timer({})) }).changes).toEqual([]);
    const r = planModule(resticJob, { params: job, facts: jobFacts(true, timer({ unitFileState: 'disabled' })) });
    expect(r.changes).toEqual([{ path: 'enabled', before: 'disabled', after: true }]);
  });

  test('a job without paths or stdin, or copying to itself, is refused', () => {
    expect(() => planModule(resticJob, { params: { name: 'x', repository: 'r' }, facts: {} })).toThrow(/give paths or stdin/);
    expect(() => planModule(resticJob, { params: { name: 'x', repository: 'r', paths: ['/a'], copy_to: ['r'] }, facts: {} })).toThrow(/copy_to names the job's own repository/);
  });
});

describe('restic.status', () => {
  const out = [
    'now=1796000000',
    '@snapshots',
    'rc=0',
    JSON.stringify([
      { time: '2026-11-29T10:00:00Z', id: 'aaa' },
      { time: '2026-11-29T12:00:00.5Z', id: 'bbb' },
    ]),
    '@check',
    'rc=0',
    'no errors were found',
  ].join('\n');
  const args = { name: 'ovh', config_dir: '/etc/restic', check: true };

  test('parses count, newest snapshot, age on the host clock and check verdict', () => {
    const s = parseRepositoryStatus(out, args);
    expect(s).toMatchObject({ repository: 'ovh', snapshots: 2, latest: '2026-11-29T12:00:00.5Z', latestId: 'bbb', check: 'ok' });
    expect(s.ageHours).toBeCloseTo((1796000000 * 1000 - Date.parse('2026-11-29T12:00:00.5Z')) / 3_600_000, 2);
  });

  test('a failed check and an unreadable repository', () => {
    expect(parseRepositoryStatus(out.replace(/rc=0\nno errors were found/, 'rc=1\nerror: pack abc: not referenced in any index\nFatal: repository contains errors'), args)).toMatchObject({
      check: 'failed',
      checkMessage: 'error: pack abc: not referenced in any index\nFatal: repository contains errors',
    });
    expect(parseRepositoryStatus('now=1\n@snapshots\nrc=1\nFatal: wrong password or no key found\n', args).error).toBe('Fatal: wrong password or no key found');
  });

  test('the plan reports the result and fails stale repositories', () => {
    const facts = { status: parseRepositoryStatus(out, args) };
    const ok = planModule(resticStatus, { params: { repository: 'ovh', check: true }, facts });
    expect(ok.changes).toEqual([]);
    expect(ok.reason).toMatch(/^ovh: 2 snapshot\(s\), newest 2026-11-29T12:00:00.5Z \(.* h old\), check ok$/);
    expect(() => planModule(resticStatus, { params: { repository: 'ovh', max_age_hours: 1 }, facts })).toThrow(/is stale/);
  });
});

describe('restic.restore_drill', () => {
  test('compares restored and live checksums, including names with spaces', () => {
    const sum = (c: string): string => createHash('sha256').update(c).digest('hex');
    const r = parseDrill(
      [
        '@snapshot',
        '[{"id":"abc123","time":"2026-11-29T12:00:00Z"}]',
        '@live',
        `${sum('a')}  ./a.txt`,
        `${sum('B')}  ./sub/b c.txt`,
        `${sum('n')}  ./new.txt`,
        '@restored',
        `${sum('a')}  ./a.txt`,
        `${sum('b')}  ./sub/b c.txt`,
        `${sum('o')}  ./old.txt`,
        '',
      ].join('\n'),
    );
    expect(r).toEqual({
      snapshot: 'abc123',
      snapshotTime: '2026-11-29T12:00:00Z',
      files: 3,
      mismatches: [
        { path: 'new.txt', kind: 'missing' },
        { path: 'old.txt', kind: 'extra' },
        { path: 'sub/b c.txt', kind: 'differs' },
      ],
    });
  });
});

describe('excludes in the drill', () => {
  test.each([
    ['*.tmp', '/srv/data/skip.tmp', true],
    ['*.tmp', '/srv/data/sub/x.tmp', true],
    ['*.tmp', '/srv/data/a.txt', false],
    ['cache', '/srv/data/cache/x', true],
    ['/srv/data/sub', '/srv/data/sub/b c.txt', true],
    ['/srv/data/sub', '/srv/other/srv/data/sub', false],
    ['sub/*.bin', '/srv/data/sub/blob.bin', true],
    ['**/*.log', '/srv/data/a/b/c.log', true],
  ])('%s matches %s: %s', (pattern, path, hit) => {
    expect(excludeMatches(pattern, path)).toBe(hit);
  });

  test('excluded live files are not reported missing', () => {
    const out = `@snapshot\n[{"id":"a","time":"t"}]\n@live\n${'0'.repeat(64)}  ./skip.tmp\n@restored\n`;
    expect(parseDrill(out, '/srv/data', ['*.tmp']).mismatches).toEqual([]);
    expect(parseDrill(out, '/srv/data').mismatches).toEqual([{ path: 'skip.tmp', kind: 'missing' }]);
  });
});

describe('roles/backup', () => {
  const local = { name: 'local', password: secret(PW), location: { type: 'local' as const, path: '/var/backups/restic' } };
  test('copy targets get the primary as chunker source', () => {
    const repos = repositoriesWithChunkerSource({ repositories: [local, s3Repo], jobs: [{ name: 'www', repository: 'local', copy_to: ['ovh'], paths: ['/srv/www'] }] });
    expect(repos.map((r) => [r.name, r.chunker_params_from])).toEqual([
      ['local', undefined],
      ['ovh', 'local'],
    ]);
  });

  test('the typed helper gives the role and its var; inconsistent configs are refused', () => {
    const use = backup({ repositories: [local], jobs: [] }) as { role: { name: string; tasks: { options: { name?: string } }[] }; vars: Record<string, unknown> };
    expect(use.role.name).toBe('backup');
    expect(use.role.tasks.map((t) => t.options.name)).toEqual(['restic installed', 'restic repositories', 'restic jobs']);
    expect(Object.keys(use.vars)).toEqual(['restic_backup']);
    expect(() => backup({ repositories: [local], jobs: [{ name: 'www', repository: 'nope', paths: ['/a'] }] })).toThrow(/backs up to nope, which is not in repositories/);
    const scw = { ...s3Repo, name: 'scw', location: { ...s3Repo.location, endpoint: 'https://s3.fr-par.scw.cloud', region: 'fr-par', access_key_id: 'SCWKEY', secret_access_key: secret('scw-secret-0123') } };
    expect(() => checkBackupConfig({ repositories: [s3Repo, scw], jobs: [{ name: 'www', repository: 'ovh', copy_to: ['scw'], paths: ['/a'] }] })).toThrow(/with other keys/);
  });
});

describe('restic.repositories and restic.jobs', () => {
  const local = { name: 'local', password: secret(PW), location: { type: 'local' as const, path: '/var/backups/restic' } };
  test('plans each entry with its own facts and names the changes after it', () => {
    const one = repoFacts(local, { state: 'initialised', id: 'abc', version: 2 }, true);
    const two = repoFacts(s3Repo, { state: 'no-env' }, false);
    const facts = { ...Object.fromEntries(Object.entries(one).map(([k, v]) => [`0:${k}`, v])), ...Object.fromEntries(Object.entries(two).map(([k, v]) => [`1:${k}`, v])) };
    const r = planModule(resticRepositories, { params: { repositories: [local, s3Repo] }, facts });
    expect(r.changes.map((c) => c.path)).toEqual([
      'ovh.directory:/etc/restic',
      'ovh.directory:/etc/restic/ovh',
      'ovh.file:/etc/restic/ovh/password',
      'ovh.file:/etc/restic/ovh/env',
      'ovh.initialised',
    ]);
    expect(r.commands.map((c) => c.description)).toEqual(['create /etc/restic', 'create /etc/restic/ovh', 'write /etc/restic/ovh/password', 'write /etc/restic/ovh/env', 'restic init ovh']);
    expect(planModule(resticRepositories, { params: { repositories: [local] }, facts: Object.fromEntries(Object.entries(one).map(([k, v]) => [`0:${k}`, v])) }).reason).toMatch(/^repository local is initialised/);
  });

  test('an entry\'s own checks and duplicate names are refused with the entry named', () => {
    expect(() => planModule(resticJobs, { params: { jobs: [{ name: 'a', repository: 'r', paths: ['/x'] }, { name: 'b', repository: 'r' }] }, facts: {} })).toThrow(/jobs\[1\] \(b\): give paths or stdin/);
    expect(() => planModule(resticJobs, { params: { jobs: [{ name: 'a', repository: 'r', paths: ['/x'] }, { name: 'a', repository: 'r', paths: ['/y'] }] }, facts: {} })).toThrow(/jobs: a is listed twice/);
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  function names(schema: TSchema, prefix = ''): string[] {
    const s = schema as { properties?: Record<string, TSchema>; anyOf?: TSchema[]; items?: TSchema };
    if (s.anyOf) return s.anyOf.flatMap((x) => names(x, prefix));
    if (s.items) return names(s.items, prefix);
    if (!s.properties) return [];
    return Object.entries(s.properties).flatMap(([k, v]) => [`${prefix}${k}`, ...names(v, `${prefix}${k}.`)]);
  }
  test.each([
    ['restic.repository', RepositoryParams],
    ['restic.job', JobParams],
    ['restic.status', StatusParams],
    ['restic.restore_drill', RestoreDrillParams],
  ])('documents every param of %s', (mod, schema) => {
    const section = readme.split(/^### /m).find((s) => s.startsWith(`\`${mod}\``)) ?? '';
    expect(section, `README has a "### \`${mod}\`" section`).not.toBe('');
    const missing = [...new Set(names(schema))].filter((n) => !section.includes(`| \`${n}\``));
    expect(missing).toEqual([]);
  });
});
