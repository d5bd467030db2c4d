// Firewalls, TLS and SSH hardening on two real Debian 12 containers with CAP_NET_ADMIN (their own
// network namespaces), converged over SSH: check, run, run again (zero changes), check again.
// host1 gets nftables, host2 ufw; each checks from the other that a blocked port is really
// blocked. Every run after the first opens a new SSH connection: a firewall or an sshd config
// that shut converge out would fail the next run.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apt, nftables, systemd, ufw } from '@converge/modules';
import { changedTasks, convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';

let hosts: TestHosts;
let ip1 = '';
let ip2 = '';

async function sh(host: string, command: string): Promise<string> {
  const r = await hosts.exec(host, command);
  if (r.exitCode !== 0) throw new Error(`${host}: ${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

/** What `host` gets from http://ADDRESS:PORT/: the HTTP status, or `blocked` when nothing answers within 3 s. */
async function reach(host: string, address: string, port: number): Promise<string> {
  const r = await hosts.exec(host, `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${address}:${port}/`);
  return r.exitCode === 0 ? r.stdout.trim() : r.exitCode === 28 ? 'blocked' : `curl exit ${r.exitCode}`;
}

beforeAll(async () => {
  hosts = await startHosts(2, { capabilities: ['NET_ADMIN'] });
  [ip1, ip2] = hosts.hosts.map((h) => h.address) as [string, string];
  await convergeTwice(hosts, [apt({ name: ['nftables'], update_cache: true, cache_valid_time: 3600 }, { when: (c) => c.host === 'host1' }), apt({ name: ['ufw'], update_cache: true, cache_valid_time: 3600 }, { when: (c) => c.host === 'host2' })]);
  for (const h of ['host1', 'host2']) {
    for (const port of [8080, 8081]) await sh(h, `systemd-run --quiet --unit=web${port} python3 -m http.server ${port} --directory /tmp`);
  }
  for (const h of ['host1', 'host2']) await sh(h, 'for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8081/ && exit 0; sleep 0.1; done; exit 1');
});

afterAll(async () => {
  await hosts?.stop();
});

describe('nftables', () => {
  const filter = (extra: string[] = [], keep: Record<string, unknown> = {}) =>
    nftables({
      ...keep,
      tables: [
        {
          name: 'filter',
          sets: [{ name: 'web_clients', type: 'ipv4_addr', flags: ['interval'], elements: [ip2] }],
          chains: [{ name: 'input', hook: 'input', policy: 'drop', rules: ['ct state established,related accept', 'iif lo accept', 'tcp dport 8080 ip saddr @web_clients accept', ...extra] }],
        },
      ],
    });

  test('a drop policy with the SSH port kept open: the session survives, a new one connects, 8081 is blocked from host2', async () => {
    const { second } = await convergeTwice(hosts, [filter(), systemd.service({ name: 'nftables', enabled: true })], { hosts: 'host1' });
    expect(second.stats.host1?.roundTrips).toBe(1);
    expect(await sh('host1', 'nft -s list chain inet filter input')).toMatch(/tcp dport 22 accept comment "converge: keep the SSH port open"\n\s+ct state established,related accept/);
    expect(await reach('host2', ip1, 8080)).toBe('200');
    expect(await reach('host2', ip1, 8081)).toBe('blocked');
    expect(await sh('host1', 'head -1 /etc/nftables.conf')).toBe('#!/usr/sbin/nft -f');
  });

  test('a rule added by hand is drift: the check shows it, the run removes it', async () => {
    await sh('host1', 'nft add rule inet filter input tcp dport 8081 accept');
    expect(await reach('host2', ip1, 8081)).toBe('200');
    const { check } = await convergeTwice(hosts, [filter()], { hosts: 'host1' });
    const row = check.tasks.find((t) => t.module === 'nftables');
    expect(JSON.stringify(row?.changes)).toContain('table inet filter was changed by hand');
    expect(await reach('host2', ip1, 8081)).toBe('blocked');
  });

  test('a ruleset that would cut the running session is rolled back by the guard, and the next run connects', async () => {
    // No SSH accept of our own and no established-connection accept: the controller's packets are dropped.
    const cutting = nftables({ keep_ssh: false, tables: [{ name: 'filter', chains: [{ name: 'input', hook: 'input', policy: 'drop', rules: ['iif lo accept'] }] }] });
    const report = await runTasks(hosts, [cutting], { hosts: 'host1' });
    const row = report.tasks.find((t) => t.module === 'nftables');
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/stopped reaching the controller.*the previous tables were restored/s);
    expect(await sh('host1', 'nft -s list chain inet filter input')).toMatch(/tcp dport 8080 ip saddr @web_clients accept/);
    expect(await sh('host1', 'grep -c "iif lo accept" /etc/nftables.conf')).toBe('1');
    expect(changedTasks(await runTasks(hosts, [filter()], { hosts: 'host1', check: true }))).toEqual([]);
  });

  test('a keep_ssh source list without the controller is refused before anything is loaded', async () => {
    const report = await runTasks(hosts, [filter([], { keep_ssh: { from: ['192.0.2.0/24'] } })], { hosts: 'host1' });
    expect(report.tasks[0]?.message).toMatch(/leaves out .*the address this run connects from/);
  });

  test('no tables: the table converge loaded is deleted, others stay', async () => {
    await sh('host1', 'nft add table ip other');
    await convergeTwice(hosts, [nftables({ tables: [] })], { hosts: 'host1' });
    expect(await sh('host1', 'nft list tables')).toBe('table ip other');
    expect(await reach('host2', ip1, 8081)).toBe('200');
  });
});

describe('ufw', () => {
  const allowSsh = ufw({ rule: 'allow', port: '22', proto: 'tcp' });
  test('enabled with deny incoming after an SSH rule: 8080 open to host1 only, 8081 blocked; run twice', async () => {
    const { second } = await convergeTwice(hosts, [allowSsh, ufw({ rule: 'allow', port: '8080', proto: 'tcp', from_ip: ip1, comment: 'web from host1' }), ufw({ state: 'enabled', default: 'deny', logging: 'low' })], { hosts: 'host2' });
    expect(second.stats.host2?.roundTrips).toBe(1);
    expect(await reach('host1', ip2, 8080)).toBe('200');
    expect(await reach('host1', ip2, 8081)).toBe('blocked');
    expect(await sh('host2', 'ufw status | head -1')).toBe('Status: active');
  });

  test('removing the rule that lets converge in is refused', async () => {
    const report = await runTasks(hosts, [ufw({ rule: 'allow', port: '22', proto: 'tcp', delete: true })], { hosts: 'host2' });
    expect(report.tasks[0]?.status).toBe('failed');
    expect(report.tasks[0]?.message).toMatch(/would deny new connections to port 22, the SSH port this run uses/);
  });

  test('disabled again', async () => {
    await convergeTwice(hosts, [ufw({ state: 'disabled' })], { hosts: 'host2' });
    expect(await reach('host1', ip2, 8081)).toBe('200');
  });
});
