// maxscaleRepository feeds apt.repository; maxscaleAccounts produces mariadb-galera tasks. Both
// are checked here through the modules they drive, from recorded facts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { aptRepository, renderPin, renderSources } from '@converge/modules';
import { MARIADB_SIGNING_KEY_FINGERPRINT, maxscaleAccounts, maxscaleRepository, monitorPrivileges, SERVICE_PRIVILEGES } from '../src/index.js';

// A key made for the tests (packages/modules/test/system/fixtures), standing in for MariaDB's.
const STAND_IN_KEY = readFileSync(new URL('../../modules/test/system/fixtures/repository-key.asc', import.meta.url), 'utf8');
const STAND_IN_FINGERPRINT = 'CE0F095ADFAD7FA8B0448FFEA23FA0375B2E071D';

describe('maxscaleRepository', () => {
  it('the MaxScale 24.02 repository for Debian 12, signed, maxscale pinned to the series', () => {
    const p = maxscaleRepository({ key: STAND_IN_KEY, key_fingerprints: [STAND_IN_FINGERPRINT] });
    expect(renderSources(p)).toBe(
      '# Managed by converge (apt.repository maxscale)\nTypes: deb\nURIs: https://dlm.mariadb.com/repo/maxscale/24.02/apt\nSuites: bookworm\nComponents: main\nArchitectures: amd64 arm64\nSigned-By: /etc/apt/keyrings/maxscale.gpg\n',
    );
    expect(renderPin(p)).toBe('Explanation: Managed by converge (apt.repository maxscale)\nPackage: maxscale\nPin: version 24.02.*\nPin-Priority: 1001\n');
    expect(maxscaleRepository({ key: 'k', version: '24.02.4' }).pin?.version).toBe('24.02.4*');
    expect(maxscaleRepository({ key: 'k', version: 'latest' }).pin).toBeUndefined();
  });

  it("by default the key must hold MariaDB's documented release-signing key: another key is refused before any host is touched", () => {
    expect(MARIADB_SIGNING_KEY_FINGERPRINT).toBe('177F 4010 FE56 CA33 3630 0305 F165 6F24 C74C D1D8'.replace(/ /g, ''));
    expect(() => planModule(aptRepository, { params: maxscaleRepository({ key: STAND_IN_KEY }), facts: {} })).toThrow(
      new RegExp(`the key does not hold ${MARIADB_SIGNING_KEY_FINGERPRINT} \\(it holds ${STAND_IN_FINGERPRINT}\\)`),
    );
  });

  it('refuses a version that is not a release series', () => {
    expect(() => maxscaleRepository({ key: 'k', version: '24.02; rm' })).toThrow(/not a MaxScale release series/);
  });
});

describe('maxscaleAccounts', () => {
  const o = { monitor: { user: 'maxscale_monitor', password: secret('m-pw') }, service: { user: 'maxscale', password: secret('s-pw') }, hosts: ['10.0.0.%', '192.168.1.5'] };

  it('one user and its exact grants per account and host part', () => {
    const tasks = maxscaleAccounts(o);
    expect(tasks.map((t) => t.options.name)).toEqual([
      'MaxScale monitor user maxscale_monitor@10.0.0.%',
      'MaxScale monitor grants maxscale_monitor@10.0.0.%',
      'MaxScale service user maxscale@10.0.0.%',
      'MaxScale service grants maxscale@10.0.0.%',
      'MaxScale monitor user maxscale_monitor@192.168.1.5',
      'MaxScale monitor grants maxscale_monitor@192.168.1.5',
      'MaxScale service user maxscale@192.168.1.5',
      'MaxScale service grants maxscale@192.168.1.5',
    ]);
    expect(tasks[1]?.params).toEqual({ user: 'maxscale_monitor', host: '10.0.0.%', privileges: monitorPrivileges() });
    expect(tasks[3]?.params).toEqual({ user: 'maxscale', host: '10.0.0.%', privileges: SERVICE_PRIVILEGES });
    expect(monitorPrivileges()).toEqual([{ on: '*.*', privileges: ['REPLICATION CLIENT'] }]);
    expect(monitorPrivileges(true)).toEqual([{ on: '*.*', privileges: ['REPLICATION CLIENT', 'SUPER'] }]);
    expect(SERVICE_PRIVILEGES.map((g) => `${g.privileges.join(',')} ON ${g.on}`)).toEqual([
      'SHOW DATABASES ON *.*',
      'SELECT ON mysql.user',
      'SELECT ON mysql.db',
      'SELECT ON mysql.tables_priv',
      'SELECT ON mysql.columns_priv',
      'SELECT ON mysql.procs_priv',
      'SELECT ON mysql.proxies_priv',
      'SELECT ON mysql.roles_mapping',
    ]);
  });

  it('refuses no host parts and a shared user', () => {
    expect(() => maxscaleAccounts({ ...o, hosts: [] })).toThrow(/hosts is empty/);
    expect(() => maxscaleAccounts({ ...o, service: { user: 'maxscale_monitor', password: secret('x') } })).toThrow(/both use the user/);
  });
});
