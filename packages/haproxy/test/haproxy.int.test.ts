import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret, type Play, type Secret } from '@converge/core';
import { apt, copy, systemd } from '@converge/modules';
import { changedTasks, convergePlaysTwice, failures, runPlays, startHosts, type TestHosts } from '@converge/testing';
import { haproxy, type HaproxyConfigParams } from '../src/index.js';
import { loadBalancer } from '../../../roles/load-balancer/src/index.js';

// One HAProxy host (hap1, role load-balancer) in front of two nginx hosts (hap2, hap3), all
// real Debian 12 containers reached over SSH; HTTP requests go from this process to the
// containers' bridge addresses, as the quickstart's check does.

let hosts: TestHosts;
let lb: string;
const STATS_PASSWORD = 'stats-canary-7f3a';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { connection: 'close', ...headers }, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.text()).trim() };
}

/** `n` sequential requests to the load balancer: the app that answered each. */
async function whoAnswers(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(`http://${lb}/`)).body);
  return out;
}

/**
 * Keep-alive clients under load, as browsers and upstream proxies are: `clients` connections kept
 * open, each sending a request, reading the answer, then idle for 0 to 20 ms before the next, so
 * that at any moment some connections are idle and some carry a request. Counts the requests
 * answered 200, the failures (a reset connection is one) and the connections opened.
 */
function keepAliveLoad(clients: number): { stop(): Promise<{ ok: number; errors: string[]; connections: number }> } {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const sockets = new Set<unknown>();
  const errors: string[] = [];
  let ok = 0;
  let stopped = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = httpRequest({ host: lb, port: 80, path: '/', agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else errors.push(`HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.on('socket', (s) => sockets.add(s));
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (e) => {
        errors.push(String(e));
        resolve();
      });
      req.end();
    });
  const client = async () => {
    while (!stopped) {
      await once();
      await sleep(Math.random() * 20);
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    stop: async () => {
      stopped = true;
      await running;
      agent.destroy();
      return { ok, errors, connections: sockets.size };
    },
  };
}

/** Reloads HAProxy as converge does (`systemctl reload`) and waits until a new worker answers. */
async function reload(): Promise<void> {
  const before = (await socketQuery('show info')).match(/^Pid: (\d+)$/m)?.[1];
  await sh('hap1', 'systemctl reload haproxy');
  for (let i = 0; i < 100; i++) {
    if ((await socketQuery('show info').catch(() => '')).match(/^Pid: (\d+)$/m)?.[1] !== before) return;
    await sleep(100);
  }
  throw new Error('no new HAProxy worker within 10 s of the reload');
}

function httpsGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // The certificate is self-signed, made on the test host for this test only.
    const req = httpsRequest({ host, port, path: '/', rejectUnauthorized: false, servername: 'lb.example.test', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sh(host: string, command: string): Promise<string> {
  const r = await hosts.exec(host, command);
  if (r.exitCode !== 0) throw new Error(`${host}: ${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

const socketQuery = (q: string) => sh('hap1', `echo '${q}' | socat - UNIX-CONNECT:/run/haproxy/admin.sock`);

const appPlay: Play = {
  name: 'apps',
  hosts: 'app',
  tasks: [
    apt({ name: ['nginx-light'], update_cache: true, cache_valid_time: 3600 }),
    copy((h) => ({ dest: '/var/www/html/index.html', content: `app ${h.host}\n` })),
    systemd.service({ name: 'nginx', state: 'started', enabled: true }),
  ],
};

function model(extra: Partial<HaproxyConfigParams> = {}, pem?: Secret): HaproxyConfigParams {
  const [, app1, app2] = hosts.hosts;
  return {
    global: { chroot: '/var/lib/haproxy', server_state_file: '/var/lib/haproxy/server-state' },
    frontends: [
      {
        name: 'www',
        binds: [{ address: '*:80' }, ...(pem ? [{ address: '*:443', ssl: { certificates: ['lb'] } }] : [])],
        acls: [{ name: 'is_old', criterion: 'path_beg /old' }],
        redirects: [{ type: 'location', to: '/', code: 301, if: 'is_old' }],
        use_backends: [{ backend: 'app', if: '{ path_beg / }' }],
        default_backend: 'app',
      },
    ],
    backends: [
      {
        name: 'app',
        balance: 'roundrobin',
        health_check: { path: '/', expect_status: '200', interval: '1s', fall: 2, rise: 1 },
        servers: [
          { name: 'hap2', address: `${app1?.address}:80`, weight: 10, maxconn: 50 },
          { name: 'hap3', address: `${app2?.address}:80`, weight: 10, maxconn: 50 },
        ],
      },
    ],
    stats: { bind: '*:8404', uri: '/stats', auth: { user: 'ops', password: secret(STATS_PASSWORD) } },
    ...(pem ? { certificates: { lb: pem } } : {}),
    ...extra,
  };
}

const lbPlay = (config: HaproxyConfigParams): Play => ({ name: 'load balancer', hosts: 'lb', roles: [loadBalancer(config)] });

beforeAll(async () => {
  hosts = await startHosts(3, { prefix: 'hap', groups: { lb: ['hap1'], app: ['hap2', 'hap3'] } });
  lb = hosts.hosts[0]?.address as string;
});

afterAll(async () => {
  await hosts?.stop();
});

describe('haproxy (1 load balancer, 2 nginx apps)', () => {
  let pem: Secret;

  it('installs the packages (a separate converge: check mode cannot know that Debian starts a service on install)', async () => {
    await convergePlaysTwice(hosts, [
      { name: 'packages', hosts: 'lb', tasks: [apt({ name: ['haproxy', 'socat'], update_cache: true, cache_valid_time: 3600 })] },
      { name: 'packages', hosts: 'app', tasks: [apt({ name: ['nginx-light'], update_cache: true, cache_valid_time: 3600 })] },
    ]);
    pem = secret(await sh('hap1', 'cd /tmp && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 30 -subj /CN=lb.example.test 2>/dev/null && cat c.pem k.pem && rm -f k.pem c.pem'));
  }, 900_000);

  it('converges the apps and the load balancer role twice; requests reach both apps, over TLS too', async () => {
    const { first } = await convergePlaysTwice(hosts, [appPlay, lbPlay(model({}, pem))]);
    expect(changedTasks(first)).toEqual(expect.arrayContaining(['hap1\thaproxy.cfg']));
    expect(JSON.stringify(first)).not.toContain(STATS_PASSWORD);
    expect(JSON.stringify(first)).not.toContain('PRIVATE KEY');
    expect(await sh('hap1', 'stat -c %a:%U /etc/haproxy/certs/lb.pem /etc/haproxy/haproxy.cfg')).toBe('600:root\n640:root');
    expect(await sh('hap1', 'systemctl is-active haproxy')).toBe('active');

    expect(new Set(await whoAnswers(6))).toEqual(new Set(['app hap2', 'app hap3']));
    const tls = new Set([await httpsGet(lb, 443), await httpsGet(lb, 443), await httpsGet(lb, 443), await httpsGet(lb, 443)]);
    expect(tls).toEqual(new Set(['app hap2', 'app hap3']));
    const redirect = await fetch(`http://${lb}/old/page`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/']);
    expect((await get(`http://${lb}:8404/stats`)).status).toBe(401);
    const auth = `Basic ${Buffer.from(`ops:${STATS_PASSWORD}`).toString('base64')}`;
    expect((await get(`http://${lb}:8404/stats`, { authorization: auth })).status).toBe(200);
  }, 600_000);

  it('reloads a changed configuration without a restart; keep-alive clients under load lose no request through reloads', async () => {
    const mainPid = await sh('hap1', 'systemctl show -p MainPID --value haproxy');
    const workerPid = (await socketQuery('show info')).match(/^Pid: (\d+)$/m)?.[1];
    const load = keepAliveLoad(16);
    let result: Awaited<ReturnType<typeof load.stop>>;
    try {
      const changed = model({ defaults: { timeouts: { server: '20s' } } }, pem);
      const { first } = await convergePlaysTwice(hosts, [lbPlay(changed)]);
      expect(changedTasks(first)).toEqual(['hap1\thaproxy.cfg']);
      // More reloads of the same configuration, each while idle keep-alive connections wait.
      for (let i = 0; i < 8; i++) {
        await reload();
        await sleep(300);
      }
    } finally {
      result = await load.stop();
    }
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(1000);
    // The clients kept their connections (a few per reload), not one per request.
    expect(result.connections).toBeLessThan(result.ok / 5);
    expect(await sh('hap1', 'systemctl show -p MainPID --value haproxy')).toBe(mainPid);
    expect((await socketQuery('show info')).match(/^Pid: (\d+)$/m)?.[1]).not.toBe(workerPid);
    expect(await sh('hap1', 'grep -c "timeout server 20s" /etc/haproxy/haproxy.cfg')).toBe('1');
  }, 600_000);

  it("refuses a broken configuration with haproxy's own message, and the old one keeps serving", async () => {
    const before = await sh('hap1', 'sha256sum /etc/haproxy/haproxy.cfg');
    const workerPid = (await socketQuery('show info')).match(/^Pid: (\d+)$/m)?.[1];
    const broken = model({ defaults: { timeouts: { server: '20s' } }, global: { chroot: '/var/lib/haproxy', server_state_file: '/var/lib/haproxy/server-state', extra: ['bogus-directive 1'] } }, pem);
    const report = await runPlays(hosts, [lbPlay(broken)]);
    const failed = report.tasks.filter((t) => t.status === 'failed');
    expect(failed.map((t) => `${t.host} ${t.task}`)).toEqual(['hap1 haproxy.cfg']);
    expect(failed[0]?.message).toContain("unknown keyword 'bogus-directive' in 'global' section");
    expect(await sh('hap1', 'sha256sum /etc/haproxy/haproxy.cfg')).toBe(before);
    expect(await sh('hap1', 'ls -A /etc/haproxy')).not.toContain('.converge-');
    expect((await socketQuery('show info')).match(/^Pid: (\d+)$/m)?.[1]).toBe(workerPid);
    expect(new Set(await whoAnswers(6))).toEqual(new Set(['app hap2', 'app hap3']));
  }, 300_000);

  it('drains a server through the runtime API: it gets no new requests; ready brings it back; weights change at runtime; states survive a reload', async () => {
    const drain: Play = { name: 'rolling deploy', hosts: 'lb', tasks: [haproxy.server({ backend: 'app', server: 'hap2', state: 'drain' })] };
    const { first } = await convergePlaysTwice(hosts, [drain]);
    expect(changedTasks(first)).toHaveLength(1);
    expect(await socketQuery('show servers state app')).toMatch(/^\d+ app \d+ hap2 \S+ 2 8 /m);
    expect(new Set(await whoAnswers(8))).toEqual(new Set(['app hap3']));

    // A configuration change reloads HAProxy; the server state file keeps hap2 drained.
    const { first: reloaded } = await convergePlaysTwice(hosts, [lbPlay(model({ defaults: { timeouts: { server: '25s' } } }, pem))]);
    expect(changedTasks(reloaded)).toEqual(['hap1\thaproxy.cfg']);
    expect(await socketQuery('show servers state app')).toMatch(/^\d+ app \d+ hap2 \S+ 2 8 /m);
    expect(new Set(await whoAnswers(8))).toEqual(new Set(['app hap3']));

    await convergePlaysTwice(hosts, [{ ...drain, tasks: [haproxy.server({ backend: 'app', server: 'hap2', state: 'maint' })] }]);
    expect(new Set(await whoAnswers(4))).toEqual(new Set(['app hap3']));

    await convergePlaysTwice(hosts, [{ ...drain, tasks: [haproxy.server({ backend: 'app', server: 'hap2', state: 'ready' })] }]);
    expect(new Set(await whoAnswers(6))).toEqual(new Set(['app hap2', 'app hap3']));

    await convergePlaysTwice(hosts, [{ ...drain, tasks: [haproxy.server({ backend: 'app', server: 'hap3', weight: 5 })] }]);
    expect(await socketQuery('show servers state app')).toMatch(/^\d+ app \d+ hap3 \S+ 2 0 5 10 /m);
    await convergePlaysTwice(hosts, [{ ...drain, tasks: [haproxy.server({ backend: 'app', server: 'hap3', weight: 10 })] }]);
  }, 600_000);

  it('fails clearly for a server the backend does not have', async () => {
    const report = await runPlays(hosts, [{ name: 'x', hosts: 'lb', tasks: [haproxy.server({ backend: 'app', server: 'nope', state: 'drain' })] }]);
    expect(report.tasks[0]?.message).toMatch(/backend app has no server nope \(it has: hap2, hap3\)/);
  });
});
