// roles/observability and alloy.config on a real Debian 12 container. Grafana's APT repository
// cannot be reached from the test machines: the repository and key files, the alloy account and
// its groups, /etc/alloy, the configuration and its secrets are converged for real here (with
// a stand-in key: the role takes the key as content, and no signature can be checked without the
// repository); installing Alloy, validating the configuration with the real binary and running
// the service are a test that runs when the container can fetch https://apt.grafana.com/gpg.key,
// and says why it was skipped elsewhere. Every converge runs as check, run, run again (zero
// changes), check again.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { convergeTwice, startHosts, type TestHosts } from '@converge/testing';
import { renderAlloyConfig, type AlloyConfigParams } from '../src/index.js';
import { observability, type ObservabilityVars } from '../../../roles/observability/src/index.js';

const LONG = 900_000;
const H = 'loki1';
// A key made for the tests (packages/modules/test/system/fixtures), standing in for Grafana's.
const STAND_IN_KEY = readFileSync(new URL('../../modules/test/system/fixtures/repository-key.asc', import.meta.url), 'utf8');
const PASSWORD = 'loki-basic-auth-s3cret';
let hosts: TestHosts;
const sh = async (cmd: string): Promise<string> => {
  const r = await hosts.exec(H, cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(async () => {
  hosts = await startHosts(1, { prefix: 'loki' });
});
afterAll(async () => {
  await hosts?.stop();
});

const alloyParams = (service = 'app'): AlloyConfigParams => ({
  labels: { host: H, environment: 'test' },
  journal: { max_age: '12h', labels: { job: 'systemd-journal' } },
  files: [{ name: 'app', paths: ['/var/log/app/*.log'], labels: { service }, multiline: { firstline: '^\\d{4}-\\d{2}-\\d{2}' } }],
  endpoints: [{ name: 'main', url: 'https://loki.example.com/loki/api/v1/push', tenant_id: 'ops', basic_auth: { username: 'shipper', password: secret(PASSWORD) } }],
});
const run = (vars: ObservabilityVars) => {
  const use = observability(vars);
  const role = 'role' in use ? use.role : use;
  return convergeTwice(hosts, role.tasks, { vars: { observability: vars }, handlers: role.handlers ?? [] });
};

describe('roles/observability without the Alloy package', () => {
  test('repository and key files, the alloy account in systemd-journal and adm, config and secrets; twice', async () => {
    const vars: ObservabilityVars = { grafana_key: STAND_IN_KEY, alloy: alloyParams(), alloy_version: '1.5.*', install: false };
    const { first } = await run(vars);
    expect(await sh('cat /etc/apt/sources.list.d/grafana.sources')).toBe(
      '# Managed by converge (apt.repository grafana)\nTypes: deb\nURIs: https://apt.grafana.com\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/grafana.gpg',
    );
    expect(await sh('cat /etc/apt/preferences.d/grafana.pref')).toBe('Explanation: Managed by converge (apt.repository grafana)\nPackage: alloy\nPin: version 1.5.*\nPin-Priority: 1001');
    expect(await sh('gpg --show-keys --with-colons /etc/apt/keyrings/grafana.gpg | grep ^fpr | head -1')).toMatch(/CE0F095ADFAD7FA8B0448FFEA23FA0375B2E071D/);
    // The repository is unreachable here: apt-get update said so, and the task did not fail.
    expect(first.tasks.find((t) => t.module === 'apt.repository')?.message).toMatch(/apt-get update: W: Failed to fetch https:\/\/apt\.grafana\.com/);

    expect(await sh('id -nG alloy')).toMatch(/^alloy( \S+)*$/);
    expect((await sh('id -nG alloy')).split(' ').sort()).toEqual(['adm', 'alloy', 'systemd-journal']);
    expect(await sh('getent passwd alloy | cut -d: -f6,7')).toBe('/var/lib/alloy:/usr/sbin/nologin');
    expect(await sh('stat -c %a:%U:%G /etc/alloy /etc/alloy/config.alloy /etc/alloy/secrets /etc/alloy/secrets/main.password /var/lib/alloy')).toBe(
      '755:root:alloy\n640:root:alloy\n750:root:alloy\n640:root:alloy\n750:alloy:alloy',
    );
    expect(`${await sh('cat /etc/alloy/config.alloy')}\n`).toBe(renderAlloyConfig(alloyParams(), '/etc/alloy/secrets'));
    expect(await sh('cat /etc/alloy/secrets/main.password')).toBe(PASSWORD);
    // What the groups are for: the alloy user reads the journal and the secret, and no one else reads the secret.
    expect(await sh('runuser -u alloy -- journalctl -n 1 -q --no-pager >/dev/null && echo journal-readable')).toBe('journal-readable');
    expect(await sh('runuser -u alloy -- cat /etc/alloy/secrets/main.password')).toBe(PASSWORD);
    expect(await sh('runuser -u nobody -- cat /etc/alloy/secrets/main.password 2>&1 || echo refused')).toMatch(/Permission denied\nrefused$/);
    // The secret is in no report: not in the changes, not in the diffs.
    expect(JSON.stringify([first.tasks, (await run(vars)).check.tasks])).not.toContain(PASSWORD);
  }, LONG);

  test('a label changed: only config.alloy changes (the reload handler is for hosts with the service); twice', async () => {
    const vars: ObservabilityVars = { grafana_key: STAND_IN_KEY, alloy: alloyParams('shop'), alloy_version: '1.5.*', install: false };
    const { first } = await run(vars);
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => [t.task, t.changes?.map((c) => c.path)])).toEqual([['config.alloy', ['/etc/alloy/config.alloy']]]);
    expect(await sh('grep -c \'service = "shop"\' /etc/alloy/config.alloy')).toBe('1');
  }, LONG);
});

describe('Alloy from Grafana\'s repository (needs https://apt.grafana.com)', () => {
  test('installed, config validated by alloy itself, service running and reloaded on change; twice', async (ctx) => {
    const fetch = await hosts.exec(H, "timeout 20 python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(\"https://apt.grafana.com/gpg.key\", timeout=15).read().decode())'");
    if (fetch.exitCode !== 0 || !fetch.stdout.includes('BEGIN PGP PUBLIC KEY BLOCK')) {
      const why = (fetch.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200) || `exit ${fetch.exitCode}`;
      console.log(`skipped: installing Alloy needs Grafana's APT repository, which this host cannot reach (${why})`);
      ctx.skip();
    }
    const vars: ObservabilityVars = { grafana_key: fetch.stdout, alloy: alloyParams() };
    await run(vars);
    expect(await sh('dpkg-query -W -f "\\${db:Status-Abbrev}" alloy')).toBe('ii ');
    await sh('alloy fmt /etc/alloy/config.alloy >/dev/null');
    expect(await sh('systemctl is-active alloy; systemctl is-enabled alloy')).toBe('active\nenabled');
    const { first } = await run({ ...vars, alloy: alloyParams('changed') });
    expect(first.tasks.filter((t) => t.status === 'changed').map((t) => t.task)).toEqual(['config.alloy', 'reload alloy']);
    expect(await sh('systemctl is-active alloy')).toBe('active');
  }, LONG);
});
