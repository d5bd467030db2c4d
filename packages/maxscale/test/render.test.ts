import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { formatSections, parseMaxscaleConfig, renderMaxscaleConfig } from '../src/index.js';
import type { MaxscaleConfig } from '../src/index.js';
import { fullModel } from './model-example.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

/** Compares with a fixture file; CONVERGE_UPDATE_FIXTURES=1 rewrites it (then review the git diff). */
function expectFixture(name: string, text: string): void {
  if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(fixture(name), text);
  expect(text).toBe(readFileSync(fixture(name), 'utf8'));
}

const minimal = (): MaxscaleConfig => ({
  servers: [{ name: 'db1', address: '10.0.0.21' }, { name: 'db2', address: '10.0.0.22' }],
  monitor: { user: 'maxscale_monitor', password: secret('monitor-pw-1') },
  service: { user: 'maxscale', password: secret('service-pw-1') },
});

describe('renderMaxscaleConfig', () => {
  it('renders the minimal model: global section, servers, galeramon, readwritesplit and its listener (fixture minimal.cnf)', () => {
    expectFixture('minimal.cnf', renderMaxscaleConfig(minimal()).text);
  });

  it('renders every field of the model, extra parameters last and sorted (fixture full.cnf)', () => {
    expectFixture('full.cnf', renderMaxscaleConfig(fullModel()).text);
  });

  it('reveals the Secret passwords into the file, for MaxScale to read', () => {
    const { text } = renderMaxscaleConfig(minimal());
    expect(text).toContain('\npassword=monitor-pw-1\n');
    expect(text).toContain('\npassword=service-pw-1\n');
  });

  it('is deterministic, and parsing the text gives back its sections', () => {
    const a = renderMaxscaleConfig(fullModel());
    const b = renderMaxscaleConfig({ ...fullModel(), maxscale: { ...fullModel().maxscale, extra: { auth_connect_timeout: '10s', ms_timestamp: true } } });
    expect(a.text).toBe(b.text);
    expect(parseMaxscaleConfig(a.text)).toEqual(a.sections);
    expect(formatSections(parseMaxscaleConfig(a.text))).toBe(a.text);
  });

  it('the monitor and the service list every server; the listener names the service', () => {
    const { sections } = renderMaxscaleConfig(fullModel());
    const get = (n: string) => new Map(sections.find((s) => s.name === n)?.params);
    expect(get('Galera-Monitor').get('servers')).toBe('db1,db2,db3');
    expect(get('Read-Write-Service').get('servers')).toBe('db1,db2,db3');
    expect(get('Read-Write-Listener').get('service')).toBe('Read-Write-Service');
  });

  it('refuses duplicate object names and extra parameters that repeat modelled ones', () => {
    expect(() => renderMaxscaleConfig({ ...minimal(), servers: [{ name: 'db1', address: 'a' }, { name: 'db1', address: 'b' }] })).toThrow(/servers\[1\]\.name: the name "db1" is taken by servers\[0\]\.name/);
    expect(() => renderMaxscaleConfig({ ...minimal(), monitor: { ...minimal().monitor, name: 'db2' } })).toThrow(/monitor\.name: the name "db2" is taken/);
    expect(() => renderMaxscaleConfig({ ...minimal(), servers: [{ name: 'maxscale', address: 'a' }] })).toThrow(/taken by the global section/);
    expect(() => renderMaxscaleConfig({ ...minimal(), service: { ...minimal().service, extra: { router: 'readconnroute' } } })).toThrow(/service\.extra\.router: the model renders router itself/);
  });

  it('parse refuses text that is not maxscale.cnf', () => {
    expect(() => parseMaxscaleConfig('threads=1\n')).toThrow(/before the first \[section\]/);
    expect(() => parseMaxscaleConfig('[a]\nnot a parameter\n')).toThrow(/line 2: neither/);
  });
});
