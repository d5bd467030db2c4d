// apt.repository on a real Debian 12 container, against a real signed repository built on the
// host itself (dpkg-deb, apt-ftparchive, a gpg key made for the test) and served from file:, so
// that apt verifies the InRelease signature with the keyring the module installs. Every
// converge runs as check, run, run again (zero changes), check again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { apt, copy } from '../../src/index.js';

let hosts: TestHosts;
const H = 'nfsapt1';
let publicKey = '';
let fingerprint = '';
const sh = async (cmd: string): Promise<string> => {
  const r = await hosts.exec(H, cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

const BUILD_REPOSITORY = String.raw`set -e
export DEBIAN_FRONTEND=noninteractive GNUPGHOME=/root/repo-gnupg
apt-get install -y -q apt-utils gpg >/dev/null 2>&1
mkdir -p -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'converge demo repository <repo@converge.test>' ed25519 sign never 2>/dev/null
mkdir -p /srv/repo
for v in 1.0 2.0; do
  d=/tmp/pkg/converge-demo_$v; mkdir -p $d/DEBIAN $d/usr/share/converge-demo
  printf 'Package: converge-demo\nVersion: %s\nArchitecture: all\nMaintainer: converge <repo@converge.test>\nDescription: converge test package\n' $v > $d/DEBIAN/control
  echo $v > $d/usr/share/converge-demo/version
  dpkg-deb --build --root-owner-group $d /srv/repo/converge-demo_$v\_all.deb >/dev/null
done
cd /srv/repo && apt-ftparchive packages . > Packages && apt-ftparchive release . > Release && gpg --batch --yes --clearsign -o InRelease Release
`;

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'nfsapt' });
  await sh(BUILD_REPOSITORY);
  publicKey = `${await sh('GNUPGHOME=/root/repo-gnupg gpg --armor --export repo@converge.test')}\n`;
  fingerprint = (await sh("GNUPGHOME=/root/repo-gnupg gpg --with-colons --fingerprint repo@converge.test | awk -F: '$1 == \"fpr\" { print $10; exit }'"));
});
afterAll(async () => {
  await hosts?.stop();
});

const demo = () => ({ name: 'cvgdemo', uris: ['file:/srv/repo'], suites: ['./'], key: publicKey, key_fingerprints: [fingerprint] });
const policy = async () => sh('apt-cache policy converge-demo');

describe('apt.repository', () => {
  test('a signed repository with a version pin; apt installs the pinned version; twice', async () => {
    const { first } = await convergeTwice(hosts, [apt.repository({ ...demo(), pin: { packages: ['converge-demo'], version: '1.0' } }), apt({ name: 'converge-demo' })]);
    expect(first.tasks.find((t) => t.module === 'apt.repository')?.changes?.map((c) => c.path)).toEqual(['keyring', 'sources', 'pin', 'cache']);
    expect(await sh('cat /etc/apt/sources.list.d/cvgdemo.sources')).toBe(
      '# Managed by converge (apt.repository cvgdemo)\nTypes: deb\nURIs: file:/srv/repo\nSuites: ./\nSigned-By: /etc/apt/keyrings/cvgdemo.gpg',
    );
    expect(await sh('stat -c %a:%U:%G /etc/apt/sources.list.d/cvgdemo.sources /etc/apt/keyrings/cvgdemo.gpg /etc/apt/preferences.d/cvgdemo.pref')).toBe('644:root:root\n644:root:root\n644:root:root');
    // The keyring is byte for byte what gpg --dearmor makes of the armored key.
    await sh(`printf '%s' '${publicKey}' | gpg --dearmor | cmp - /etc/apt/keyrings/cvgdemo.gpg`);
    expect(await sh('cat /usr/share/converge-demo/version')).toBe('1.0');
    expect(await policy()).toMatch(/Candidate: 1\.0\n/);
    expect(await policy()).toMatch(/2\.0 500\n\s+500 file:\/srv\/repo \.\/ Packages/);
  });

  test('the pin removed: only the pin file goes (no update), then apt upgrades to the newest; twice', async () => {
    // Two plays: check mode cannot know the candidate a removed pin will give (apt-cache policy
    // reads the preferences as they are), so the upgrade is converged once the pin is gone.
    const { first } = await convergeTwice(hosts, [apt.repository(demo())]);
    expect(first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['pin']);
    expect(await sh('test -e /etc/apt/preferences.d/cvgdemo.pref || echo gone')).toBe('gone');
    expect(await policy()).toMatch(/Candidate: 2\.0\n/);
    await convergeTwice(hosts, [apt({ name: 'converge-demo', state: 'latest' })]);
    expect(await sh('cat /usr/share/converge-demo/version')).toBe('2.0');
  });

  test('a signature apt refuses (the key of another repository) fails the task with what apt said', async () => {
    const other = await sh(
      "export GNUPGHOME=$(mktemp -d); gpg --batch --quiet --passphrase '' --quick-gen-key 'other <other@converge.test>' ed25519 sign never 2>/dev/null; gpg --armor --export other@converge.test",
    );
    const report = await runTasks(hosts, [apt.repository({ ...demo(), key: `${other}\n`, key_fingerprints: undefined })]);
    const row = report.tasks.find((t) => t.module === 'apt.repository');
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/apt-get update failed with exit code 100:[\s\S]*NO_PUBKEY[\s\S]*apt refused the signature of this repository/);
    // The update stays due: a run without the right key keeps failing.
    const again = await runTasks(hosts, [apt.repository({ ...demo(), key: `${other}\n`, key_fingerprints: undefined })]);
    expect(again.tasks[0]?.changes?.map((c) => c.path)).toEqual(['cache']);
    expect(again.tasks[0]?.status).toBe('failed');
    // Restored by the right key: only the keyring and the pending update change.
    const { first } = await convergeTwice(hosts, [apt.repository(demo())]);
    expect(first.tasks[0]?.changes?.map((c) => c.path)).toEqual(['keyring', 'cache']);
  });

  test('an unreachable repository is a warning of apt-get update, not a failure; twice', async () => {
    const { first } = await convergeTwice(hosts, [
      apt.repository({ name: 'unreachable', uris: ['http://repository.converge.invalid/debian'], suites: ['stable'], components: ['main'], key: publicKey }),
    ]);
    expect(first.tasks[0]?.message).toBe(
      "apt-get update: W: Failed to fetch http://repository.converge.invalid/debian/dists/stable/InRelease  Could not resolve 'repository.converge.invalid'",
    );
    await convergeTwice(hosts, [apt.repository({ name: 'unreachable', state: 'absent' })]);
    expect(await sh('ls /etc/apt/sources.list.d /etc/apt/keyrings')).not.toMatch(/unreachable/);
  });

  test('apt update_cache with a long cache_valid_time still refreshes after a source changed by another task; twice', async () => {
    await convergeTwice(hosts, [apt({ name: 'converge-demo', state: 'absent', purge: true }), apt.repository({ name: 'cvgdemo', state: 'absent' })]);
    const sources = 'Types: deb\nURIs: file:/srv/repo\nSuites: ./\nSigned-By: /etc/apt/keyrings/by-hand.gpg\n';
    await sh(`printf '%s' '${publicKey}' | gpg --dearmor > /etc/apt/keyrings/by-hand.gpg`);
    const { first } = await convergeTwice(hosts, [
      copy({ dest: '/etc/apt/sources.list.d/by-hand.sources', content: sources }),
      apt({ name: 'converge-demo', update_cache: true, cache_valid_time: 86400 }),
    ]);
    expect(first.tasks.find((t) => t.module === 'apt')?.changes?.map((c) => c.path)).toEqual(['cache', 'packages.converge-demo']);
    expect(await sh('cat /usr/share/converge-demo/version')).toBe('2.0');
  });
});
