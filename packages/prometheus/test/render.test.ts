// Renderers and cross-field checks of @converge/prometheus. Rendered files are checked by the
// real tools of Debian 12's packages (promtool, amtool), unpacked by scripts/ensure-tools.sh
// into .cache/debian-tools (or found on PATH).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { planModule, secret, SECRET_MASK } from '@converge/core';
import type { FileState } from '@converge/modules';
import {
  DEFAULT_INHIBIT_RULES,
  alertmanagerConfig,
  checkAlertmanagerConfig,
  checkPrometheusServer,
  defaultRuleFiles,
  mysqldExporter,
  nodeExporter,
  prometheusArgs,
  renderAlertmanagerConfig,
  renderMyCnf,
  renderPrometheusConfig,
  renderRuleFile,
  scrapeConfigsFromGroups,
  probeScrapeConfig,
} from '../src/index.js';
import type { AlertmanagerConfigParams, PrometheusServerParams } from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
function tool(name: string): string {
  const unpacked = join(root, '.cache', 'debian-tools', 'usr', 'bin', name);
  if (existsSync(unpacked)) return unpacked;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error(`${name} not found: run scripts/ensure-tools.sh (it unpacks Debian's prometheus and prometheus-alertmanager)`);
  return found;
}
const dir = mkdtempSync(join(tmpdir(), 'converge-prometheus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const runTool = (name: string, args: string[], cwd = dir) => spawnSync(tool(name), args, { cwd, encoding: 'utf8' });

const ctx = {
  vars: {
    groups: { all: ['web1', 'db1', 'lb1'], galera: ['db1'], lb: ['lb1'], empty: [] },
    hostvars: { web1: { ansible_host: '10.0.0.11' }, db1: { ansible_host: '10.0.0.21', monitoring_address: '192.168.1.21' }, lb1: { ansible_host: 'fd00::10' } },
  },
};

describe('default rule set', () => {
  test('promtool test rules: every rule fires after its for, with its labels and annotations, and only then', () => {
    const rules = defaultRuleFiles()[0];
    writeFileSync(join(dir, 'converge-stack.yml'), renderRuleFile(rules?.groups ?? []));
    copyFileSync(join(import.meta.dirname, 'rules', 'converge-stack.test.yml'), join(dir, 'converge-stack.test.yml'));
    const r = runTool('promtool', ['test', 'rules', 'converge-stack.test.yml']);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('options change thresholds and for', () => {
    const text = renderRuleFile(defaultRuleFiles({ galera_size: 5, disk_free_percent: 20, certificate_days: 30, for: '4s' })[0]?.groups ?? []);
    expect(text).toContain('expr: mysql_global_status_wsrep_cluster_size < 5');
    expect(text).toContain('* 100 < 20 and');
    expect(text).toContain('< 30 * 86400');
    expect(text).not.toMatch(/for: (?!4s)/);
  });
});

describe('prometheus.server', () => {
  const params: PrometheusServerParams = {
    global: { scrape_interval: '15s', evaluation_interval: '15s', external_labels: { cluster: 'prod' } },
    alertmanagers: ['127.0.0.1:9093'],
    scrape_configs: [
      ...scrapeConfigsFromGroups(ctx, [
        { job_name: 'node', group: 'all', port: 9100 },
        { job_name: 'mysqld', group: 'galera', port: 9104 },
        { job_name: 'haproxy', group: 'lb', port: 8405 },
        { job_name: 'nothing', group: 'empty', port: 1 },
      ]),
      probeScrapeConfig({ job_name: 'blackbox', module: 'http_2xx', targets: ['https://www.example.com/'], exporter: '127.0.0.1:9115' }),
    ],
    rule_files: defaultRuleFiles(),
    rules_dir: dir,
    retention_time: '30d',
  };

  test('targets from inventory groups: address var, ansible_host, IPv6 in brackets, instance = inventory name; an empty group gives no job', () => {
    expect(params.scrape_configs.map((s) => [s.job_name, s.static_configs.map((c) => `${c.targets.join(',')}=${c.labels?.instance ?? ''}`)])).toEqual([
      ['node', ['10.0.0.11:9100=web1', '192.168.1.21:9100=db1', '[fd00::10]:9100=lb1']],
      ['mysqld', ['192.168.1.21:9104=db1']],
      ['haproxy', ['[fd00::10]:8405=lb1']],
      ['blackbox', ['https://www.example.com/=']],
    ]);
  });

  test('prometheus.yml passes promtool check config (with its rule files) and holds the probe relabelling', () => {
    writeFileSync(join(dir, 'converge-stack.yml'), renderRuleFile(defaultRuleFiles()[0]?.groups ?? []));
    const text = renderPrometheusConfig(params);
    writeFileSync(join(dir, 'prometheus.yml'), text);
    const r = runTool('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
    expect(text).toContain(`rule_files:\n  - ${dir}/converge-stack.yml\n`);
    expect(text).toContain('    relabel_configs:\n      - source_labels:\n          - __address__\n        target_label: __param_target\n');
    expect(text.startsWith('# Managed by converge (prometheus.server).\n')).toBe(true);
  });

  test('arguments: retention, listen address, lifecycle', () => {
    expect(prometheusArgs(params)).toEqual([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/var/lib/prometheus/metrics2/',
      '--storage.tsdb.retention.time=30d',
      '--web.listen-address=0.0.0.0:9090',
      '--web.enable-lifecycle',
    ]);
  });

  test.each([
    [{ scrape_configs: [{ job_name: 'a', static_configs: [{ targets: ['x:1'] }] }, { job_name: 'a', static_configs: [{ targets: ['y:1'] }] }] }, 'scrape_configs[1]: a second job named "a"'],
    [{ scrape_configs: [{ job_name: 'a', static_configs: [{ targets: ['http://x/'] }] }] }, 'scrape_configs[0].static_configs[0]: target "http://x/" is not host:port (only a probe job takes URLs)'],
    [{ scrape_configs: [], rule_files: [{ name: 'r', groups: [{ name: 'g', rules: [{ expr: 'up' }] }] }] }, 'rule_files[0].groups[0].rules[0]: give exactly one of alert and record'],
    [{ scrape_configs: [], rule_files: [{ name: 'r', groups: [{ name: 'g', rules: [{ record: 'x', expr: 'up', for: '1m' }] }] }] }, 'rule_files[0].groups[0].rules[0]: a recording rule takes no for or annotations'],
  ] as [PrometheusServerParams, string][])('refused before any host: %s', (p, message) => {
    expect(checkPrometheusServer(p)).toBe(message);
  });
});

describe('alertmanager.config', () => {
  const params: AlertmanagerConfigParams = {
    smtp: { smarthost: 'smtp.example.com:587', from: 'alerts@example.com', auth_username: 'alerts', auth_password: secret('smtp-pass-1') },
    route: {
      receiver: 'ops',
      group_by: ['alertname', 'instance'],
      routes: [{ matchers: ['severity="critical"'], receiver: 'oncall', continue: true, routes: [{ matchers: ['alertname=~"Galera.*"'], receiver: 'dba' }] }],
    },
    receivers: [
      { name: 'ops', email_configs: [{ to: 'ops@example.com' }] },
      { name: 'oncall', slack_configs: [{ api_url: secret('https://chat.example.com/hooks/t0ken'), channel: '#ops' }], webhook_configs: [{ url: 'https://sms.example.com/send', max_alerts: 1, basic_auth: { username: 'u', password: secret('sms-pass') } }] },
      { name: 'dba', email_configs: [{ to: 'dba@example.com', send_resolved: true }] },
    ],
    inhibit_rules: DEFAULT_INHIBIT_RULES,
  };

  test('alertmanager.yml passes amtool check-config; a configuration holding a secret is itself one', () => {
    const { text, secret: isSecret } = renderAlertmanagerConfig(params);
    writeFileSync(join(dir, 'alertmanager.yml'), text);
    const r = runTool('amtool', ['check-config', join(dir, 'alertmanager.yml')]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
    expect(isSecret).toBe(true);
    expect(text).toContain('smtp_auth_password: smtp-pass-1');
    expect(text).toContain('      - url: https://sms.example.com/send\n        max_alerts: 1\n        http_config:\n          basic_auth:\n            username: u\n            password: sms-pass\n');
    expect(renderAlertmanagerConfig({ route: { receiver: 'a' }, receivers: [{ name: 'a', webhook_configs: [{ url: 'http://127.0.0.1:1/' }] }] }).secret).toBe(false);
  });

  test('a configuration holding secrets shows its changed lines, every secret value masked on both sides (a former one too)', () => {
    const { text } = renderAlertmanagerConfig(params);
    const old = text.replace('smtp-pass-1', 'former-smtp-pass').replace('#ops', '#alerts');
    const onHost = (path: string, content: string | undefined): FileState =>
      content === undefined
        ? { path, type: 'absent', parentExists: true }
        : { path, type: 'file', parentExists: true, target: { type: 'file', mode: '0640', owner: 'root', group: 'prometheus', uid: 0, gid: 0, size: content.length, inode: '1:2', sha256: createHash('sha256').update(content).digest('hex'), content } };
    for (const before of [old, undefined]) {
      const r = planModule(alertmanagerConfig, { params, facts: { file0: onHost('/etc/prometheus/alertmanager.yml', before), file1: onHost('/etc/default/prometheus-alertmanager', undefined) } });
      const d = r.diffs.find((x) => x.path.endsWith('alertmanager.yml'));
      expect(d?.after).toContain('channel: "#ops"');
      expect(d?.after).toContain('group_by:');
      for (const setting of ['smtp_auth_password', 'api_url', 'password', '- url']) expect(d?.after).toContain(`${setting}: ${SECRET_MASK}`);
      if (before !== undefined) {
        expect(d?.before).toContain('channel: "#alerts"');
        expect(d?.before).toContain(`smtp_auth_password: ${SECRET_MASK}`);
      }
      for (const s of ['smtp-pass-1', 'former-smtp-pass', 't0ken', 'sms-pass', 'sms.example.com']) expect(`${d?.before}${d?.after}`).not.toContain(s);
    }
  });

  test('amtool refuses a matcher Alertmanager cannot parse (what the module\'s validation step relies on)', () => {
    const { text } = renderAlertmanagerConfig({ ...params, route: { receiver: 'ops', routes: [{ matchers: ['alertname=~"("'], receiver: 'ops' }] } });
    writeFileSync(join(dir, 'broken.yml'), text);
    expect(runTool('amtool', ['check-config', join(dir, 'broken.yml')]).status).not.toBe(0);
  });

  test.each([
    [{ route: { receiver: 'nope' }, receivers: [{ name: 'a' }] }, 'route.receiver: no receiver named "nope"'],
    [{ route: { receiver: 'a', routes: [{ receiver: 'b' }] }, receivers: [{ name: 'a' }] }, 'route.routes[0].receiver: no receiver named "b"'],
    [{ route: { receiver: 'a' }, receivers: [{ name: 'a' }, { name: 'a' }] }, 'receivers[1]: a second receiver named "a"'],
    [{ route: { receiver: 'a' }, receivers: [{ name: 'a', email_configs: [{ to: 'x@y' }] }] }, 'receivers[0].email_configs: e-mail needs smtp (smarthost and from)'],
  ] as [AlertmanagerConfigParams, string][])('refused before any host: %j', (p, message) => {
    expect(checkAlertmanagerConfig(p)).toBe(message);
  });
});

describe('exporters', () => {
  test('mysqld_exporter: the client options file is a Secret; a password it cannot hold is refused without showing it', () => {
    const cnf = renderMyCnf({ user: 'exporter', password: secret('pw;#x') });
    expect(cnf.reveal()).toBe('# Managed by converge (prometheus.mysqld_exporter).\n[client]\nuser = exporter\npassword = "pw;#x"\nsocket = /run/mysqld/mysqld.sock\n');
    const bad = mysqldExporter.definition.validate?.({ user: 'exporter', password: secret('a"b') });
    expect(bad).toBe('password: a double quote, backslash or line break cannot be written to the client options file');
    expect(mysqldExporter.definition.validate?.({ user: 'e', password: secret('x'), port: 3307 })).toBe('port needs host (without host the exporter uses the socket)');
  });

  test('mysqld_exporter: a changed host shows in the client options file diff, the password masked on both sides (a former one too)', () => {
    const p = { user: 'exporter', password: secret('exporter-pw-2'), host: 'db2.example.net' };
    const old = renderMyCnf({ ...p, password: secret('exporter-pw-1'), host: 'db1.example.net' }).reveal();
    const state = (path: string, content?: string): FileState =>
      content === undefined
        ? { path, type: 'absent', parentExists: true }
        : { path, type: 'file', parentExists: true, target: { type: 'file', mode: '0600', owner: 'prometheus', group: 'prometheus', uid: 0, gid: 0, size: content.length, inode: '1:3', sha256: createHash('sha256').update(content).digest('hex'), content } };
    const r = planModule(mysqldExporter, { params: p, facts: { file0: state('/var/lib/prometheus/.my.cnf', old), file1: state('/etc/default/prometheus-mysqld-exporter') } });
    const d = r.diffs.find((x) => x.path.endsWith('.cnf'));
    expect(d?.before).toContain('host = db1.example.net');
    expect(d?.after).toContain('host = db2.example.net');
    for (const side of [d?.before, d?.after]) expect(side).toContain(`password = ${SECRET_MASK}`);
    expect(`${d?.before}${d?.after}`).not.toMatch(/exporter-pw/);
  });

  test('node_exporter: a collector both enabled and disabled is refused; arguments that would break ARGS are refused', () => {
    expect(nodeExporter.definition.validate?.({ enable: ['systemd'], disable: ['systemd'] })).toBe('collector systemd is both in enable and disable');
    expect(() => nodeExporter.definition.facts({ textfile_dir: '/x"y' } as never)).toThrow(/cannot be passed through an EnvironmentFile/);
  });
});
