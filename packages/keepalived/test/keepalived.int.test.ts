// @converge/keepalived and the load-balancer and sql-router roles on three real Debian 12
// containers with NET_ADMIN (VRRP addresses): ka1 and ka2 are the load-balancer pair (HAProxy +
// keepalived, unicast VRRP on the bridge network standing in for the private network), ka3 an
// nginx backend and, for the failover hook, a recorder standing in for the provider's API (the
// OVHcloud and Scaleway APIs cannot be reached from here; the hook's requests are checked in
// detail by test/failover/cloud-failover-script.test.ts). Requests go from this process to the
// shared address on the bridge, with keep-alive HTTP clients. Every converge runs as check,
// run, run again (zero changes), check again; the check's predictions equal the run's changes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret, type Play } from '@converge/core';
import { apt, copy, systemd } from '@converge/modules';
import { changedTasks, convergePlaysTwice, failoverWindow, failures, requestLoop, runPlays, startHosts, type TestHosts } from '@converge/testing';
import type { HaproxyConfigParams } from '@converge/haproxy';
import { loadBalancer } from '../../../roles/load-balancer/src/index.js';
import { sqlRouter } from '../../../roles/sql-router/src/index.js';
import type { SharedAddress } from '../src/index.js';

const LONG = 600_000;
const VRRP_PASSWORD = 'vrrp-k9Q';
const API_TOKEN = 'scw-token-test-only';
let hosts: TestHosts;
let vip = '';
let prefix = 0;
let backend = '';

async function sh(host: string, command: string): Promise<string> {
  const r = await hosts.exec(host, command);
  if (r.exitCode !== 0) throw new Error(`${host}: ${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}
const holds = async (host: string, address: string) => (await hosts.exec(host, `ip -o -4 addr show dev eth0 | grep -qF ' ${address}/'`)).exitCode === 0;
async function holders(address = vip): Promise<string[]> {
  const out: string[] = [];
  for (const h of ['ka1', 'ka2']) if (await holds(h, address)) out.push(h);
  return out;
}
async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await test()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  const journals = await Promise.all(['ka1', 'ka2'].map(async (h) => `${h}:\n${(await hosts.exec(h, 'journalctl -u keepalived --no-pager -o cat | tail -n 15')).stdout}`));
  throw new Error(`not within ${timeoutMs} ms: ${what}\n${journals.join('\n')}`);
}

const haproxyModel = (): HaproxyConfigParams => ({
  frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }],
  backends: [{ name: 'app', servers: [{ name: 'ka3', address: `${backend}:80` }] }],
});
const vipSpec = (over: Partial<SharedAddress> = {}): SharedAddress => ({
  name: 'VI_LB',
  address: `${vip}/${prefix}`,
  interface: 'eth0',
  virtual_router_id: 51,
  peers: ['ka1', 'ka2'],
  authentication: secret(VRRP_PASSWORD),
  failover: {
    provider: 'scaleway',
    endpoint: `http://${backend}:8080`,
    attempts: 1,
    timeout: 5,
    scaleway: { secret_key: secret(API_TOKEN), zone: 'fr-par-1', ip_id: 'ip-test' },
    targets: { ka1: 'srv-ka1', ka2: 'srv-ka2' },
  },
  ...over,
});
const lbPlay = (spec: SharedAddress = vipSpec()): Play => ({ name: 'load balancers', hosts: 'lb', roles: [loadBalancer(haproxyModel(), { vip: spec })] });
const appPlay: Play = {
  name: 'app',
  hosts: 'app',
  tasks: [copy((h) => ({ dest: '/var/www/html/index.html', content: `app ${h.host}\n` })), systemd.service({ name: 'nginx', state: 'started', enabled: true })],
};

/** The move requests the stand-in provider API on ka3 received, `METHOD PATH BODY`. */
async function apiMoves(): Promise<string[]> {
  const log = await sh('ka3', 'cat /var/log/api-recorder.log 2>/dev/null || :');
  return log.split('\n').filter((l) => l.startsWith('PATCH ')).map((l) => l.split(' token=')[0] as string);
}

beforeAll(async () => {
  hosts = await startHosts(3, { prefix: 'ka', capabilities: ['NET_ADMIN'], groups: { lb: ['ka1', 'ka2'], app: ['ka3'] } });
  backend = hosts.hosts[2]?.address as string;
  // A free address high in the bridge's subnet (Docker hands out addresses from the bottom). The
  // prefix is the netmask of eth0's on-link route (/proc/net/route: hex, little-endian).
  const mask = await sh('ka1', "awk '$1 == \"eth0\" && $3 == \"00000000\" { print $8; exit }' /proc/net/route");
  prefix = [...parseInt(mask, 16).toString(2)].filter((b) => b === '1').length;
  const octets = (hosts.hosts[0]?.address as string).split('.').map(Number);
  vip = prefix <= 16 ? `${octets[0]}.${octets[1]}.255.${200 + Math.floor(Math.random() * 50)}` : `${octets[0]}.${octets[1]}.${octets[2]}.${200 + Math.floor(Math.random() * 50)}`;
  // The stand-in provider API on ka3: records each request (method, path, body, token) and answers 200 {}.
  await sh('ka3', `cat > /usr/local/bin/api-recorder <<'EOF'\n${readFileSync(new URL('./fixtures/api-recorder.py', import.meta.url), 'utf8')}EOF\nchmod 0755 /usr/local/bin/api-recorder && systemd-run --unit api-recorder /usr/bin/python3 /usr/local/bin/api-recorder 8080`);
}, LONG);

afterAll(async () => {
  await hosts?.stop();
});

describe('a load-balancer pair sharing an address (keepalived, unicast VRRP)', () => {
  it('installs the packages (a separate converge: check mode cannot know that Debian starts a service on install)', async () => {
    await convergePlaysTwice(hosts, [
      { name: 'packages', hosts: 'lb', tasks: [apt({ name: ['haproxy', 'socat', 'keepalived', 'curl', 'openssl', 'ca-certificates'], update_cache: true, cache_valid_time: 3600 })] },
      { name: 'packages', hosts: 'app', tasks: [apt({ name: ['nginx-light'], update_cache: true, cache_valid_time: 3600 })] },
    ]);
    // The whole model renders to a file keepalived 2.2.7 itself accepts (interfaces of this host).
    const full = readFileSync(new URL('./fixtures/full.conf', import.meta.url), 'utf8').replace(/eth1/g, 'eth0').replace(/eth2/g, 'lo');
    await sh('ka1', `cat > /tmp/full.conf <<'EOF'\n${full}EOF\nkeepalived -t -f /tmp/full.conf`);
  }, LONG);

  it('converges the pair twice: the preferred master holds the address, requests through it reach the app, the hook moved the provider address', async () => {
    const { first } = await convergePlaysTwice(hosts, [appPlay, lbPlay()]);
    expect(changedTasks(first)).toEqual(expect.arrayContaining(['ka1\tkeepalived.conf', 'ka2\tkeepalived.conf', 'ka1\tcloud failover hook', 'ka2\tcloud failover hook']));
    expect(JSON.stringify(first)).not.toContain(VRRP_PASSWORD);
    expect(JSON.stringify(first)).not.toContain(API_TOKEN);
    expect(await sh('ka1', 'stat -c %a:%U /etc/keepalived/keepalived.conf /etc/keepalived/cloud-failover /etc/keepalived/cloud-failover/VI_LB.conf /usr/local/sbin/converge-cloud-failover')).toBe('600:root\n700:root\n600:root\n755:root');
    await waitFor(`ka1 holds ${vip}`, async () => (await holders()).join() === 'ka1');
    const res = await fetch(`http://${vip}/`, { signal: AbortSignal.timeout(5000) });
    expect((await res.text()).trim()).toBe('app ka3');
    await waitFor('the hook of the master called the provider API', async () => (await apiMoves()).at(-1) === 'PATCH /instance/v1/zones/fr-par-1/ips/ip-test {"server":"srv-ka1"}');
  }, LONG);

  it('reloads a changed configuration without restarting keepalived, keeping the address and every request', async () => {
    const pid = await sh('ka1', 'systemctl show -p MainPID --value keepalived');
    const loop = requestLoop(`http://${vip}/`);
    await new Promise((r) => setTimeout(r, 500));
    try {
      const { first } = await convergePlaysTwice(hosts, [lbPlay(vipSpec({ advert_int: 2 }))]);
      expect(changedTasks(first)).toEqual(['ka1\tkeepalived.conf', 'ka2\tkeepalived.conf']);
      expect(first.tasks.find((t) => t.host === 'ka1' && t.task === 'keepalived.conf')?.changes?.map((c) => c.path)).toEqual(['content', 'service']);
    } finally {
      const outcomes = await loop.stop();
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(10);
    }
    expect(await sh('ka1', 'systemctl show -p MainPID --value keepalived')).toBe(pid);
    expect(await sh('ka1', 'grep -c "advert_int 2" /etc/keepalived/keepalived.conf')).toBe('1');
    expect(await holders()).toEqual(['ka1']);
    expect(await sh('ka1', 'journalctl -u keepalived --no-pager -o cat | grep -c "Reloading" || :')).not.toBe('0');
  }, LONG);

  it('refuses a broken configuration with keepalived -t\'s own words; the old file and daemon keep running', async () => {
    const before = await sh('ka1', 'sha256sum /etc/keepalived/keepalived.conf');
    const pid = await sh('ka1', 'systemctl show -p MainPID --value keepalived');
    const broken: SharedAddress = vipSpec({ advert_int: 2, interface: 'eth9' });
    const report = await runPlays(hosts, [lbPlay(broken)]);
    const failed = report.tasks.filter((t) => t.status === 'failed');
    expect(failed.map((t) => `${t.host} ${t.task}`).sort()).toEqual(['ka1 keepalived.conf', 'ka2 keepalived.conf']);
    expect(failed[0]?.message).toContain('keepalived -t -f %s');
    expect(failed[0]?.message).toContain("interface eth9 for vrrp_instance VI_LB doesn't exist");
    expect(failed[0]?.message).not.toContain(VRRP_PASSWORD);
    expect(await sh('ka1', 'sha256sum /etc/keepalived/keepalived.conf')).toBe(before);
    expect(await sh('ka1', 'ls -A /etc/keepalived')).not.toContain('.converge-');
    expect(await sh('ka1', 'systemctl show -p MainPID --value keepalived')).toBe(pid);
    expect(await holders()).toEqual(['ka1']);
  }, LONG);

  it('moves the address to the backup when HAProxy stops on the master, and back when it returns: measured failover window', async () => {
    const measure = async (what: string, fail: string, heal: string) => {
      const loop = requestLoop(`http://${vip}/`);
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      await sh('ka1', fail);
      const moved = await waitFor(`ka2 holds ${vip} after ${what}`, async () => (await holders()).join() === 'ka2');
      await new Promise((r) => setTimeout(r, 3000));
      const outcomes = await loop.stop();
      const w = failoverWindow(outcomes.filter((o) => o.at >= t0 - 1000));
      console.log(`failover (${what}): address on ka2 after ${moved} ms; requests failed for ${w.windowMs} ms (${w.failed} failed, ${w.ok} ok)`);
      // No failure outside the one window, and the window within what the README states.
      expect(outcomes.filter((o) => !o.ok && o.at < t0)).toEqual([]);
      expect(w.windowMs).toBeLessThan(6000);
      expect(outcomes.filter((o) => o.ok && o.at > t0 + w.windowMs + 1000).length).toBeGreaterThan(0);
      await sh('ka1', heal);
      await waitFor(`ka1 takes ${vip} back (preempt)`, async () => (await holders()).join() === 'ka1');
    };
    await measure('systemctl stop haproxy on the master', 'systemctl stop haproxy', 'systemctl start haproxy');
    await waitFor('the hook of the backup moved the provider address to it', async () => (await apiMoves()).includes('PATCH /instance/v1/zones/fr-par-1/ips/ip-test {"server":"srv-ka2"}'));
    await measure('systemctl stop keepalived on the master', 'systemctl stop keepalived', 'systemctl start keepalived');
    // Everything was put back as it was: the roles have nothing to change.
    const again = await runPlays(hosts, [appPlay, lbPlay(vipSpec({ advert_int: 2 }))]);
    expect(failures(again)).toEqual([]);
    expect(changedTasks(again)).toEqual([]);
  }, LONG);
});

describe('the sql-router pair\'s own address', () => {
  it('converges keepalived on the routers twice; with no MaxScale running (its repository is unreachable here) neither router holds the address', async () => {
    const sqlVip = vip.replace(/\.\d+$/, (m) => `.${Number(m.slice(1)) + 1}`);
    const use = sqlRouter({
      mariadb_key: '',
      maxscale: {} as never,
      vip: { name: 'VI_SQL', address: `${sqlVip}/${prefix}`, interface: 'eth0', virtual_router_id: 52, peers: ['ka1', 'ka2'], authentication: secret(VRRP_PASSWORD) },
    });
    const role = 'role' in use ? use.role : use;
    // Only the shared-address tasks: MaxScale's own (repository, package) run where MariaDB's
    // repository is reachable (packages/maxscale/test/maxscale.int.test.ts says when it is skipped).
    const shared = ['install keepalived', 'cloud failover hook', 'keepalived.conf', 'keepalived running and enabled'];
    const tasks = role.tasks.filter((t) => 'options' in t && shared.includes(t.options.name ?? ''));
    expect(tasks).toHaveLength(shared.length);
    console.log('MaxScale itself is not installed here: MariaDB\'s repository (dlm.mariadb.com) cannot be reached from the test hosts');
    await convergePlaysTwice(hosts, [{ name: 'sql routers', hosts: 'lb', vars: use.vars as Record<string, unknown>, tasks }]);
    expect(await sh('ka1', 'grep -A1 "^vrrp_script" /etc/keepalived/keepalived.conf')).toBe('vrrp_script maxscale {\n    script "/usr/bin/pgrep -x maxscale"');
    await waitFor('both routers in FAULT', async () => {
      for (const h of ['ka1', 'ka2']) if ((await hosts.exec(h, 'journalctl -u keepalived --no-pager -o cat | grep -q "(VI_SQL) Entering FAULT STATE"')).exitCode !== 0) return false;
      return true;
    });
    expect(await holders(sqlVip)).toEqual([]);
  }, LONG);
});
