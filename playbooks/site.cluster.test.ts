// The reference stack end to end: `converge -i inventories/local playbooks/site.ts` (the real
// command) on seven Debian 12 containers at the fixed addresses of inventories/local, from
// nothing: --check, the run, a second run that changes nothing; then a hand-made drift (a managed
// file edited, a service stopped) that --check predicts exactly and the next run repairs. Then, from this
// process: a request to the shared address reaches an app that writes and reads the database; a file
// written on the NFS server is read from an app host; the restore drill backs the database up
// to all three repositories and restores it into a scratch server; playbooks/rolling-app-deploy.ts
// under a keep-alive request loop loses no request; stopping HAProxy on the active load balancer
// moves the address within the failover window stated in docs/reference-stack.md.
//
// Test doubles, for what cannot run here: OVHcloud's and Scaleway's object storage are
// @converge/testing's S3 server (s3rver, npm) over HTTPS on the Docker gateway (the inventory's
// 10.89.19.1:9001 and :9002); every host trusts their certificates, as a cloud host trusts its
// provider's public CA. s3rver, because MinIO, the usual S3 stand-in, is not obtainable here (not
// in Debian, and no container image can be pulled); HTTPS, because over plain HTTP restic's
// uploads are aws-chunked streams that s3rver stores undecoded (startS3Server's TSDoc).
// MaxScale, Grafana, Loki and Alloy cannot be installed (their vendors' repositories do not
// answer): the run skips them and says why, which this test checks.
//
// This test also holds the checks of examples/lb-galera (its playbook is the data path of this
// stack on one load balancer): both apps behind the load balancer read each other's writes, the
// row is on every Galera node, bad input is refused, drift is predicted exactly and repaired.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failoverWindow, requestLoop, startHosts, startS3Server, type S3Server, type TestHosts } from '@converge/testing';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'packages/cli/bin/converge.js');
const LONG = 1_800_000;
const NAMES = ['lb1', 'lb2', 'app1', 'app2', 'db1', 'db2', 'db3'];
const ADDRESSES: Record<string, string> = { lb1: '10.89.19.11', lb2: '10.89.19.12', app1: '10.89.19.21', app2: '10.89.19.22', db1: '10.89.19.33', db2: '10.89.19.34', db3: '10.89.19.35' };
const VIP = '10.89.19.10';
// Every secret of inventories/local/stack.ts: none may appear in any output.
const SECRETS = [
  'vrrpLc1', 'local-sst-4e0b', 'local-notes-db-77f1', 'localonlykey', 'local-exporter-2a9c', 'local-maxscale-mon-6b1d', 'local-maxscale-svc-c03e', 'local-maxscale-api-19fa',
  'local-restic-volume-e58c', 'local-ovh-s3-secret-8d2f', 'local-restic-ovh-51ac', 'local-scw-s3-secret-0c7e', 'local-restic-scw-93bd',
];

let lab: TestHosts;
let home = '';
const s3: S3Server[] = [];

interface Row { host: string; task: string; status: string; message?: string; ignored?: boolean; result?: { stdout?: string } }
interface Report { summary: Record<string, Record<string, number>>; tasks: Row[] }

/** Runs the converge command as a user would (HOME holds the stack's key), JSON output. */
function converge(playbook: string, ...args: string[]): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '-i', 'inventories/local', playbook, '--output', 'json', ...args], { cwd: ROOT, env: { ...process.env, HOME: home, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let report: Report;
      try {
        report = JSON.parse(stdout) as Report;
      } catch {
        reject(new Error(`converge ${playbook} ${args.join(' ')}: exit ${code}, no JSON report\n${stderr.slice(-4000)}\n${stdout.slice(-4000)}`));
        return;
      }
      resolve({ code: code ?? -1, report, stdout, stderr });
    });
  });
}
const changed = (r: Report): string[] => r.tasks.filter((t) => t.status === 'changed').map((t) => `${t.host}\t${t.task}`).sort();
const unknown = (r: Report): string[] => r.tasks.filter((t) => t.status === 'unknown').map((t) => `${t.host}\t${t.task}`).sort();
const failed = (r: Report): string[] => r.tasks.filter((t) => t.status === 'failed' && !t.ignored).map((t) => `${t.host}\t${t.task}: ${t.message ?? ''}`);

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.exitCode !== 0) throw new Error(`${host}: ${cmd}: exit ${r.exitCode}\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}
async function waitFor(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await probe().catch(() => false)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}
const DB_NODES = ['db1', 'db2', 'db3'];
/** A Galera node's `SHOW GLOBAL STATUS LIKE 'wsrep_%'`, by variable name. */
async function wsrepStatus(host: string): Promise<Record<string, string>> {
  const out = await sh(host, `mariadb -N -e "SHOW GLOBAL STATUS LIKE 'wsrep_%'"`);
  return Object.fromEntries(out.split('\n').map((line) => line.split('\t') as [string, string]));
}
const holds = async (host: string) => (await lab.exec(host, `ip -o -4 addr show dev eth0 | grep -qF ' ${VIP}/'`)).exitCode === 0;

async function http(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; servedBy: string; version: string; body: string }> {
  const res = await fetch(`http://${VIP}${path}`, { method, ...(body !== undefined ? { body } : {}), headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, servedBy: res.headers.get('x-served-by') ?? '', version: res.headers.get('x-app-version') ?? '', body: await res.text() };
}

beforeAll(async () => {
  lab = await startHosts(7, {
    names: NAMES,
    networks: [{ name: 'stack', subnet: '10.89.19.0/24', hosts: NAMES, addresses: ADDRESSES }],
    capabilities: Object.fromEntries(NAMES.map((n) => [n, n === 'db1' ? ['NET_ADMIN', 'DAC_READ_SEARCH'] : ['NET_ADMIN']])),
    tmpfs: { '/srv/nfs': 'rw,mode=755,size=64m' },
  });
  home = mkdtempSync(join(tmpdir(), 'converge-stack-home-'));
  const dir = join(home, '.converge', 'local-stack');
  mkdirSync(dir, { recursive: true });
  copyFileSync(lab.privateKeyPath, join(dir, 'id_ed25519'));
  copyFileSync(lab.knownHostsPath, join(dir, 'known_hosts'));
  // The inventory's object storage endpoints, with the inventory's keys.
  s3.push(await startS3Server({ address: '10.89.19.1', port: 9001, buckets: ['stack-backups'], keys: [{ id: 'LOCALOVHKEY', secret: 'local-ovh-s3-secret-8d2f' }] }));
  s3.push(await startS3Server({ address: '10.89.19.1', port: 9002, buckets: ['stack-backups'], keys: [{ id: 'LOCALSCWKEY', secret: 'local-scw-s3-secret-0c7e' }] }));
  const trust = s3.map((server, i) => `cat > /usr/local/share/ca-certificates/converge-test-s3-${i}.crt <<'EOF'\n${server.certificate}EOF\n`).join('');
  await Promise.all(NAMES.map((n) => sh(n, `${trust}update-ca-certificates >/dev/null`)));
}, 600_000);

afterAll(async () => {
  await lab?.stop();
  await Promise.allSettled(s3.map((s) => s.close()));
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the reference stack: converge -i inventories/local playbooks/site.ts', () => {
  test('from nothing: --check predicts the run, the second run changes nothing, the unreachable vendors are skipped with the reason', async () => {
    const t0 = Date.now();
    const check = await converge('playbooks/site.ts', '--check');
    expect(failed(check.report), 'check').toEqual([]);
    const first = await converge('playbooks/site.ts');
    expect(failed(first.report), 'first run').toEqual([]);
    expect(first.code, first.stderr).toBe(0);
    const t1 = Date.now();
    const second = await converge('playbooks/site.ts');
    expect(failed(second.report), 'second run').toEqual([]);
    expect(changed(second.report), 'the second run changed something').toEqual([]);
    console.log(`site.ts: check + first run ${Math.round((t1 - t0) / 1000)} s, second run ${Math.round((Date.now() - t1) / 1000)} s`);
    // What the run changed, the check predicted. Check mode cannot know that installing a Debian
    // package starts its service (README, "Dry-runs that do not lie"): those start tasks are the
    // only predictions the run may not need.
    // A task whose change an earlier change decides is `unknown` in check mode (known after apply).
    const predicted = new Set(changed(check.report));
    const undecided = new Set(unknown(check.report));
    const made = changed(first.report);
    expect(made.filter((t) => !predicted.has(t) && !undecided.has(t)), 'changed by the run, neither predicted nor left unknown by --check').toEqual([]);
    expect([...predicted].filter((t) => !made.includes(t) && !/running and enabled|enabled and started|ruleset loaded at boot/.test(t)), 'predicted by --check, not changed by the run').toEqual([]);
    expect(made).toEqual(expect.arrayContaining(['db1\tnotes table', 'lb1\thaproxy.cfg', 'lb1\tkeepalived.conf', 'app1\trelease unpacked', 'db1\tNFS exports (nfs-ganesha)', 'db1\trestic jobs', 'db1\tprometheus.yml and rules', 'app2\tnftables: only the ports each tier needs']));
    // The vendor repositories do not answer here: the probe says why, the plays that need them are skipped.
    // Grafana's is probed from every host, MaxScale's from the SQL routers only (lb1, lb2 here).
    const probes = first.report.tasks.filter((t) => t.status !== 'skipped' && (t.task.startsWith("MariaDB's MaxScale repository") || t.task.startsWith("Grafana's APT repository (")));
    expect(probes.map((p) => `${p.host}\t${p.task.split(' (')[0]}`).sort()).toEqual(
      [...NAMES.map((n) => `${n}\tGrafana's APT repository`), "lb1\tMariaDB's MaxScale repository", "lb2\tMariaDB's MaxScale repository"].sort(),
    );
    for (const p of probes) expect(p.ignored && p.message, `${p.host} ${p.task}`).toBeTruthy();
    console.log(`skipped with the reason: ${probes.filter((p) => p.host === 'lb1').map((p) => `${p.task}: ${p.message}`).join('; ')}`);
    expect(first.report.tasks.filter((t) => t.task === 'install maxscale' || t.task === 'install alloy' || t.task === 'install Grafana and Loki').every((t) => t.status === 'skipped')).toBe(true);
    for (const r of [check, first, second]) for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
    // Grafana's provisioning files are in place for when Grafana is.
    expect(await sh('db1', 'ls /var/lib/grafana/dashboards/stack')).toBe('backups.json\ngalera.json\nhaproxy.json\nhosts.json');
    expect(await sh('db1', 'cat /etc/grafana/provisioning/datasources/stack.yaml')).toContain('url: http://10.89.19.33:3100');
  }, LONG);

  test('a hand-made drift: --check predicts exactly its repair, the run repairs it and nothing else', async () => {
    // A managed file changed by hand, and a service stopped by hand.
    await sh('app1', 'echo "10.89.19.99 3306" > /etc/notes/db-hosts');
    await sh('app2', 'systemctl stop lighttpd');
    const check = await converge('playbooks/site.ts', '--check', '--diff');
    const repair = await converge('playbooks/site.ts');
    expect(failed(check.report), 'check').toEqual([]);
    expect(changed(check.report)).toEqual(['app1\tdatabase addresses', 'app2\tlighttpd running and enabled']);
    expect(failed(repair.report), 'repair').toEqual([]);
    expect(changed(repair.report)).toEqual(changed(check.report));
    expect(await sh('app1', 'cat /etc/notes/db-hosts')).toBe('10.89.19.10 3306');
    expect(await sh('app2', 'systemctl is-active lighttpd')).toBe('active');
    for (const r of [check, repair]) for (const x of SECRETS) expect(r.stdout + r.stderr).not.toContain(x);
  }, LONG);

  test('a request to the shared address reaches an app that writes and reads the database; bad input is refused', async () => {
    await waitFor(`lb1 holds ${VIP}`, () => holds('lb1'));
    const seen = new Set<string>();
    await waitFor('both apps answer through the shared address', async () => {
      const r = await http('GET', '/notes');
      if (r.status === 200) seen.add(r.servedBy);
      return seen.size === 2;
    });
    const note = `written at ${Date.now()}`;
    const written = await http('POST', '/notes', note);
    expect(written.status, written.body).toBe(201);
    expect(written.body).toMatch(new RegExp(`^served by ${written.servedBy}\\nnote \\d+ stored`));
    let other = false;
    for (let i = 0; i < 6 && !other; i++) {
      const read = await http('GET', '/notes');
      expect(read.status, read.body).toBe(200);
      expect(read.body).toContain(`\t${written.servedBy}\t${note}`);
      other = read.servedBy !== written.servedBy;
    }
    expect(other, 'read through the other app').toBe(true);
    // Every node in one primary component, Synced, before any read: when a node is elsewhere (a
    // component of its own, a state transfer under way), the failure says which node is where.
    const states = await Promise.all(DB_NODES.map(async (node) => ({ node, ...(await wsrepStatus(node)) })));
    const where = states
      .map((s) => `${s.node}: ${s.wsrep_cluster_state_uuid} ${s.wsrep_cluster_status} size ${s.wsrep_cluster_size} ${s.wsrep_local_state_comment}, last committed ${s.wsrep_last_committed}, receive queue ${s.wsrep_local_recv_queue}`)
      .join('; ');
    expect(new Set(states.map((s) => s.wsrep_cluster_state_uuid)).size, where).toBe(1);
    for (const s of states) {
      expect(s.wsrep_cluster_size, `${s.node} (${where})`).toBe('3');
      expect(s.wsrep_cluster_status, `${s.node} (${where})`).toBe('Primary');
      expect(s.wsrep_local_state_comment, `${s.node} (${where})`).toBe('Synced');
    }
    // wsrep_sync_wait=1: a read waits until the node has applied every write set the cluster had
    // committed when the read began (Galera's causal reads), so a row written through another node
    // is there; a node whose applier is stuck fails it with a lock wait timeout.
    for (const node of DB_NODES) {
      const read = await sh(node, `mariadb -N -e "SET SESSION wsrep_sync_wait = 1; SELECT app FROM notes.notes WHERE body = '${note}'"`).catch((e: Error) => `${e.message} (${where})`);
      expect(read, node).toBe(written.servedBy);
    }
    expect((await http('POST', '/notes', "x'); DROP TABLE notes; --")).status).toBe(400);
    // The firewall: Galera's ports answer the database network only, the apps only the load balancers.
    expect((await lab.exec('app1', 'timeout 3 bash -c "</dev/tcp/10.89.19.34/4567"')).exitCode).not.toBe(0);
    expect((await lab.exec('db2', 'timeout 3 bash -c "</dev/tcp/10.89.19.33/4567"')).exitCode).toBe(0);
    expect((await lab.exec('db1', 'timeout 3 bash -c "</dev/tcp/10.89.19.21/80"')).exitCode).not.toBe(0);
  }, LONG);

  test('a file written on the NFS server is read from an app host (nfs-ganesha, libnfs)', async () => {
    await sh('db1', 'printf "from the nfs server\\n" > /srv/nfs/shared/hello.txt');
    expect(await sh('app1', "nfs-cat 'nfs://10.89.19.33/shared/hello.txt?version=4'")).toBe('from the nfs server');
  }, LONG);

  test('the database backup is in all three repositories and the drill restores it into a scratch server', async () => {
    const drill = await converge('playbooks/restore-drill.ts');
    expect(failed(drill.report), 'restore drill').toEqual([]);
    const status = drill.report.tasks.filter((t) => t.task.startsWith('a fresh snapshot in'));
    expect(status.map((t) => `${t.task}: ${t.status}`)).toEqual(['a fresh snapshot in volume: ok', 'a fresh snapshot in ovh: ok', 'a fresh snapshot in scaleway: ok']);
    const out = await sh('db1', "restic_in() { (set -a && . /etc/restic/$1/env && set +a && restic --no-lock snapshots --json --tag database); }; for r in volume ovh scaleway; do restic_in $r | tr -cd '{' | wc -c; done");
    expect(out.split('\n').map(Number).every((n) => n >= 1), out).toBe(true);
    const row = drill.report.tasks.find((t) => t.task.startsWith('restored into a scratch server'));
    expect(row?.status).toBe('changed');
    // One line per table, the live node's row count and the restored one: the notes written above are there.
    const counts = String(row?.result?.stdout ?? '');
    expect(counts, counts).toMatch(/^notes\.notes rows=([1-9]\d*) restored=\1 ok$/m);
    expect(counts).not.toContain('DIFFERS');
    for (const s of SECRETS) expect(drill.stdout + drill.stderr).not.toContain(s);
  }, LONG);

  test('rolling-app-deploy.ts under a keep-alive request loop loses no request', async () => {
    const loop = requestLoop(`http://${VIP}/notes`);
    await new Promise((r) => setTimeout(r, 1000));
    const deploy = await converge('playbooks/rolling-app-deploy.ts', '-e', 'app_version=1.1.0');
    await new Promise((r) => setTimeout(r, 1000));
    const outcomes = await loop.stop();
    expect(failed(deploy.report), 'deploy').toEqual([]);
    expect(outcomes.filter((o) => !o.ok), 'failed requests during the deploy').toEqual([]);
    expect(outcomes.length).toBeGreaterThan(20);
    const version = (o: (typeof outcomes)[number]) => String(o.headers['x-app-version']);
    expect(new Set(outcomes.map(version))).toEqual(new Set(['1.0.0', '1.1.0']));
    expect(version(outcomes.at(-1) as (typeof outcomes)[number])).toBe('1.1.0');
    console.log(`rolling deploy: ${outcomes.length} requests, none failed`);
  }, LONG);

  test('stopping HAProxy on the active load balancer moves the address; the request loop fails only within the failover window', async () => {
    await waitFor(`lb1 holds ${VIP}`, () => holds('lb1'));
    const loop = requestLoop(`http://${VIP}/notes`);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await sh('lb1', 'systemctl stop haproxy');
    const moved = await waitFor(`lb2 holds ${VIP}`, async () => (await holds('lb2')) && !(await holds('lb1')), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const outcomes = await loop.stop();
    const w = failoverWindow(outcomes);
    console.log(`failover: address on lb2 after ${moved} ms; requests failed for ${w.windowMs} ms (${w.failed} failed of ${outcomes.length})`);
    expect(outcomes.filter((o) => !o.ok && o.at < t0), 'failures before the stop').toEqual([]);
    expect(w.windowMs).toBeLessThan(6000);
    expect(outcomes.filter((o) => o.ok && o.at > t0 + w.windowMs + 1000).length, 'requests answered after the window').toBeGreaterThan(0);
    await sh('lb1', 'systemctl start haproxy');
    await waitFor(`lb1 takes ${VIP} back`, () => holds('lb1'));
  }, LONG);
});
