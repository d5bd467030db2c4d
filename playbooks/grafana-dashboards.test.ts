// The dashboards of playbooks/files/grafana/dashboards, checked as JSON against the dashboard
// schema of the version they declare (schemaVersion 39: Grafana 10.4 and 11.x), from Grafana's
// dashboard kind (grafana/grafana kinds/dashboard/dashboard_kind.cue, "Dashboard kind" schema
// reference): required fields and their types, panels on the 24-column grid, every query with a
// refId and a data source the provisioning file declares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARD_FILES, datasourcesFile } from './grafana.ts';

const DIR = join(import.meta.dirname, 'files', 'grafana', 'dashboards');
const ref = { type: 'object', required: ['type', 'uid'], properties: { type: { type: 'string' }, uid: { type: 'string' } } };
const gridPos = {
  type: 'object',
  required: ['h', 'w', 'x', 'y'],
  properties: { h: { type: 'integer', minimum: 1 }, w: { type: 'integer', minimum: 1, maximum: 24 }, x: { type: 'integer', minimum: 0, maximum: 23 }, y: { type: 'integer', minimum: 0 } },
};
const target = { type: 'object', required: ['refId'], properties: { refId: { type: 'string', minLength: 1 }, datasource: ref, expr: { type: 'string', minLength: 1 } } };
/** Dashboard schema version 39, as the kind declares it (the fields these dashboards use, and every required one). */
const SCHEMA_V39 = {
  type: 'object',
  required: ['uid', 'title', 'schemaVersion', 'editable', 'graphTooltip', 'time', 'panels', 'templating', 'annotations'],
  properties: {
    uid: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_-]+$' },
    title: { type: 'string', minLength: 1 },
    tags: { type: 'array', items: { type: 'string' } },
    timezone: { enum: ['browser', 'utc', ''] },
    editable: { type: 'boolean' },
    graphTooltip: { enum: [0, 1, 2] },
    schemaVersion: { const: 39 },
    version: { type: 'integer', minimum: 0 },
    refresh: { type: 'string' },
    time: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string' }, to: { type: 'string' } } },
    links: { type: 'array' },
    annotations: { type: 'object', required: ['list'], properties: { list: { type: 'array' } } },
    templating: {
      type: 'object',
      required: ['list'],
      properties: { list: { type: 'array', items: { type: 'object', required: ['name', 'type'], properties: { name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, type: { enum: ['query', 'custom', 'constant', 'datasource', 'interval', 'textbox', 'adhoc'] }, datasource: ref } } } },
    },
    panels: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'type', 'title', 'gridPos', 'datasource', 'targets'],
        properties: { id: { type: 'integer', minimum: 1 }, type: { enum: ['timeseries', 'stat', 'logs', 'table', 'gauge', 'bargauge', 'text', 'row'] }, title: { type: 'string', minLength: 1 }, gridPos, datasource: ref, targets: { type: 'array', minItems: 1, items: target } },
      },
    },
  },
};
const validate = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA_V39);
const datasourceUids = (parse(datasourcesFile('http://loki.example.test:3100/loki/api/v1/push')) as { datasources: { uid: string; type: string }[] }).datasources.map((d) => `${d.type}/${d.uid}`);

describe('Grafana provisioning of the stack', () => {
  test('four dashboards: hosts, HAProxy, Galera, backups', () => {
    expect(DASHBOARD_FILES).toEqual(['backups.json', 'galera.json', 'haproxy.json', 'hosts.json']);
  });

  test.each(DASHBOARD_FILES.map((f) => [f]))('%s is a schemaVersion 39 dashboard whose panels fit the grid and query provisioned data sources', (f) => {
    const d = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { schemaVersion: number; uid: string; panels: { id: number; gridPos: { x: number; w: number }; datasource: { type: string; uid: string }; targets: { refId: string; datasource?: { type: string; uid: string } }[] }[] };
    expect(d.schemaVersion, 'the version this test knows').toBe(39);
    expect(validate(d) ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    expect(new Set(d.panels.map((p) => p.id)).size, 'panel ids are unique').toBe(d.panels.length);
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w, `panel ${p.id} fits the 24 columns`).toBeLessThanOrEqual(24);
      expect(datasourceUids).toContain(`${p.datasource.type}/${p.datasource.uid}`);
      for (const t of p.targets) if (t.datasource) expect(datasourceUids).toContain(`${t.datasource.type}/${t.datasource.uid}`);
      expect(new Set(p.targets.map((t) => t.refId)).size, `refIds of panel ${p.id}`).toBe(p.targets.length);
    }
  });

  test('the data sources file names Prometheus (default) and Loki at the base of the push URL', () => {
    const doc = parse(datasourcesFile('http://10.0.4.10:3100/loki/api/v1/push')) as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toEqual([
      { name: 'Prometheus', type: 'prometheus', uid: 'prometheus', access: 'proxy', url: 'http://localhost:9090', isDefault: true, editable: false },
      { name: 'Loki', type: 'loki', uid: 'loki', access: 'proxy', url: 'http://10.0.4.10:3100', editable: false },
    ]);
  });
});
