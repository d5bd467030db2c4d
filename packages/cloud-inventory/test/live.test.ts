import { describe, expect, it } from 'vitest';
import { PluginConfig } from '../src/plugin-config.js';
import { loadOvhSource } from '../src/ovh/source.js';
import { loadScalewaySource } from '../src/scaleway/source.js';

/*
 * The real APIs, read only, when their credentials are in the environment (never in CI, which
 * reaches no provider): OVHcloud with OVH_APPLICATION_KEY/SECRET and OVH_CONSUMER_KEY (or
 * OVH_CLIENT_ID/SECRET), Scaleway with SCW_SECRET_KEY.
 */
const hasOvh = Boolean((process.env['OVH_APPLICATION_KEY'] && process.env['OVH_APPLICATION_SECRET'] && process.env['OVH_CONSUMER_KEY']) || (process.env['OVH_CLIENT_ID'] && process.env['OVH_CLIENT_SECRET']));
const hasScw = Boolean(process.env['SCW_SECRET_KEY']);

describe('live provider APIs', () => {
  it.skipIf(!hasOvh)('OVHcloud: every host has a region and provider', async () => {
    const doc = await loadOvhSource({ config: new PluginConfig('live-ovh.yml', { plugin: 'ovh', endpoint: process.env['OVH_ENDPOINT'] ?? 'ovh-eu', services: ['public_cloud', 'dedicated', 'vps'], cache_ttl: 0 }), refresh: true, env: process.env });
    for (const vars of Object.values(doc._meta.hostvars)) expect(vars).toMatchObject({ provider: 'ovhcloud', region: expect.any(String) });
  });

  it.skipIf(!hasScw)('Scaleway: every host has a region and zone', async () => {
    const doc = await loadScalewaySource({ config: new PluginConfig('live-scw.yml', { plugin: 'scaleway', cache_ttl: 0 }), refresh: true, env: process.env });
    for (const vars of Object.values(doc._meta.hostvars)) expect(vars).toMatchObject({ provider: 'scaleway', region: expect.any(String), zone: expect.any(String) });
  });

  it.skipIf(hasOvh && hasScw)('says why provider tests are skipped', () => {
    if (!hasOvh) console.warn('skipping the live OVHcloud test: set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (or OVH_CLIENT_ID and OVH_CLIENT_SECRET) to run it');
    if (!hasScw) console.warn('skipping the live Scaleway test: set SCW_SECRET_KEY to run it');
  });
});
