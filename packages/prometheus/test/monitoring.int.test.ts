// roles/monitoring and the @converge/prometheus modules on three Debian 12 containers: mon1 runs
// Prometheus, Alertmanager and blackbox_exporter (and, for the test, a webhook receiver and an
// SMTP sink on loopback), mon2 MariaDB with mysqld_exporter, mon3 HAProxy (roles/load-balancer,
// its metrics frontend); node_exporter everywhere. The plays are converged as check, run, run
// again (zero changes), check again. Then, through Prometheus' HTTP API: every target is up; a
// stopped MariaDB fires MariadbDown (Galera rule group), which Alertmanager delivers by mail to
// the SMTP sink and to the chat and SMS webhooks. Last, a broken rule file and a broken
// Alertmanager configuration are refused and the old files keep serving; an exporter at its
// start rate limit is restarted with new arguments all the same.
//
// Packages are installed by a first converge of their apt tasks: check mode cannot know that a
// Debian package's installation starts its service (README, "Dry-runs that do not lie").
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import type { Play, RunReport } from '@converge/core';
import { apt } from '@converge/modules';
import { changedTasks, failures, runPlays, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { monitoring, type MonitoringVars } from '../../../roles/monitoring/src/index.js';
import { loadBalancer } from '../../../roles/load-balancer/src/index.js';
import { defaultRuleFiles, prometheus } from '../src/index.js';

const LONG = 900_000;
const EXPORTER_PASSWORD = 'exporter-Secret-7f3a';
const CHAT_TOKEN = 'chat-T0ken-4c1d';
let lab: TestHosts;
let prom: string;

const sh = async (host: string, cmd: string): Promise<string> => {
  const r = await lab.exec(host, cmd);
  if (r.exitCode !== 0) throw new Error(`${host}: ${cmd}: exit ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
};

/** Polls `probe` every 500 ms until it returns a value, up to `ms`. */
async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${ms / 1000} s${last ? ` (${String(last)})` : ''}`);
}

async function api<T>(path: string, base = `http://${prom}:9090`): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

// Webhook receiver of the test: appends each POST (path and JSON body) as a line to a file.
const WEBHOOK_SINK = `
import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        with open('/var/tmp/webhook.jsonl', 'a') as f:
            f.write(json.dumps({'path': self.path, 'body': json.loads(body)}) + '\\n')
        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', 9099), H).serve_forever()
`;

// Vars are rendered as Jinja2, as in Ansible: Alertmanager's Go templates go inside {% raw %}.
const vars = (): MonitoringVars => ({
  prometheus: { global: { scrape_interval: '2s', evaluation_interval: '2s' }, retention_time: '2d' },
  rules: { for: '4s', galera_size: 1 },
  mysqld_exporter: { user: 'exporter', password: secret(EXPORTER_PASSWORD) },
  probes: { targets: [`http://${lab.hosts[2]?.address}:80/`] },
  alertmanager: {
    smtp: { smarthost: '127.0.0.1:2525', from: 'alertmanager@mon1.test', require_tls: false },
    route: {
      receiver: 'ops',
      group_by: ['alertname', 'instance'],
      group_wait: '1s',
      group_interval: '2s',
      repeat_interval: '1h',
      routes: [{ matchers: ['severity="critical"'], receiver: 'oncall' }],
    },
    receivers: [
      { name: 'ops', email_configs: [{ to: 'ops@example.test' }] },
      {
        name: 'oncall',
        email_configs: [{ to: 'oncall@example.test', headers: { Subject: '{% raw %}[{{ .Status }}] {{ .CommonLabels.alertname }} on {{ .CommonLabels.instance }}{% endraw %}' } }],
        slack_configs: [{ api_url: secret(`http://127.0.0.1:9099/chat/${CHAT_TOKEN}`), channel: '#ops', title: '{% raw %}{{ .CommonLabels.alertname }} {{ .CommonLabels.instance }}{% endraw %}' }],
        webhook_configs: [{ url: 'http://127.0.0.1:9099/sms', max_alerts: 1 }],
      },
    ],
  },
});

const plays = (v: MonitoringVars): Play[] => [
  {
    name: 'load balancer',
    hosts: 'lb',
    roles: [
      loadBalancer({
        frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'prometheus' }],
        backends: [{ name: 'prometheus', health_check: { path: '/-/healthy', interval: '2s' }, servers: [{ name: 'mon1', address: `${lab.hosts[0]?.address}:9090` }] }],
      }),
    ],
  },
  { name: 'monitoring', hosts: 'all', roles: [monitoring(v)] },
];

/** check, run, run again, check again: the check predicts the run, the rest changes nothing. */
async function converge(v: MonitoringVars): Promise<RunReport> {
  const check = await runPlays(lab, plays(v), { check: true, diff: true });
  expect(failures(check), 'check run').toEqual([]);
  const first = await runPlays(lab, plays(v), { diff: true });
  expect(failures(first), 'first run').toEqual([]);
  expect(changedTasks(check), '--check predicted other changes than the run made').toEqual(changedTasks(first));
  const second = await runPlays(lab, plays(v));
  expect(failures(second), 'second run').toEqual([]);
  expect(changedTasks(second), 'the second run changed something').toEqual([]);
  const recheck = await runPlays(lab, plays(v), { check: true });
  expect(changedTasks(recheck), '--check after converging').toEqual([]);
  for (const r of [check, first, second, recheck]) {
    expect(JSON.stringify(r)).not.toContain(EXPORTER_PASSWORD);
    expect(JSON.stringify(r)).not.toContain(CHAT_TOKEN);
  }
  return first;
}

beforeAll(async () => {
  lab = await startHosts(3, { prefix: 'mon', groups: { monitoring: ['mon1'], galera: ['mon2'], lb: ['mon3'] } });
  prom = lab.hosts[0]?.address as string;
  const install = (hosts: string, name: string[]): Play => ({ name: `packages of ${hosts}`, hosts, tasks: [apt({ name, state: 'present', update_cache: true, cache_valid_time: 3600 })] });
  const pre = await runPlays(lab, [
    install('all', ['prometheus-node-exporter', 'curl']),
    install('monitoring', ['prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter', 'python3-aiosmtpd']),
    install('galera', ['mariadb-server', 'prometheus-mysqld-exporter']),
    install('lb', ['haproxy', 'socat']),
  ]);
  expect(failures(pre)).toEqual([]);
  await sh('mon1', `cat > /root/webhook-sink.py <<'EOF'\n${WEBHOOK_SINK}\nEOF\nsystemd-run -q --unit=webhook-sink python3 /root/webhook-sink.py && systemd-run -q --unit=smtp-sink python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox /var/tmp/mail`);
}, LONG);
afterAll(async () => {
  if (process.env.CONVERGE_KEEP_HOSTS !== "1") await lab?.stop();
});

describe('roles/monitoring: Prometheus, Alertmanager and exporters on three hosts', () => {
  test('converges (check predicts the run, the second run changes nothing); files and secrets in place', async () => {
    const first = await converge(vars());
    expect(changedTasks(first)).toEqual(
      expect.arrayContaining(['mon1\tprometheus.yml and rules', 'mon1\talertmanager.yml', 'mon2\tmysqld_exporter MariaDB account', 'mon2\tmysqld_exporter credentials and arguments', 'mon3\thaproxy.cfg']),
    );
    expect(await sh('mon2', 'stat -c %a:%U:%G /var/lib/prometheus/.my.cnf')).toBe('600:prometheus:prometheus');
    expect(await sh('mon2', 'grep -c "password = \\"exporter-Secret-7f3a\\"" /var/lib/prometheus/.my.cnf')).toBe('1');
    expect(await sh('mon1', 'stat -c %a:%U:%G /etc/prometheus/alertmanager.yml')).toBe('640:root:prometheus');
    expect(await sh('mon1', 'cat /etc/default/prometheus')).toContain('--web.enable-lifecycle');
    // The secrets are on no command line of the hosts.
    for (const h of ['mon1', 'mon2']) expect(await sh(h, 'ps -eo args')).not.toMatch(new RegExp(`${EXPORTER_PASSWORD}|${CHAT_TOKEN}`));
  }, LONG);

  test('Prometheus scrapes every target: up == 1 for each, read through its HTTP API', async () => {
    const want = [
      'alertmanager mon1',
      `blackbox http://${lab.hosts[2]?.address}:80/`,
      'blackbox_exporter mon1',
      'haproxy mon3',
      'mysqld mon2',
      'node mon1',
      'node mon2',
      'node mon3',
      'prometheus mon1',
    ];
    // The active targets of the configuration (an instant query of `up` would also show the
    // series of Debian's default configuration for five minutes after the restart).
    const up = await eventually('every target up', 60_000, async () => {
      const r = await api<{ data: { activeTargets: { labels: Record<string, string>; health: string }[] } }>('/api/v1/targets?state=active');
      const rows = r.data.activeTargets.map((t) => `${t.labels.job} ${t.labels.instance} ${t.health}`).sort();
      return rows.length === want.length && rows.every((x) => x.endsWith(' up')) ? rows : undefined;
    });
    expect(up).toEqual(want.map((w) => `${w} up`));
    const upQuery = await api<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(`/api/v1/query?query=${encodeURIComponent('up{instance!~"localhost:.*"}')}`);
    expect(upQuery.data.result.map((s) => `${s.metric.job} ${s.metric.instance} ${s.value[1]}`).sort()).toEqual(want.map((w) => `${w} 1`));
    // What each exporter is for: MariaDB reachable, HAProxy's backend with its server, the probe.
    const value = async (q: string) => (await api<{ data: { result: { value: [number, string] }[] } }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).data.result.map((s) => s.value[1]);
    expect(await value('mysql_up')).toEqual(['1']);
    expect(await eventually('HAProxy backend up', 30_000, async () => ((await value('haproxy_backend_active_servers{proxy="prometheus"}'))[0] === '1' ? true : undefined))).toBe(true);
    expect(await value('probe_success')).toEqual(['1']);
    const rules = await api<{ data: { groups: { name: string; rules: { name: string }[] }[] } }>('/api/v1/rules');
    expect(rules.data.groups.map((g) => g.name).sort()).toEqual(defaultRuleFiles()[0]?.groups.map((g) => g.name).sort());
  }, LONG);

  test('a stopped MariaDB fires MariadbDown; Alertmanager delivers it by mail, chat and SMS webhook', async () => {
    await sh('mon2', 'systemctl stop mariadb');
    try {
      const alert = await eventually('MariadbDown firing', 60_000, async () => {
        const r = await api<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>('/api/v1/alerts');
        return r.data.alerts.find((a) => a.labels.alertname === 'MariadbDown' && a.state === 'firing');
      });
      expect(alert.labels).toMatchObject({ instance: 'mon2', job: 'mysqld', severity: 'critical' });

      const posts = await eventually('chat and SMS webhooks', 60_000, async () => {
        const lines = (await sh('mon1', 'cat /var/tmp/webhook.jsonl 2>/dev/null || true')).split('\n').filter(Boolean);
        const all = lines.map((l) => JSON.parse(l) as { path: string; body: Record<string, unknown> });
        const chat = all.find((p) => p.path === `/chat/${CHAT_TOKEN}` && JSON.stringify(p.body).includes('MariadbDown'));
        const sms = all.find((p) => p.path === '/sms' && JSON.stringify(p.body).includes('MariadbDown'));
        return chat && sms ? { chat, sms } : undefined;
      });
      // Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/0.25/configuration/#webhook_config).
      expect(posts.sms.body).toMatchObject({ version: '4', status: 'firing', receiver: 'oncall', commonLabels: { alertname: 'MariadbDown', instance: 'mon2', severity: 'critical' } });
      expect((posts.sms.body.alerts as { labels: Record<string, string>; annotations: Record<string, string> }[])[0]).toMatchObject({
        labels: { alertname: 'MariadbDown', instance: 'mon2' },
        annotations: { summary: 'MariaDB on mon2 is down' },
      });
      // Slack's incoming-webhook message.
      expect(posts.chat.body).toMatchObject({ channel: '#ops', attachments: [expect.objectContaining({ title: 'MariadbDown mon2' })] });

      const mail = await eventually('the mail', 60_000, async () => {
        const out = await sh('mon1', 'grep -l MariadbDown /var/tmp/mail/new/* 2>/dev/null | head -1 | xargs -r cat');
        return out === '' ? undefined : out;
      });
      expect(mail).toMatch(/^Subject: \[firing\] MariadbDown on mon2$/m);
      expect(mail).toMatch(/^To: oncall@example\.test$/m);
      expect(mail).toMatch(/^From: alertmanager@mon1\.test$/m);
      // The body is quoted-printable (RFC 2045 §6.7): soft line breaks removed before reading it.
      expect(mail.replace(/=\r?\n/g, '')).toContain('MariaDB on mon2 is down');
    } finally {
      await sh('mon2', 'systemctl start mariadb');
    }
  }, LONG);

  test('a broken rule file and a broken Alertmanager configuration are refused; the old files keep serving', async () => {
    const before = await sh('mon1', 'sha256sum /etc/prometheus/rules/converge-stack.yml /etc/prometheus/alertmanager.yml /etc/prometheus/prometheus.yml');

    const brokenRules = vars();
    brokenRules.prometheus = { ...brokenRules.prometheus, rule_files: [{ name: 'broken', groups: [{ name: 'broken', rules: [{ alert: 'Broken', expr: 'up ==' }] }] }] };
    const r1 = await runPlays(lab, plays(brokenRules), { diff: true });
    const f1 = failures(r1);
    expect(f1).toHaveLength(1);
    expect(f1[0]).toMatch(/^mon1 "prometheus.yml and rules" \(prometheus.server\): .*validation failed \(promtool check rules %s\)/s);
    expect(f1[0]).toMatch(/parse error/);

    const brokenRoute = vars();
    brokenRoute.alertmanager.route.routes = [{ matchers: ['alertname=~"("'], receiver: 'oncall' }];
    const r2 = await runPlays(lab, plays(brokenRoute), { diff: true });
    const f2 = failures(r2);
    expect(f2).toHaveLength(1);
    expect(f2[0]).toMatch(/^mon1 "alertmanager.yml" \(alertmanager.config\): .*validation failed \(amtool check-config %s\)/s);

    // Nothing was replaced, no candidate was left behind, and both services still run the old files.
    expect(await sh('mon1', 'sha256sum /etc/prometheus/rules/converge-stack.yml /etc/prometheus/alertmanager.yml /etc/prometheus/prometheus.yml')).toBe(before);
    expect(await sh('mon1', 'ls -A /etc/prometheus/rules; ls -A /etc/prometheus | grep -c converge- || true')).toBe('converge-stack.yml\n0');
    const rules = await api<{ data: { groups: { name: string }[] } }>('/api/v1/rules');
    expect(rules.data.groups.map((g) => g.name)).not.toContain('broken');
    const config = await api<{ data: { yaml: string } }>('/api/v1/status/config');
    expect(config.data.yaml).not.toContain('broken');
    const am = await api<{ config: { original: string } }>('/api/v2/status', `http://${prom}:9093`);
    expect(am.config.original).toContain('severity="critical"');
    expect(am.config.original).not.toContain('alertname=~"("');
    expect(await sh('mon1', 'systemctl is-active prometheus prometheus-alertmanager')).toBe('active\nactive');

    // The good configuration again: nothing to change.
    const back = await runPlays(lab, plays(vars()), { check: true });
    expect(changedTasks(back)).toEqual([]);
  }, LONG);

  test('an exporter at its start rate limit is restarted with its new arguments', async () => {
    // On a fresh host Debian starts mysqld_exporter when it is installed, before converge writes
    // its credentials: it exits, systemd starts it again, and by the time converge restarts it
    // with the credentials it may be at its start rate limit (StartLimitBurst=, 5 in 10 s). Here
    // a limit of 3 starts in 5 minutes (a runtime drop-in), used up by three restarts, makes that
    // moment last.
    const dropIn = '/run/systemd/system/prometheus-mysqld-exporter.service.d';
    await sh('mon2', `mkdir -p ${dropIn} && printf '[Unit]\\nStartLimitIntervalSec=300\\nStartLimitBurst=3\\n' > ${dropIn}/limit.conf && systemctl daemon-reload && for i in 1 2 3; do systemctl restart prometheus-mysqld-exporter; done`);
    try {
      expect(await sh('mon2', 'systemctl is-active prometheus-mysqld-exporter')).toBe('active');
      const exporter = (collectors?: string[]) => prometheus.mysqld_exporter({ user: 'exporter', password: secret(EXPORTER_PASSWORD), ...(collectors ? { collectors } : {}) }, { name: 'mysqld_exporter credentials and arguments' });
      const run = await runTasks(lab, [exporter(['info_schema.processlist'])], { hosts: 'galera' });
      expect(failures(run)).toEqual([]);
      expect(changedTasks(run)).toEqual(['mon2\tmysqld_exporter credentials and arguments']);
      expect(await sh('mon2', 'systemctl is-active prometheus-mysqld-exporter')).toBe('active');
      expect(await sh('mon2', 'tr "\\0" " " < /proc/$(systemctl show -p MainPID --value prometheus-mysqld-exporter)/cmdline')).toContain('--collect.info_schema.processlist');
      expect(failures(await runTasks(lab, [exporter()], { hosts: 'galera' }))).toEqual([]);
    } finally {
      await sh('mon2', `rm -r ${dropIn} && systemctl daemon-reload && systemctl reset-failed prometheus-mysqld-exporter; systemctl start prometheus-mysqld-exporter`);
    }
  }, LONG);
});
