// @converge/maxscale and roles/sql-router on real Debian 12 containers: mxs1 is a one-node
// Galera cluster (MariaDB 10.11 and galera-4 from Debian, bootstrapped by the database-cluster
// role) and, with mxs2, one of the two router hosts.
//
// MariaDB's MaxScale repository cannot be reached from the test machines (only Debian's mirror
// is), so: the monitor and service accounts are converged on the real cluster and checked by
// connecting as them; the repository files, keyring and pin, the maxscale account and
// maxscale.cnf are converged for real on both routers (with a stand-in key made for the tests:
// the role takes the key as content, and no signature can be checked without the repository;
// `apt-get update` only warns that the vendor host is unreachable). Installing MaxScale,
// `maxscale --config-check` and a runtime change through maxctrl are a test that runs when the
// container can fetch MariaDB's keyring, and says why it was skipped elsewhere. Every converge
// runs as check, run, run again (zero changes), check again, and the check's predictions must
// equal the run's changes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { Secret } from '@converge/core';
import { convergeTwice, failures, runPlays, startHosts, type TestHosts } from '@converge/testing';
import { databaseClusterPlays } from '../../../roles/database-cluster/src/index.js';
import { sqlRouter, sqlRouterPlays, type SqlRouterVars } from '../../../roles/sql-router/src/index.js';
import { SERVICE_PRIVILEGES, maxscaleAccounts, renderMaxscaleConfig } from '../src/index.js';
import type { MaxscaleConfigParams } from '../src/index.js';

const LONG = 1_200_000;
// A key made for the tests (packages/modules/test/system/fixtures), standing in for MariaDB's.
const STAND_IN_KEY = readFileSync(new URL('../../modules/test/system/fixtures/repository-key.asc', import.meta.url), 'utf8');
const STAND_IN_FINGERPRINT = 'CE0F095ADFAD7FA8B0448FFEA23FA0375B2E071D';
const MONITOR_PW = 'mxs-monitor-s3cret';
const SERVICE_PW = 'mxs-service-s3cret';
const REST_PW = 'mxs-rest-s3cret';

let hosts: TestHosts;
let dbAddress = '';
let accountHost = '';
const sh = async (host: string, cmd: string): Promise<string> => {
  const r = await hosts.exec(host, cmd);
  if (r.exitCode !== 0) throw new Error(`${host}: ${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(async () => {
  hosts = await startHosts(2, { prefix: 'mxs', groups: { galera: ['mxs1'], maxscale: ['mxs1', 'mxs2'] } });
  dbAddress = hosts.hosts[0]!.address;
  // The routers connect from the test network: the accounts' host part is its /16.
  accountHost = `${dbAddress.split('.').slice(0, 2).join('.')}.%`;
  const report = await runPlays(hosts, databaseClusterPlays({ cluster_name: 'mxs', sst_password: secret('mxs-sst-pw') }, { size: 1 }));
  const failed = failures(report);
  if (failed.length > 0) throw new Error(`the Galera node did not converge:\n${failed.join('\n')}`);
}, LONG);
afterAll(async () => {
  await hosts?.stop();
});

const config = (extra: Partial<MaxscaleConfigParams> = {}): MaxscaleConfigParams => ({
  servers: [{ name: 'db1', address: dbAddress, priority: 1 }],
  monitor: { user: 'maxscale_monitor', password: secret(MONITOR_PW) as Secret, monitor_interval: '2s', use_priority: true },
  service: { user: 'maxscale', password: secret(SERVICE_PW) as Secret, transaction_replay: true },
  ...extra,
});
const routerVars = (maxscale: MaxscaleConfigParams, more: Partial<SqlRouterVars> = {}): SqlRouterVars => ({
  mariadb_key: STAND_IN_KEY,
  key_fingerprints: [STAND_IN_FINGERPRINT],
  install: false,
  maxscale,
  rest_api: { user: 'ops', password: secret(REST_PW) as Secret },
  ...more,
});
const converge = (vars: SqlRouterVars) => {
  const use = sqlRouter(vars);
  const role = 'role' in use ? use.role : use;
  return convergeTwice(hosts, role.tasks, { hosts: 'maxscale', vars: use.vars as Record<string, unknown> });
};
/** Runs SQL on mxs1 over TCP as an account, the way MaxScale connects (from the test network). */
const asUser = (user: string, password: string, sql: string) =>
  hosts.exec('mxs1', `MYSQL_PWD='${password}' mariadb -h ${dbAddress} -u ${user} -N -B -e "${sql}" 2>&1`);

describe('the MaxScale accounts on a real Galera node (MariaDB 10.11)', () => {
  test('monitor and service users with exactly the documented grants; twice; the users can do their job and no more', async () => {
    expect(await sh('mxs1', "mariadb -N -B -e \"SHOW STATUS LIKE 'wsrep_local_state_comment'\"")).toBe('wsrep_local_state_comment\tSynced');
    const tasks = maxscaleAccounts({ monitor: { user: 'maxscale_monitor', password: secret(MONITOR_PW) }, service: { user: 'maxscale', password: secret(SERVICE_PW) }, hosts: [accountHost] });
    const { first } = await convergeTwice(hosts, tasks, { hosts: 'galera[0]' });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => t.task)).toEqual([
      `MaxScale monitor user maxscale_monitor@${accountHost}`,
      `MaxScale monitor grants maxscale_monitor@${accountHost}`,
      `MaxScale service user maxscale@${accountHost}`,
      `MaxScale service grants maxscale@${accountHost}`,
    ]);
    expect(JSON.stringify(first)).not.toContain(MONITOR_PW);

    // Exactly the grants (as MariaDB 10.11 prints them: REPLICATION CLIENT is BINLOG MONITOR).
    const grants = async (user: string) => (await sh('mxs1', `mariadb -N -B -e "SHOW GRANTS FOR '${user}'@'${accountHost}'"`)).split('\n').map((l) => l.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''));
    expect(await grants('maxscale_monitor')).toEqual([`GRANT BINLOG MONITOR ON *.* TO \`maxscale_monitor\`@\`${accountHost}\``]);
    expect((await grants('maxscale')).sort()).toEqual(
      [
        `GRANT SHOW DATABASES ON *.* TO \`maxscale\`@\`${accountHost}\``,
        ...SERVICE_PRIVILEGES.filter((g) => g.on !== '*.*').map((g) => `GRANT SELECT ON \`mysql\`.\`${g.on.slice('mysql.'.length)}\` TO \`maxscale\`@\`${accountHost}\``),
      ].sort(),
    );

    // What galeramon reads, as the monitor user; what the service reads to authenticate clients, as the service user.
    const wsrep = await asUser('maxscale_monitor', MONITOR_PW, "SHOW STATUS LIKE 'wsrep_local_state_comment'");
    expect(wsrep.stdout.trim()).toBe('wsrep_local_state_comment\tSynced');
    const accounts = await asUser('maxscale', SERVICE_PW, "SELECT COUNT(*) > 0 FROM mysql.user; SELECT COUNT(*) >= 0 FROM mysql.db; SELECT COUNT(*) >= 0 FROM mysql.roles_mapping; SELECT COUNT(*) > 0 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'mysql'");
    expect(accounts.stdout.trim()).toBe('1\n1\n1\n1');
    // And no more: neither reads application data nor the other privilege tables.
    expect((await asUser('maxscale', SERVICE_PW, 'SELECT * FROM mysql.global_priv LIMIT 1')).stdout).toMatch(/SELECT command denied/);
    expect((await asUser('maxscale_monitor', MONITOR_PW, 'SELECT User FROM mysql.user LIMIT 1')).stdout).toMatch(/SELECT command denied/);
    expect((await asUser('maxscale', 'wrong-password', 'SELECT 1')).stdout).toMatch(/Access denied/);
  }, LONG);
});

describe('roles/sql-router on two router hosts, without the MaxScale package', () => {
  test('repository, keyring and pin; the maxscale account; maxscale.cnf 0640 root:maxscale, identical on both; twice', async () => {
    const { first } = await converge(routerVars(config()));
    for (const h of ['mxs1', 'mxs2']) {
      expect(await sh(h, 'cat /etc/apt/sources.list.d/maxscale.sources')).toBe(
        '# Managed by converge (apt.repository maxscale)\nTypes: deb\nURIs: https://dlm.mariadb.com/repo/maxscale/24.02/apt\nSuites: bookworm\nComponents: main\nArchitectures: amd64 arm64\nSigned-By: /etc/apt/keyrings/maxscale.gpg',
      );
      expect(await sh(h, 'cat /etc/apt/preferences.d/maxscale.pref')).toBe('Explanation: Managed by converge (apt.repository maxscale)\nPackage: maxscale\nPin: version 24.02.*\nPin-Priority: 1001');
      // The keyring is byte for byte what gpg --dearmor makes of the armored key (gpg from Debian for the check).
      await sh(h, 'command -v gpg >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q gpg >/dev/null');
      await sh(h, `printf '%s' '${STAND_IN_KEY}' | gpg --dearmor | cmp - /etc/apt/keyrings/maxscale.gpg`);
      expect(await sh(h, 'stat -c %a:%U:%G /etc/apt/sources.list.d/maxscale.sources /etc/apt/keyrings/maxscale.gpg /etc/apt/preferences.d/maxscale.pref')).toBe('644:root:root\n644:root:root\n644:root:root');
      expect(await sh(h, 'getent passwd maxscale | cut -d: -f6,7')).toBe('/var/lib/maxscale:/usr/sbin/nologin');
      expect(await sh(h, 'stat -c %a:%U:%G /etc/maxscale.cnf /root/.maxctrl.cnf')).toBe('640:root:maxscale\n600:root:root');
      expect(`${await sh(h, 'cat /etc/maxscale.cnf')}\n`).toBe(renderMaxscaleConfig(config()).text);
      expect(await sh(h, 'cat /root/.maxctrl.cnf')).toContain(`u = ops\np = ${REST_PW}\nh = 127.0.0.1:8989`);
      // MaxScale (running as maxscale) reads the file; other users do not.
      expect(await sh(h, 'runuser -u maxscale -- grep -c ^password= /etc/maxscale.cnf')).toBe('2');
      expect(await sh(h, 'runuser -u nobody -- cat /etc/maxscale.cnf 2>&1 || echo refused')).toMatch(/Permission denied\nrefused$/);
    }
    expect(await sh('mxs1', 'sha256sum /etc/maxscale.cnf | cut -d" " -f1')).toBe(await sh('mxs2', 'sha256sum /etc/maxscale.cnf | cut -d" " -f1'));
    // The vendor repository is unreachable here: apt-get update said so, and the task did not fail.
    expect(first.tasks.find((t) => t.module === 'apt.repository' && t.host === 'mxs2')?.message).toMatch(/apt-get update: W: .*dlm\.mariadb\.com/);
    // No password in any report: not in the changes, not in the diffs.
    expect(JSON.stringify(first)).not.toMatch(new RegExp(`${MONITOR_PW}|${SERVICE_PW}|${REST_PW}`));
  }, LONG);

  test('a changed model: only maxscale.cnf changes (MaxScale is not running, so no maxctrl and no restart); twice', async () => {
    const changed = config({ servers: [{ name: 'db1', address: dbAddress, priority: 1 }, { name: 'db2', address: '10.99.0.2', priority: 2 }], monitor: { ...config().monitor, monitor_interval: '5s' } });
    const { first } = await converge(routerVars(changed));
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => `${t.host} ${t.task} ${t.changes?.map((c) => c.path).join(',')}`).sort()).toEqual(['mxs1 maxscale.cnf content', 'mxs2 maxscale.cnf content']);
    expect(await sh('mxs2', 'grep -E "^(servers|monitor_interval)=" /etc/maxscale.cnf')).toBe('servers=db1,db2\nmonitor_interval=5s\nservers=db1,db2');
  }, LONG);

  test("MariaDB's real key is required by default: the stand-in key is refused before any host is touched", async () => {
    let message = '';
    try {
      message = failures(await runPlays(hosts, sqlRouterPlays({ ...routerVars(config()), key_fingerprints: undefined }, { account_hosts: [accountHost] }).slice(1))).join('\n');
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/the key does not hold 177F4010FE56CA3336300305F1656F24C74CD1D8/);
    // Nothing ran: the file still holds the previous test's model, not config()'s.
    expect(await sh('mxs2', 'grep ^monitor_interval= /etc/maxscale.cnf')).toBe('monitor_interval=5s');
  }, LONG);
});

describe("MaxScale from MariaDB's repository (needs https://dlm.mariadb.com)", () => {
  test('installed, config-checked by maxscale itself, running; a monitor change applied through maxctrl without a restart; twice', async (ctx) => {
    const fetch = await hosts.exec(
      'mxs2',
      "timeout 20 python3 -c 'import urllib.request,sys; sys.stdout.buffer.write(urllib.request.urlopen(\"https://supplychain.mariadb.com/mariadb-keyring-2019.gpg\", timeout=15).read())' > /tmp/mariadb-keyring.gpg && timeout 20 python3 -c 'import urllib.request; urllib.request.urlopen(\"https://dlm.mariadb.com/repo/maxscale/24.02/apt/dists/bookworm/InRelease\", timeout=15)'",
    );
    if (fetch.exitCode !== 0) {
      const why = (fetch.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200) || `exit ${fetch.exitCode}`;
      console.log(`skipped: installing MaxScale needs MariaDB's repository (supplychain.mariadb.com, dlm.mariadb.com), which this host cannot reach (${why})`);
      ctx.skip();
    }
    const key = await sh('mxs2', 'export GNUPGHOME=$(mktemp -d); gpg -q --import /tmp/mariadb-keyring.gpg 2>/dev/null; gpg --armor --export');
    // One router on mxs2 (mxs1 serves the database on the listener's port).
    const vars = { ...routerVars(config({ listener: { port: 4006 } })), mariadb_key: `${key}\n`, key_fingerprints: undefined, install: true };
    const use = sqlRouter(vars);
    const role = 'role' in use ? use.role : use;
    await convergeTwice(hosts, role.tasks, { hosts: 'mxs2', vars: use.vars as Record<string, unknown> });
    expect(await sh('mxs2', 'dpkg-query -W -f "\\${Version}" maxscale')).toMatch(/^24\.02\./);
    await sh('mxs2', 'maxscale --config-check --user=maxscale --config=/etc/maxscale.cnf');
    expect(await sh('mxs2', 'systemctl is-active maxscale')).toBe('active');
    expect(await sh('mxs2', 'maxctrl --tsv list servers | cut -f1,5')).toMatch(/^db1\t.*Running/m);
    const pid = await sh('mxs2', 'systemctl show -p MainPID --value maxscale');

    const changed = { ...vars, maxscale: config({ listener: { port: 4006 }, monitor: { ...config().monitor, monitor_interval: '3s' } }) };
    const again = sqlRouter(changed);
    const { first } = await convergeTwice(hosts, role.tasks, { hosts: 'mxs2', vars: again.vars as Record<string, unknown> });
    expect(first.tasks.find((t) => t.task === 'maxscale.cnf')?.changes?.find((c) => c.path === 'runtime')?.after).toBe('maxctrl alter monitor Galera-Monitor monitor_interval 3s');
    expect(await sh('mxs2', 'maxctrl api get monitors/Galera-Monitor data.attributes.parameters.monitor_interval')).toMatch(/^"?(3s|3000ms)"?$/);
    expect(await sh('mxs2', 'systemctl show -p MainPID --value maxscale')).toBe(pid);
    // The REST API takes the role's account, and no longer MaxScale's default one.
    expect(await sh('mxs2', 'maxctrl -c /root/.maxctrl.cnf --tsv list users | cut -f1 | sort | tr "\\n" " "')).toBe('ops ');
    expect((await hosts.exec('mxs2', 'maxctrl -u admin -p mariadb list users')).exitCode).not.toBe(0);
  }, LONG);
});
