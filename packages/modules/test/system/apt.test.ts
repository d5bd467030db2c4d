import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { apt, parsePackageSpec, versionMatches } from '../../src/apt/apt.js';
import { LOCK_TIMEOUT_EXIT } from '../../src/apt/lock-wait.js';
import { aptDeb, aptListsAge, parseAptPolicy, parseAutoremovable, parseDpkgQuery } from '../../src/apt/package-facts.js';

// Recorded on Debian 12 (apt 2.6.1, dpkg 1.21.23) in the converge test image.
const DPKG_QUERY = 'libc6:amd64\tlibc6\t2.36-9+deb12u14\tii \nsudo\tsudo\t1.9.13p3-1+deb12u4\tii \nold\told\t1.0-1\trc \n';
const POLICY = `hello:
  Installed: (none)
  Candidate: 2.10-3
  Version table:
     2.10-3 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
sudo:
  Installed: 1.9.13p3-1+deb12u4
  Candidate: 1.9.13p3-1+deb12u4
  Version table:
 *** 1.9.13p3-1+deb12u4 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
`;
const OPTS = '-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';
const installed = parseDpkgQuery(DPKG_QUERY);

describe('apt facts', () => {
  test('dpkg-query: plain and arch-qualified names, status letters', () => {
    expect(installed).toEqual({
      'libc6:amd64': { version: '2.36-9+deb12u14', status: 'i' },
      libc6: { version: '2.36-9+deb12u14', status: 'i' },
      sudo: { version: '1.9.13p3-1+deb12u4', status: 'i' },
      old: { version: '1.0-1', status: 'c' },
    });
  });
  test('apt-cache policy: installed and candidate, (none) as null', () => {
    expect(parseAptPolicy(POLICY)).toEqual({
      hello: { installed: null, candidate: '2.10-3' },
      sudo: { installed: '1.9.13p3-1+deb12u4', candidate: '1.9.13p3-1+deb12u4' },
    });
  });
  test('apt-get -s autoremove', () => {
    expect(parseAutoremovable('Reading package lists...\nRemv libfoo1 [1.0]\nRemv bar [2]\n0 upgraded, 0 newly installed, 2 to remove and 0 not upgraded.\n')).toEqual(['bar', 'libfoo1']);
    expect(parseAutoremovable('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n')).toEqual([]);
  });
  test.each([
    ['320\n', { ageSeconds: 320, sourcesChanged: false }],
    ['320\nsources-changed\n', { ageSeconds: 320, sourcesChanged: true }],
    ['never\n', { ageSeconds: null, sourcesChanged: false }],
  ])('lists age %j', (out, value) => {
    expect(aptListsAge.definition.parse(out, { args: {}, exitCode: 0, stderr: '' })).toEqual(value);
  });
  test('a .deb file and its installed state', () => {
    const parse = (out: string) => aptDeb.definition.parse(out, { args: { path: '/tmp/hello.deb' }, exitCode: 0, stderr: '' });
    expect(parse('deb\thello\t2.10-3\nhello\thello\t2.10-3\tii \n')).toEqual({ exists: true, package: 'hello', version: '2.10-3', installed: { version: '2.10-3', status: 'i' } });
    expect(parse('missing\n')).toEqual({ exists: false });
  });
});

describe('package specs', () => {
  test.each([
    ['nginx', { name: 'nginx' }],
    ['nginx=1.22.1-9', { name: 'nginx', version: '1.22.1-9' }],
    ['libc6:amd64=2.36*', { name: 'libc6:amd64', version: '2.36*' }],
  ])('%s', (spec, value) => expect(parsePackageSpec(spec)).toEqual(value));
  test.each([
    ['1.22.1-9', '1.22.1-9', true],
    ['1.22.1-9', '1.22*', true],
    ['1.23.0-1', '1.22*', false],
    ['1.22.1+b1', '1.22.1', false],
  ])('%s matches %s: %s', (v, w, ok) => expect(versionMatches(v, w)).toBe(ok));
});

const body = (r: ReturnType<typeof planModule>): string[] => {
  const s = String(r.commands[0]?.script ?? '');
  return s.slice(s.indexOf('\n', s.indexOf('converge_deadline=')) + 1).split(' &&\n');
};

describe('module apt', () => {
  test.each([
    { case: 'installs what is missing', params: { name: ['sudo', 'hello'] }, facts: { installed }, changes: [{ path: 'packages.hello', before: null, after: 'installed' }], calls: [`converge_apt_get ${OPTS} install -- hello`] },
    { case: 'nothing to do when installed', params: { name: 'sudo' }, facts: { installed }, changes: [], calls: [''] },
    { case: 'a pinned version', params: { name: 'sudo=1.9.13p3-1+deb12u5', allow_downgrade: true }, facts: { installed }, changes: [{ path: 'packages.sudo', before: '1.9.13p3-1+deb12u4', after: '1.9.13p3-1+deb12u5' }], calls: [`converge_apt_get ${OPTS} --allow-downgrades install -- sudo=1.9.13p3-1+deb12u5`] },
    { case: 'latest when the candidate is newer', params: { name: 'sudo', state: 'latest' }, facts: { installed, candidates: { sudo: { installed: '1.9.13p3-1+deb12u4', candidate: '1.9.14-1' } } }, changes: [{ path: 'packages.sudo', before: '1.9.13p3-1+deb12u4', after: '1.9.14-1' }], calls: [`converge_apt_get ${OPTS} install -- sudo`] },
    { case: 'latest and already newest', params: { name: 'sudo', state: 'latest' }, facts: { installed, candidates: parseAptPolicy(POLICY) }, changes: [], calls: [''] },
    { case: 'removes', params: { name: ['sudo', 'hello', 'old'], state: 'absent' }, facts: { installed }, changes: [{ path: 'packages.sudo', before: '1.9.13p3-1+deb12u4', after: null }], calls: [`converge_apt_get ${OPTS} remove -- sudo`] },
    { case: 'purge also takes config-files leftovers', params: { name: ['old'], state: 'absent', purge: true, autoremove: true }, facts: { installed, autoremovable: [] }, changes: [{ path: 'packages.old', before: 'config-files', after: null }], calls: [`converge_apt_get ${OPTS} purge --autoremove -- old`] },
    { case: 'refreshes stale lists before installing', params: { name: 'hello', update_cache: true, cache_valid_time: 3600, install_recommends: false }, facts: { installed, lists: { ageSeconds: 7200 } }, changes: [{ path: 'cache', before: 'updated 7200s ago', after: 'updated' }, { path: 'packages.hello', before: null, after: 'installed' }], calls: ['converge_apt_get -q update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp', `converge_apt_get ${OPTS} --no-install-recommends install -- hello`] },
    { case: 'no refresh when nothing is to be installed', params: { name: 'sudo', update_cache: true }, facts: { installed, lists: { ageSeconds: 7200 } }, changes: [], calls: [''] },
    { case: 'refreshes fresh lists when a source changed since', params: { update_cache: true, cache_valid_time: 3600 }, facts: { lists: { ageSeconds: 60, sourcesChanged: true } }, changes: [{ path: 'cache', before: 'updated 60s ago, before the sources changed', after: 'updated' }], calls: ['converge_apt_get -q update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp'] },
    { case: 'no refresh while the lists are fresh', params: { update_cache: true, cache_valid_time: 3600 }, facts: { lists: { ageSeconds: 60 } }, changes: [], calls: [''] },
    { case: 'refresh alone', params: { update_cache: true }, facts: { lists: { ageSeconds: null } }, changes: [{ path: 'cache', before: 'never updated', after: 'updated' }], calls: ['converge_apt_get -q update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp'] },
    { case: 'autoremove alone', params: { autoremove: true }, facts: { autoremovable: ['libfoo1'] }, changes: [{ path: 'autoremove', before: ['libfoo1'], after: [] }], calls: [`converge_apt_get ${OPTS} autoremove`] },
    { case: 'a .deb not installed yet', params: { deb: '/tmp/hello.deb' }, facts: { deb: { exists: true, package: 'hello', version: '2.10-3' } }, changes: [{ path: 'packages.hello', before: null, after: '2.10-3' }], calls: [`converge_apt_get ${OPTS} install -- /tmp/hello.deb`] },
  ])('$case', ({ params, facts, changes, calls }) => {
    const r = planModule(apt, { params, facts });
    expect(r.changes).toEqual(changes);
    expect(body(r)).toEqual(calls);
    if (changes.length === 0) expect(r.reason).toBeTruthy();
  });

  test('every apply is one step that waits for the lock, bounded by lock_timeout', () => {
    const r = planModule(apt, { params: { name: 'hello', lock_timeout: 30 }, facts: { installed } });
    expect(r.commands).toHaveLength(1);
    expect(String(r.commands[0]?.script)).toContain('converge_lock_timeout=30;');
    expect(String(r.commands[0]?.script)).toContain('DPkg::Lock::Timeout="$rest"');
  });

  test('a missing .deb is an error unless an earlier task may put it there', () => {
    expect(() => planModule(apt, { params: { deb: '/tmp/x.deb' }, facts: { deb: { exists: false } } })).toThrow(/does not exist/);
    expect(planModule(apt, { params: { deb: '/tmp/x.deb' }, facts: { deb: { exists: false } }, upstreamChanged: true }).changes).toHaveLength(1);
  });

  test.each([{ state: 'present' }, { name: 'sudo=1', state: 'latest' }, { name: 'Bad Name' }, { name: 'x', deb: '/a.deb', state: 'absent' }])('rejects %j', (params) => {
    expect(() => planModule(apt, { params, facts: {} })).toThrow();
  });

  test('outcome: a lock timeout fails with the holder named', () => {
    const stderr =
      'converge: waiting up to 5s for the package manager lock: /var/lib/dpkg/lock-frontend is held by pid 429 (/usr/bin/python3 /usr/bin/unattended-upgrade)\n' +
      'converge: gave up after waiting 5s for the package manager lock: /var/lib/dpkg/lock-frontend is held by pid 429 (/usr/bin/python3 /usr/bin/unattended-upgrade)\n';
    const o = apt.definition.outcome?.({ stdout: '', stderr, exitCode: LOCK_TIMEOUT_EXIT, durationMs: 5000 }, {} as never);
    expect(o).toMatchObject({ failed: true, message: 'gave up after waiting 5s for the package manager lock: /var/lib/dpkg/lock-frontend is held by pid 429 (/usr/bin/python3 /usr/bin/unattended-upgrade)' });
  });
});

describe('apt in check mode tells an unknown package from one it would install', () => {
  const installed = parseDpkgQuery(DPKG_QUERY);
  const missing = parseAptPolicy(POLICY);
  test('a known package that is not installed is planned for install', () => {
    const r = planModule(apt, { params: { name: 'hello' }, facts: { installed, missing } });
    expect(r.changes).toEqual([{ path: 'packages.hello', before: null, after: 'installed' }]);
  });
  test('a package apt does not know fails the plan, naming it', () => {
    expect(() => planModule(apt, { params: { name: ['hello', 'helo-typo'] }, facts: { installed, missing } })).toThrow(/helo-typo has no installation candidate/);
  });
  test('a refresh that is due may make it known: the install is predicted', () => {
    const r = planModule(apt, { params: { name: 'helo-typo', update_cache: true, cache_valid_time: 60 }, facts: { installed, missing, lists: { ageSeconds: 3600 } } });
    expect(r.changes.map((c) => c.path)).toEqual(['cache', 'packages.helo-typo']);
  });
});
