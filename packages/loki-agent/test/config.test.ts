import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { alloy, renderAlloyConfig, type AlloyLogsConfig } from '../src/index.js';

const FULL: AlloyLogsConfig = {
  labels: { host: 'web1', environment: 'production' },
  journal: { max_age: '12h', labels: { job: 'systemd-journal' }, relabel: [{ source_labels: ['__journal_priority_keyword'], target_label: 'level' }] },
  files: [
    { name: 'nginx', paths: ['/var/log/nginx/*.log'], exclude: ['/var/log/nginx/*.gz'], labels: { service: 'nginx' } },
    { name: 'app', paths: ['/srv/app/logs/**/*.log'], labels: { service: 'app' }, multiline: { firstline: '^\\d{4}-\\d{2}-\\d{2}', max_wait_time: '3s' } },
  ],
  relabel: [{ action: 'labeldrop', regex: 'filename' }],
  endpoints: [
    { name: 'main', url: 'https://loki.example.com/loki/api/v1/push', tenant_id: 'ops', basic_auth: { username: 'web', password: secret('s3cret-password') } },
    { name: 'backup', url: 'http://loki2.internal:3100/loki/api/v1/push', bearer_token: secret('t0ken-value') },
  ],
};
const MINIMAL: AlloyLogsConfig = { journal: {}, endpoints: [{ name: 'local', url: 'http://127.0.0.1:3100/loki/api/v1/push' }] };

// Fixtures reviewed against Alloy's reference (loki.write, loki.source.journal, loki.source.file,
// local.file_match, loki.process stage.multiline, loki.relabel, local.file);
// CONVERGE_UPDATE_FIXTURES=1 rewrites them.
describe('rendered config.alloy', () => {
  test.each([
    ['full.alloy', FULL],
    ['minimal.alloy', MINIMAL],
  ])('%s', (name, config) => {
    const url = new URL(`./fixtures/${name}`, import.meta.url);
    const text = renderAlloyConfig(config, '/etc/alloy/secrets');
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(url, text);
    expect(text).toBe(readFileSync(url, 'utf8'));
  });
  test('deterministic: label order does not matter, and no secret is in it', () => {
    const reordered = { ...FULL, labels: { environment: 'production', host: 'web1' } };
    expect(renderAlloyConfig(reordered, '/etc/alloy/secrets')).toBe(renderAlloyConfig(FULL, '/etc/alloy/secrets'));
    expect(renderAlloyConfig(FULL, '/etc/alloy/secrets')).not.toMatch(/s3cret|t0ken/);
  });
  test('strings are escaped', () => {
    expect(renderAlloyConfig({ ...MINIMAL, labels: { note: 'say "hi"\\' } }, '/s')).toContain('external_labels = { note = "say \\"hi\\"\\\\" }');
  });
});

const absent = (path: string, parentExists = true): FileState => ({ path, type: 'absent', parentExists });
const FACTS = { secrets_dir: absent('/etc/alloy/secrets'), file0: absent('/etc/alloy/config.alloy'), file1: absent('/etc/alloy/secrets/main.password'), file2: absent('/etc/alloy/secrets/backup.token') };

describe('module alloy.config', () => {
  test('first run: secrets directory, config validated before it replaces the old one, secrets masked', () => {
    const r = planModule(alloy.config, { params: FULL, facts: FACTS });
    expect(r.changes.map((c) => [c.path, c.after])).toEqual([
      ['secrets_dir', 'root:alloy 0750'],
      ['/etc/alloy/config.alloy', expect.stringMatching(/^sha256:/)],
      ['/etc/alloy/secrets/main.password', '********'],
      ['/etc/alloy/secrets/backup.token', '********'],
    ]);
    expect(JSON.stringify(r.diffs)).not.toMatch(/s3cret|t0ken/);
    expect(r.commands.map((c) => c.description)).toEqual(['create /etc/alloy/secrets', 'write /etc/alloy/config.alloy', 'write /etc/alloy/secrets/main.password', 'write /etc/alloy/secrets/backup.token']);
    expect(String(r.commands[0]?.script)).toBe('install -d -o root -g alloy -m 0750 -- /etc/alloy/secrets');
    const write = String(r.commands[1]?.script);
    expect(write).toMatch(/chown -- root "\$tmp"\nchgrp -- alloy "\$tmp"\nchmod -- 00640 "\$tmp"/);
    expect(write).toMatch(/alloy fmt "\$1" >\/dev\/null && if alloy validate --help/);
    // Secrets travel on stdin as Secrets, never in the script.
    expect(String(r.commands[2]?.script)).not.toMatch(/s3cret/);
    expect(String(r.commands[2]?.script)).not.toMatch(/alloy fmt/);
  });
  test('converged: nothing to do', () => {
    const text = renderAlloyConfig(MINIMAL, '/etc/alloy/secrets');
    const file: FileState = { path: '/etc/alloy/config.alloy', type: 'file', parentExists: true, target: { type: 'file', mode: '0640', owner: 'root', group: 'alloy', uid: 0, gid: 990, size: text.length, inode: '1:1', sha256: createHash('sha256').update(text).digest('hex') } };
    const r = planModule(alloy.config, { params: MINIMAL, facts: { secrets_dir: absent('/etc/alloy/secrets'), file0: file } });
    expect(r.changes).toEqual([]);
  });
  test('no /etc/alloy yet: refused unless an earlier task makes it', () => {
    const facts = { secrets_dir: absent('/etc/alloy/secrets', false), file0: absent('/etc/alloy/config.alloy', false) };
    expect(() => planModule(alloy.config, { params: MINIMAL, facts })).toThrow(/directory of \/etc\/alloy\/config\.alloy does not exist/);
    expect(planModule(alloy.config, { params: MINIMAL, facts, upstreamChanged: true }).changes.length).toBe(1);
  });
  test.each([
    [{ ...MINIMAL, endpoints: [MINIMAL.endpoints[0]!, MINIMAL.endpoints[0]!] }, /endpoint local is named twice/],
    [{ ...MINIMAL, endpoints: [{ ...MINIMAL.endpoints[0]!, basic_auth: { username: 'u', password: secret('p') }, bearer_token: secret('t') }] }, /not both/],
    [{ ...MINIMAL, endpoints: [{ name: 'x', url: 'loki:3100' }] }, /url/],
    [{ ...MINIMAL, endpoints: [{ name: 'x', url: 'http://l', basic_auth: { username: 'u', password: 'plain text' } }] }, /password/],
    [{ ...MINIMAL, labels: { 'bad-label': 'x' } }, /labels/],
    [{ ...MINIMAL, files: [{ name: 'a', paths: ['relative/*.log'] }] }, /paths/],
  ])('refused: case %#', (params, error) => {
    expect(() => planModule(alloy.config, { params, facts: FACTS })).toThrow(error);
  });
});

describe('alloy.config declares its Loki push endpoints (for a data-residency policy)', () => {
  test('one logs endpoint per entry of endpoints', () => {
    const endpoints = [
      { name: 'main', url: 'https://abc.logs.cockpit.fr-par.scw.cloud/loki/api/v1/push' },
      { name: 'backup', url: 'https://loki.example.net/loki/api/v1/push' },
    ];
    expect(alloy.config.definition.endpoints?.({ endpoints, journal: {} } as never)).toEqual([
      { url: 'https://abc.logs.cockpit.fr-par.scw.cloud/loki/api/v1/push', kind: 'logs' },
      { url: 'https://loki.example.net/loki/api/v1/push', kind: 'logs' },
    ]);
  });
});
