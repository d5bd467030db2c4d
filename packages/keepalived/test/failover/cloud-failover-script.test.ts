// The failover hook (files/cloud-failover.sh) run for real with sh, curl and openssl against an
// HTTP server on 127.0.0.1 standing in for the OVHcloud and Scaleway APIs (which cannot be
// reached from here). Its requests are checked byte for byte against the providers' documented
// rules: OVHcloud's signature against `ovhSignature` of @converge/cloud-inventory, the project's
// one statement of "First steps with the OVHcloud APIs" ("Signing requests": "$1$" +
// SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+QUERY+"+"+BODY+"+"+TSTAMP), QUERY the full URL, TSTAMP what
// GET /auth/time answered), itself checked against the worked examples of OVHcloud's own
// clients; headers X-Ovh-Application, X-Ovh-Consumer, X-Ovh-Timestamp, X-Ovh-Signature. Scaleway
// takes the secret key as X-Auth-Token (https://www.scaleway.com/en/developers/api/,
// "Authentication").
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ovhSignature } from '@converge/cloud-inventory';
import { renderFailoverConfig } from '../../src/index.js';
import type { FailoverProviderParams } from '../../src/index.js';

const SCRIPT = new URL('../../files/cloud-failover.sh', import.meta.url).pathname;
const AK = 'app-key-1';
const AS = 'app-secret-canary-7Q';
const CK = 'consumer-key-canary-9Z';
const SCW = 'scw-secret-canary-3X';
const TIME = '1767225600';
const missing = ['curl', 'openssl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Command lines of every process that held a credential while this request was open. */
  leaks: string[];
}
type Reply = (r: Seen) => { status: number; body: string };

let server: Server;
let base = '';
let seen: Seen[] = [];
let reply: Reply = () => ({ status: 404, body: '' });
let dir = '';

function commandLinesHolding(values: string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (values.some((v) => cmdline.includes(v))) out.push(`${pid}: ${cmdline}`);
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'converge-failover-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      const r: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, leaks: commandLinesHolding([AS, CK, SCW]) };
      seen.push(r);
      const out = r.url === '/1.0/auth/time' ? { status: 200, body: TIME } : reply(r);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
});

/** Writes the hook's configuration for `params` (endpoint: the local server) and runs the script with sh. */
function runHook(params: FailoverProviderParams): Promise<{ code: number | null; stderr: string }> {
  const conf = join(dir, 'hook.conf');
  writeFileSync(conf, renderFailoverConfig(params), { mode: 0o600 });
  return new Promise((resolve) => {
    // logger(1) would write to this machine's syslog: the script's own messages also go to stderr.
    const child = spawn('sh', [SCRIPT, conf], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function expectOvhSigned(r: Seen): void {
  expect(r.headers['x-ovh-application']).toBe(AK);
  expect(r.headers['x-ovh-consumer']).toBe(CK);
  expect(r.headers['x-ovh-timestamp']).toBe(TIME);
  expect(r.headers['x-ovh-signature']).toBe(ovhSignature({ applicationSecret: AS, consumerKey: CK, method: r.method, url: `${base}${r.url}`, body: r.body, timestamp: Number(TIME) }));
  expect(r.headers['x-auth-token']).toBeUndefined();
}

const ovh = (over: Partial<NonNullable<FailoverProviderParams['ovh']>> = {}): FailoverProviderParams => ({
  provider: 'ovh',
  endpoint: `${base}/1.0`,
  attempts: 2,
  timeout: 5,
  ovh: { application_key: AK, application_secret: AS, consumer_key: CK, ip: '203.0.113.10/32', service: 'ns2.ip-203-0-113.eu', ...over },
});

describe.skipIf(missing.length > 0)('the cloud failover hook (sh + curl + openssl) against a local API server', () => {
  if (missing.length > 0) console.log(`skipped: the hook needs ${missing.join(' and ')} on this machine`);

  it('OVHcloud dedicated server: reads /auth/time, checks where the IP is, moves it with a signed POST', async () => {
    reply = (r) => (r.method === 'GET' ? { status: 200, body: '{"ip":"203.0.113.10/32","routedTo":{"serviceName":"ns1.ip-203-0-113.eu"},"type":"failover"}' } : { status: 200, body: '{"taskId":42,"function":"genericMoveFloatingIp","status":"todo"}' });
    const run = await runHook(ovh());
    expect(run.code, run.stderr).toBe(0);
    expect(seen.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'GET /1.0/auth/time ',
      'GET /1.0/ip/203.0.113.10%2F32 ',
      'GET /1.0/auth/time ',
      'POST /1.0/ip/203.0.113.10%2F32/move {"to":"ns2.ip-203-0-113.eu"}',
    ]);
    expectOvhSigned(seen[1]!);
    expectOvhSigned(seen[3]!);
    expect(seen[3]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers['x-ovh-consumer']).toBeUndefined();
    expect(run.stderr).toContain('POST /ip/203.0.113.10%2F32/move: HTTP 200, the address moves here');
  });

  it('OVHcloud: does nothing when the IP is already routed to this server', async () => {
    reply = () => ({ status: 200, body: '{ "routedTo": { "serviceName": "ns2.ip-203-0-113.eu" } }' });
    const run = await runHook(ovh());
    expect(run.code, run.stderr).toBe(0);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /1.0/auth/time', 'GET /1.0/ip/203.0.113.10%2F32']);
    expect(run.stderr).toContain('already routed here');
  });

  it('OVHcloud Public Cloud: attaches the failover IP to this instance', async () => {
    reply = (r) => (r.method === 'GET' ? { status: 200, body: '{"id":"fo-42","routedTo":"other-instance"}' } : { status: 200, body: '{"id":"fo-42","status":"operationPending"}' });
    const run = await runHook(ovh({ service: undefined, project: 'p0123', failover_ip_id: 'fo-42', instance_id: 'inst-7' }));
    expect(run.code, run.stderr).toBe(0);
    const post = seen.at(-1)!;
    expect(`${post.method} ${post.url} ${post.body}`).toBe('POST /1.0/cloud/project/p0123/ip/failover/fo-42/attach {"instanceId":"inst-7"}');
    expectOvhSigned(post);
  });

  it.each([
    ['instance', 'PATCH', '/instance/v1/zones/fr-par-1/ips/ip-1', '{"server":"srv-2"}'],
    ['elastic-metal', 'POST', '/flexible-ip/v1alpha1/zones/fr-par-1/fips/attach', '{"fips_ids":["ip-1"],"server_id":"srv-2"}'],
  ] as const)('Scaleway %s: moves the flexible IP with X-Auth-Token', async (product, method, path, body) => {
    reply = (r) => (r.method === 'GET' ? { status: 200, body: '{"ip":{"id":"ip-1","server":{"id":"srv-1","name":"lb1"}}}' } : { status: 200, body: '{}' });
    const run = await runHook({ provider: 'scaleway', endpoint: base, attempts: 1, scaleway: { secret_key: SCW, zone: 'fr-par-1', ip_id: 'ip-1', server_id: 'srv-2', product } });
    expect(run.code, run.stderr).toBe(0);
    const move = seen.at(-1)!;
    expect(`${move.method} ${move.url} ${move.body}`).toBe(`${method} ${path} ${body}`);
    for (const r of seen) {
      expect(r.headers['x-auth-token']).toBe(SCW);
      expect(r.headers['x-ovh-signature']).toBeUndefined();
    }
    expect(seen.some((r) => r.url.includes('/auth/time'))).toBe(false);
  });

  it('retries a refused move, then fails with the API\'s words and never its credentials', async () => {
    reply = (r) => (r.method === 'GET' ? { status: 200, body: '{"routedTo":{"serviceName":"ns1"}}' } : { status: 403, body: '{"message":"This call has not been granted"}' });
    const run = await runHook(ovh());
    expect(run.code).toBe(1);
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(run.stderr).toContain('POST /ip/203.0.113.10%2F32/move: HTTP 403 (attempt 1 of 2): {"message":"This call has not been granted"}');
    expect(run.stderr).toContain('(attempt 2 of 2)');
    for (const secretValue of [AS, CK]) expect(run.stderr).not.toContain(secretValue);
  });

  it('never puts a credential on a command line: no process shows one while the requests run', async () => {
    reply = (r) => (r.method === 'GET' ? { status: 200, body: '{}' } : { status: 200, body: '{}' });
    expect((await runHook(ovh())).code).toBe(0);
    expect((await runHook({ provider: 'scaleway', endpoint: base, attempts: 1, scaleway: { secret_key: SCW, zone: 'fr-par-1', ip_id: 'ip-1', server_id: 'srv-2' } })).code).toBe(0);
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.flatMap((r) => r.leaks)).toEqual([]);
  });

  it('refuses a configuration it does not understand, naming the setting', async () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, `${renderFailoverConfig(ovh())}HOOK=1\n`, { mode: 0o600 });
    const r = spawnSync('sh', [SCRIPT, conf], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`unknown setting 'HOOK' in ${conf}`);
    const none = spawnSync('sh', [SCRIPT, join(dir, 'missing.conf')], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(seen).toEqual([]);
  });
});
