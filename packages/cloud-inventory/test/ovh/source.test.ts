import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConvergeError, type ConvergeError } from '@converge/core';
import { loadOvhSource } from '../../src/ovh/source.js';
import { ovhSignature } from '../../src/ovh/signature.js';
import { startApiServer, type Answer, type ReceivedRequest } from '../support/api-server.js';
import { sourceContext, tempDir } from '../support/source.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ovh/api.json', import.meta.url), 'utf8')) as { responses: Record<string, unknown> };

const AK = 'a1b2c3d4e5f6a7b8';
const AS = 'application-secret-for-tests-0123';
const CK = 'consumer-key-for-tests-456789abcd';
/** The API's clock runs 5 minutes ahead of the controller's. */
const SKEW = 300;

let api: Awaited<ReturnType<typeof startApiServer>>;
/** Extra answers tried before the fixtures: path -> answers in order (the last repeats). */
const overrides = new Map<string, Answer[]>();

function verifySignature(r: ReceivedRequest, base: string): string | undefined {
  const ts = Number(r.headers['x-ovh-timestamp']);
  const now = Math.floor(Date.now() / 1000) + SKEW;
  if (Math.abs(ts - now) > 5) return `timestamp ${ts} is off the API clock ${now}`;
  if (r.headers['x-ovh-application'] !== AK || r.headers['x-ovh-consumer'] !== CK) return 'wrong keys';
  const url = `${base}${r.path}${r.query.size > 0 ? `?${r.query}` : ''}`;
  const expected = ovhSignature({ applicationSecret: AS, consumerKey: CK, method: r.method, url, body: r.body, timestamp: ts });
  return r.headers['x-ovh-signature'] === expected ? undefined : 'bad signature';
}

beforeAll(async () => {
  api = await startApiServer((r) => {
    const queue = overrides.get(r.path);
    if (queue) return queue.length > 1 ? queue.shift() : queue[0];
    if (r.path === '/1.0/auth/time') return { body: Math.floor(Date.now() / 1000) + SKEW };
    if (r.path === '/oauth2/token') {
      const form = new URLSearchParams(r.body);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'sa-client' || form.get('client_secret') !== 'sa-secret-value' || form.get('scope') !== 'all') return { status: 401, body: { error: 'invalid_client' } };
      return { body: { access_token: 'oauth2-access-token-xyz', token_type: 'Bearer', expires_in: 3600 } };
    }
    if (r.headers.authorization !== undefined) {
      if (r.headers.authorization !== 'Bearer oauth2-access-token-xyz') return { status: 401, body: { message: 'Invalid token' } };
    } else {
      const problem = verifySignature(r, api.url);
      if (problem) return { status: 400, body: { message: problem } };
    }
    const body = fixture.responses[`GET ${r.path.replace(/^\/1\.0/, '')}`];
    return body === undefined ? undefined : { body };
  });
});
afterAll(() => api.close());

const env = { OVH_APPLICATION_KEY: AK, OVH_APPLICATION_SECRET: AS, OVH_CONSUMER_KEY: CK };
const cacheDir = tempDir('converge-ovh-cache-');
const settings = (extra: Record<string, unknown> = {}) => ({ plugin: 'ovh', endpoint: `${api.url}/1.0`, cache_ttl: 0, cache_dir: cacheDir, ...extra });

async function failure(p: Promise<unknown>): Promise<ConvergeError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isConvergeError(e)) throw new Error(`expected a ConvergeError, got ${String(e)}`);
  return e;
}

describe('ovh source', () => {
  it('lists Public Cloud instances of every project, signed with the API clock', async () => {
    const doc = await loadOvhSource(sourceContext(settings(), env));
    expect(Object.keys(doc._meta.hostvars)).toEqual(['web-1', 'db-1', 'london-1']);
    expect(doc._meta.hostvars['web-1']).toEqual({
      ansible_host: '10.0.1.11',
      provider: 'ovhcloud',
      region: 'GRA11',
      public_ipv4: '51.178.10.11',
      public_ipv6: '2001:41d0:304:200::1a',
      private_ipv4: '10.0.1.11',
      ovh_service: 'public_cloud',
      ovh_project_id: '5f8c0a1b2c3d4e5f60718293a4b5c6d7',
      ovh_project: 'shop-prod',
      ovh_instance_id: '3bf5a1c2-0d7e-4a8b-9c1d-2e3f4a5b6c7d',
      ovh_flavor: 'b2-7',
      ovh_image: 'Debian 12',
      ovh_status: 'ACTIVE',
    });
    // no private address: the public one; an image the project does not list: its id
    expect(doc._meta.hostvars['db-1']).toMatchObject({ ansible_host: '51.210.20.21', region: 'SBG5', ovh_image: 'i-snapshot' });
    expect(doc._meta.hostvars['london-1']).toMatchObject({ region: 'UK1', ovh_project: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' });
    expect(doc['ovh']).toEqual({ hosts: ['web-1', 'db-1', 'london-1'] });
    expect(doc['ovh_region_gra11']).toEqual({ hosts: ['web-1'] });
    expect(doc['ovh_type_b2_7']).toEqual({ hosts: ['web-1'] });
    expect(doc['ovh_image_debian_12']).toEqual({ hosts: ['web-1', 'london-1'] });
    expect(doc['ovh_project_shop_prod']).toEqual({ hosts: ['web-1', 'db-1'] });
    expect(doc['ovh_service_public_cloud']).toEqual({ hosts: ['web-1', 'db-1', 'london-1'] });
    const time = api.requests.filter((r) => r.path === '/1.0/auth/time');
    expect(time.length).toBe(1);
    expect(time[0]?.headers['x-ovh-signature']).toBeUndefined();
  });

  it('reads dedicated servers and VPS, filters projects and regions, and takes the public address on request', async () => {
    const doc = await loadOvhSource(sourceContext(settings({ services: ['public_cloud', 'dedicated', 'vps'], projects: ['5f8c0a1b2c3d4e5f60718293a4b5c6d7'], regions: ['gra11'], address: 'public' }), env));
    expect(Object.keys(doc._meta.hostvars)).toEqual(['web-1', 'ns3001234.ip-51-91-1.eu', 'vps-1a2b3c4d.vps.ovh.net']);
    expect(doc._meta.hostvars['web-1']?.['ansible_host']).toBe('51.178.10.11');
    expect(doc._meta.hostvars['ns3001234.ip-51-91-1.eu']).toMatchObject({ ansible_host: '51.91.1.40', region: 'eu-west-gra', zone: 'eu-west-gra-a', ovh_datacenter: 'gra3', ovh_type: 'rise-1', ovh_image: 'debian12_64' });
    expect(doc._meta.hostvars['vps-1a2b3c4d.vps.ovh.net']).toMatchObject({ ansible_host: '51.75.2.50', public_ipv6: '2001:41d0:404:200::2', region: 'sbg1', ovh_type: 'vps-2020-starter-1-2-20', ovh_display_name: 'monitor' });
    expect(doc['ovh_service_dedicated']).toEqual({ hosts: ['ns3001234.ip-51-91-1.eu'] });
    expect(doc['ovh_region_sbg1']).toEqual({ hosts: ['vps-1a2b3c4d.vps.ovh.net'] });
  });

  it('authenticates with an OAuth2 service account and reuses the token', async () => {
    const before = api.requests.length;
    const doc = await loadOvhSource(sourceContext(settings({ oauth2_token_url: `${api.url}/oauth2/token` }), { OVH_CLIENT_ID: 'sa-client', OVH_CLIENT_SECRET: 'sa-secret-value' }));
    expect(Object.keys(doc._meta.hostvars)).toHaveLength(3);
    const mine = api.requests.slice(before);
    expect(mine.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
    expect(mine.filter((r) => r.path.startsWith('/1.0/cloud')).every((r) => r.headers.authorization === 'Bearer oauth2-access-token-xyz' && r.headers['x-ovh-signature'] === undefined)).toBe(true);
  });

  it('says what to check on 401 and 403, without the credentials', async () => {
    overrides.set('/1.0/cloud/project', [{ status: 403, body: { message: 'This call has not been granted' } }]);
    try {
      const e = await failure(loadOvhSource(sourceContext(settings(), env)));
      expect(e.code).toBe('CONVERGE_CLOUD');
      expect(e.message).toContain('(403: This call has not been granted)');
      expect(e.message).toContain('GET http://127.0.0.1');
      expect(e.hint).toContain('access rules');
      for (const s of [AS, CK]) expect(`${e.message}${e.hint}${String(e.detail)}`).not.toContain(s);
    } finally {
      overrides.clear();
    }
  });

  it('retries 5xx answers with backoff, then fails before any host is known', async () => {
    overrides.set('/1.0/cloud/project', [{ status: 503, body: { message: 'maintenance' } }, { status: 502, text: 'bad gateway' }, { body: ['5f8c0a1b2c3d4e5f60718293a4b5c6d7'] }]);
    try {
      const doc = await loadOvhSource(sourceContext(settings(), env));
      expect(Object.keys(doc._meta.hostvars)).toEqual(['web-1', 'db-1']);
      overrides.set('/1.0/cloud/project', [{ status: 500, body: { message: 'internal' } }]);
      const e = await failure(loadOvhSource(sourceContext(settings(), env)));
      expect(e.message).toMatch(/failed after 4 attempts \(last answer 500: internal\)/);
      expect(e.hint).toContain('No host was contacted');
    } finally {
      overrides.clear();
    }
  });

  it('waits what Retry-After says on 429', async () => {
    overrides.set('/1.0/cloud/project', [{ status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } }, { body: [] }]);
    try {
      const started = Date.now();
      const doc = await loadOvhSource(sourceContext(settings(), env));
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(Object.keys(doc._meta.hostvars)).toEqual([]);
    } finally {
      overrides.clear();
    }
  });

  it('times out a request that gets no answer', async () => {
    overrides.set('/1.0/cloud/project', [{ hang: true }]);
    try {
      const e = await failure(loadOvhSource(sourceContext(settings({ timeout: 0.2 }), env)));
      expect(e.message).toMatch(/no answer within 0.2 s \(4 attempts\)/);
    } finally {
      overrides.clear();
    }
  });

  it('caches the result with a TTL, reads again on refresh, and keeps credentials out of the cache', async () => {
    const dir = tempDir('converge-ovh-ttl-');
    const s = settings({ cache_ttl: 3600, cache_dir: dir });
    await loadOvhSource(sourceContext(s, env));
    const count = api.requests.length;
    const again = await loadOvhSource(sourceContext(s, env));
    expect(api.requests.length).toBe(count);
    expect(Object.keys(again._meta.hostvars)).toEqual(['web-1', 'db-1', 'london-1']);
    await loadOvhSource(sourceContext(s, env, true));
    expect(api.requests.length).toBeGreaterThan(count);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0] as string), 'utf8');
    expect(text).toContain('web-1');
    for (const secret of [AS, CK]) expect(text).not.toContain(secret);
  });

  it.each([
    [{ application_secret: 'in-clear' }, 'application_secret: a credential may not be written in clear'],
    [{ application_secret: { env: 'NOT_SET_ANYWHERE' } }, 'the environment variable NOT_SET_ANYWHERE is not set'],
    [{ services: ['kubernetes'] }, 'services: unknown service "kubernetes"'],
    [{ keyed_groups: [] }, 'unknown setting "keyed_groups"'],
    [{ endpoint: 'ovh-mars' }, 'endpoint must be ovh-eu, ovh-ca, ovh-us or an API URL'],
  ])('refuses bad settings %j', async (extra, message) => {
    const e = await failure(loadOvhSource(sourceContext(settings(extra), env)));
    expect(e.code).toBe('CONVERGE_INVENTORY');
    expect(e.message).toContain(message);
  });

  it('says which credentials are missing', async () => {
    const e = await failure(loadOvhSource(sourceContext(settings(), {})));
    expect(e.message).toBe('no OVHcloud credentials');
    expect(e.hint).toContain('OVH_APPLICATION_KEY');
  });
});
