import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConvergeError } from '@converge/core';
import { loadScalewaySource } from '../../src/scaleway/source.js';
import { startApiServer } from '../support/api-server.js';
import { sourceContext, tempDir } from '../support/source.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/scaleway/api.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
const KEY = 'scw-secret-key-for-tests-0000-1111';

// fr-par-1 holds the documented server and 149 more, so its list takes two pages of 100.
const parServers = [fx['instanceServer'], ...Array.from({ length: 149 }, (_, i) => ({ ...fx['instanceServer'], id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `gen-${i}`, private_nics: [], tags: ['gen'] }))];
const instances: Record<string, unknown[]> = { 'fr-par-1': parServers, 'fr-par-2': [{ ...fx['instanceServer'], id: '33333333-3333-4333-8333-333333333333', name: 'web-par-2', zone: 'fr-par-2', private_nics: [], public_ips: [], public_ip: { address: '51.15.2.10', family: 'inet' } }] };

let api: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  api = await startApiServer((r) => {
    if (r.headers['x-auth-token'] !== KEY) return { status: 401, body: { type: 'denied_authentication', message: 'authentication is denied', method: 'api_key', reason: 'invalid_argument' } };
    const page = Number(r.query.get('page') ?? 1);
    let m = /^\/instance\/v1\/zones\/([a-z0-9-]+)\/servers$/.exec(r.path);
    if (m) {
      const all = instances[m[1] as string] ?? [];
      const per = Number(r.query.get('per_page'));
      return { headers: { 'x-total-count': String(all.length) }, body: { servers: all.slice((page - 1) * per, page * per) } };
    }
    const list = (field: string, items: unknown[]) => ({ body: { [field]: items, total_count: items.length } });
    m = /^\/baremetal\/v1\/zones\/([a-z0-9-]+)\/servers$/.exec(r.path);
    if (m) return list('servers', m[1] === 'nl-ams-1' ? [fx['metalServer']] : []);
    m = /^\/baremetal\/v1\/zones\/([a-z0-9-]+)\/os$/.exec(r.path);
    if (m) return list('os', m[1] === 'nl-ams-1' ? [fx['metalOs']] : []);
    m = /^\/baremetal\/v3\/zones\/([a-z0-9-]+)\/server-private-networks$/.exec(r.path);
    if (m) return list('server_private_networks', m[1] === 'nl-ams-1' ? [fx['metalPrivateNetwork']] : []);
    m = /^\/ipam\/v1\/regions\/([a-z-]+)\/ips$/.exec(r.path);
    if (m) return list('ips', (fx['ipamIps'] as Record<string, unknown[]>)[m[1] as string] ?? []);
    return undefined;
  });
});
afterAll(() => api.close());

const cacheDir = tempDir('converge-scw-cache-');
const settings = (extra: Record<string, unknown> = {}) => ({ plugin: 'scaleway', api_url: api.url, cache_ttl: 0, cache_dir: cacheDir, ...extra });

describe('scaleway source', () => {
  it('reads Instances and Elastic Metal servers of every zone of the regions, page by page, with IPAM addresses', async () => {
    const doc = await loadScalewaySource(sourceContext(settings(), { SCW_SECRET_KEY: KEY }));
    expect(Object.keys(doc._meta.hostvars)).toHaveLength(152);
    expect(doc._meta.hostvars['web-par-1']).toEqual({
      ansible_host: '172.16.4.2',
      provider: 'scaleway',
      region: 'fr-par',
      zone: 'fr-par-1',
      public_ipv4: '51.15.1.10',
      public_ipv6: '2001:bc8:1640::1',
      private_ipv4: '172.16.4.2',
      scw_service: 'instance',
      scw_server_id: '11111111-1111-4111-8111-111111111111',
      scw_project_id: 'ffffffff-0000-4000-8000-00000000000a',
      scw_organization_id: 'ffffffff-0000-4000-8000-00000000000b',
      scw_type: 'PRO2-S',
      scw_image: 'Debian Bookworm',
      scw_tags: ['web', 'env=prod'],
      scw_state: 'running',
    });
    expect(doc._meta.hostvars['web-par-2']).toMatchObject({ ansible_host: '51.15.2.10', zone: 'fr-par-2' });
    expect(doc._meta.hostvars['db-ams-1']).toMatchObject({ ansible_host: '172.16.8.3', public_ipv4: '51.158.2.20', public_ipv6: '2001:bc8:1200::20', region: 'nl-ams', zone: 'nl-ams-1', scw_type: 'EM-A115X-SSD', scw_image: 'Debian 12 (Bookworm)', scw_service: 'elastic_metal' });
    expect(doc['scw_tag_web']).toEqual({ hosts: ['web-par-1', 'web-par-2'] });
    expect(doc['scw_tag_env_prod']).toEqual({ hosts: ['web-par-1', 'web-par-2'] });
    expect(doc['scw_zone_nl_ams_1']).toEqual({ hosts: ['db-ams-1'] });
    expect(doc['scw_type_em_a115x_ssd']).toEqual({ hosts: ['db-ams-1'] });
    expect((doc['scw_region_fr_par'] as { hosts: string[] }).hosts).toHaveLength(151);
    expect(doc['scw_image_debian_12__bookworm_']).toEqual({ hosts: ['db-ams-1'] });

    const pages = api.requests.filter((r) => r.path === '/instance/v1/zones/fr-par-1/servers').map((r) => [r.query.get('page'), r.query.get('per_page')]);
    expect(pages).toEqual([
      ['1', '100'],
      ['2', '100'],
    ]);
    const zones = new Set(api.requests.filter((r) => r.path.startsWith('/instance/')).map((r) => r.path.split('/')[4]));
    expect([...zones].sort()).toEqual(['fr-par-1', 'fr-par-2', 'fr-par-3', 'nl-ams-1', 'nl-ams-2', 'nl-ams-3', 'pl-waw-1', 'pl-waw-2', 'pl-waw-3']);
    expect(api.requests.filter((r) => r.path.startsWith('/baremetal/v1') && r.path.endsWith('/servers')).every((r) => r.query.get('page_size') === '100')).toBe(true);
  });

  it('narrows to zones, services, a project and tags, and names hosts by id on request', async () => {
    const before = api.requests.length;
    const doc = await loadScalewaySource(sourceContext(settings({ zones: ['fr-par-2'], services: ['instance'], project: 'ffffffff-0000-4000-8000-00000000000a', tags: ['web'], hostname: 'id', private_addresses: false }), { SCW_SECRET_KEY: KEY }));
    expect(Object.keys(doc._meta.hostvars)).toEqual(['33333333-3333-4333-8333-333333333333']);
    const mine = api.requests.slice(before);
    expect(mine.map((r) => r.path)).toEqual(['/instance/v1/zones/fr-par-2/servers']);
    expect(mine[0]?.query.get('project')).toBe('ffffffff-0000-4000-8000-00000000000a');
    expect(mine[0]?.query.get('tags')).toBe('web');
  });

  it('says what to check when the key is refused, without the key', async () => {
    const e = await loadScalewaySource(sourceContext(settings({ zones: ['pl-waw-1'] }), { SCW_SECRET_KEY: 'wrong-key-0000' })).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isConvergeError(e) && e.code).toBe('CONVERGE_CLOUD');
    const err = e as Error & { hint: string };
    expect(err.message).toContain('(401: authentication is denied)');
    expect(err.hint).toContain('SCW_SECRET_KEY');
    expect(`${err.message}${err.hint}`).not.toContain('wrong-key-0000');
  });

  it.each([
    [{ regions: ['us-east'] }, 'regions: unknown Scaleway region "us-east"'],
    [{ zones: ['fr-par-9'] }, 'zones: unknown Scaleway zone "fr-par-9"'],
    [{ secret_key: 'clear-text' }, 'secret_key: a credential may not be written in clear'],
  ])('refuses %j', async (extra, message) => {
    await expect(loadScalewaySource(sourceContext(settings(extra), { SCW_SECRET_KEY: KEY }))).rejects.toThrow(message);
  });

  it('reads the key from a 0600 file and refuses one others may read', async () => {
    const { writeFileSync, chmodSync } = await import('node:fs');
    const dir = tempDir('converge-scw-key-');
    writeFileSync(`${dir}/key`, `${KEY}\n`);
    chmodSync(`${dir}/key`, 0o600);
    const doc = await loadScalewaySource(sourceContext(settings({ zones: ['fr-par-2'], secret_key: { file: `${dir}/key` } }), {}));
    expect(Object.keys(doc._meta.hostvars)).toEqual(['web-par-2']);
    chmodSync(`${dir}/key`, 0o644);
    await expect(loadScalewaySource(sourceContext(settings({ zones: ['fr-par-2'], secret_key: { file: `${dir}/key` } }), {}))).rejects.toThrow(/readable by group or others \(mode 644\)/);
  });
});
