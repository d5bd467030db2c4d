import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkParamTables } from '@converge/testing';
import { AlertmanagerConfigParams, BlackboxExporterParams, MysqldExporterParams, NodeExporterParams, PrometheusServerParams, SentryEnvironmentParams } from '../src/index.js';

// The README's param tables are generated from the schemas, so they cannot drift;
// CONVERGE_UPDATE_FIXTURES=1 rewrites them in place.
test('README lists every param of every module as its schema says', () => {
  const path = join(import.meta.dirname, '..', 'README.md');
  const update = process.env.CONVERGE_UPDATE_FIXTURES === '1';
  const { text, problems } = checkParamTables(
    readFileSync(path, 'utf8'),
    {
      'prometheus.server': PrometheusServerParams,
      'prometheus.node_exporter': NodeExporterParams,
      'prometheus.mysqld_exporter': MysqldExporterParams,
      'prometheus.blackbox_exporter': BlackboxExporterParams,
      'alertmanager.config': AlertmanagerConfigParams,
      'sentry.environment': SentryEnvironmentParams,
    },
    update,
  );
  if (update) writeFileSync(path, text);
  else expect(problems).toEqual([]);
});
