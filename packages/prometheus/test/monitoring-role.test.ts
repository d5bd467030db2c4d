// roles/monitoring's vars: every var is in the README's table, and a var the role does not know
// is refused with its name (the role's tasks read the var through checkMonitoringVars).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { MONITORING_VARS, checkMonitoringVars } from '../../../roles/monitoring/src/index.js';

const alertmanager = { route: { receiver: 'ops' }, receivers: [{ name: 'ops' }] };

describe('roles/monitoring vars', () => {
  test('the README table has a row for every var, naming the keys of its nested objects', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## roles/monitoring'), readme.indexOf('## Tests'));
    const rows = new Map([...section.matchAll(/^\| `(\w+)` \| (.*) \|$/gm)].map((m) => [m[1] as string, m[2] as string]));
    expect([...rows.keys()].sort()).toEqual(Object.keys(MONITORING_VARS).sort());
    for (const [scope, keys] of Object.entries(MONITORING_VARS)) {
      if (keys === true) continue;
      const row = rows.get(scope) ?? '';
      for (const key of Object.keys(keys)) expect(row, `${scope}.${key}`).toContain(key);
    }
  });

  test.each([
    [{ alertmanager, probe: { targets: ['https://www.example.test/'] } }, /monitoring\.probe is not a var of the role/],
    [{ alertmanager, probes: { targets: [], modul: 'http_2xx' } }, /monitoring\.probes\.modul is not a var of the role/],
    [{ alertmanager, groups: { mysql: 'db' } }, /monitoring\.groups\.mysql is not a var of the role/],
    [{ alertmanager, rules: { galera_nodes: 3 } }, /monitoring\.rules\.galera_nodes is not a var of the role/],
    [{ alertmanager, mysqld_exporter: { user: 'exporter', password: secret('x'), host: 'localhost' } }, /monitoring\.mysqld_exporter\.host is not a var of the role/],
    [{ alertmanager, probes: 'https://www.example.test/' }, /monitoring\.probes is not an object/],
    [{ server_group: 'monitoring' }, /monitoring\.alertmanager is required/],
    [['alertmanager'], /role monitoring: monitoring is not an object/],
  ])('refused: %j', (vars, message) => {
    expect(() => checkMonitoringVars(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: expect.stringMatching(message) }));
  });

  test('known vars pass as they are', () => {
    const vars = { alertmanager, server_group: 'mon', groups: { node: 'all' }, rules: { for: '5s' }, mysqld_exporter: { user: 'exporter', password: secret('x') }, probes: { targets: ['https://www.example.test/'], scrape_interval: '30s' } };
    expect(checkMonitoringVars(vars)).toBe(vars);
  });
});
