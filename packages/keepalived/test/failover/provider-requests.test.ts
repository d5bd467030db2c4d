import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { failoverProblem, failoverRequests, renderFailoverConfig } from '../../src/index.js';
import type { FailoverProviderParams, FailoverRequests } from '../../src/index.js';

const ovhKeys = { application_key: 'AK1', application_secret: secret('as-secret'), consumer_key: secret('ck-secret') };
const scw = { secret_key: secret('scw-token'), zone: 'fr-par-1', ip_id: '11111111-2222-3333-4444-555555555555', server_id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' };

describe('failoverRequests: the provider calls of the hook', () => {
  it.each<[string, FailoverProviderParams, FailoverRequests]>([
    [
      'OVHcloud dedicated server or VPS: POST /ip/{ip}/move',
      { provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.8/29', service: 'ns1.ip-203-0-113.eu' } },
      {
        check: { path: '/ip/203.0.113.8%2F29', match: '"serviceName":"ns1.ip-203-0-113.eu"' },
        move: { method: 'POST', path: '/ip/203.0.113.8%2F29/move', body: '{"to":"ns1.ip-203-0-113.eu"}' },
      },
    ],
    [
      'OVHcloud Public Cloud: POST /cloud/project/{serviceName}/ip/failover/{id}/attach',
      { provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.10', project: 'p0123', failover_ip_id: 'fo-42', instance_id: 'i-7' } },
      {
        check: { path: '/cloud/project/p0123/ip/failover/fo-42', match: '"routedTo":"i-7"' },
        move: { method: 'POST', path: '/cloud/project/p0123/ip/failover/fo-42/attach', body: '{"instanceId":"i-7"}' },
      },
    ],
    [
      'Scaleway Instance: PATCH /instance/v1/zones/{zone}/ips/{ip}',
      { provider: 'scaleway', scaleway: scw },
      {
        check: { path: `/instance/v1/zones/fr-par-1/ips/${scw.ip_id}`, match: `"server":{"id":"${scw.server_id}"` },
        move: { method: 'PATCH', path: `/instance/v1/zones/fr-par-1/ips/${scw.ip_id}`, body: `{"server":"${scw.server_id}"}` },
      },
    ],
    [
      'Scaleway Elastic Metal: POST /flexible-ip/v1alpha1/zones/{zone}/fips/attach',
      { provider: 'scaleway', scaleway: { ...scw, product: 'elastic-metal' } },
      {
        check: { path: `/flexible-ip/v1alpha1/zones/fr-par-1/fips/${scw.ip_id}`, match: `"server_id":"${scw.server_id}"` },
        move: { method: 'POST', path: '/flexible-ip/v1alpha1/zones/fr-par-1/fips/attach', body: `{"fips_ids":["${scw.ip_id}"],"server_id":"${scw.server_id}"}` },
      },
    ],
  ])('%s', (_what, params, expected) => {
    expect(failoverProblem(params)).toBeUndefined();
    expect(failoverRequests(params)).toEqual(expected);
  });

  it.each<[FailoverProviderParams, string]>([
    [{ provider: 'ovh' }, 'ovh: required with provider ovh'],
    [{ provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.10' } }, 'ovh: give service (dedicated server, VPS) or all of project, failover_ip_id and instance_id (Public Cloud)'],
    [{ provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.10', service: 'ns1', project: 'p' } }, 'ovh: give service (dedicated server, VPS) or project + failover_ip_id + instance_id (Public Cloud), not both'],
    [{ provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.10', service: 'ns1' }, scaleway: scw }, 'scaleway: given with provider ovh'],
    [{ provider: 'scaleway' }, 'scaleway: required with provider scaleway'],
    [{ provider: 'scaleway', scaleway: { ...scw, server_id: undefined } }, "scaleway.server_id: required (this host's server id)"],
  ])('refuses incomplete provider settings (%#)', (params, message) => {
    expect(failoverProblem(params)).toBe(message);
  });

  it('renders the hook configuration with the credentials, the check and the call', () => {
    const text = renderFailoverConfig({ provider: 'ovh', ovh: { ...ovhKeys, ip: '203.0.113.10', service: 'ns1.example' }, attempts: 5 });
    expect(text).toBe(
      [
        '# Written by converge (@converge/keepalived, keepalived.failover). Local changes are overwritten.',
        'AUTH=ovh',
        'ENDPOINT=https://eu.api.ovh.com/1.0',
        'OVH_APPLICATION_KEY=AK1',
        'OVH_APPLICATION_SECRET=as-secret',
        'OVH_CONSUMER_KEY=ck-secret',
        'CHECK_PATH=/ip/203.0.113.10',
        'CHECK_MATCH="serviceName":"ns1.example"',
        'REQUEST_METHOD=POST',
        'REQUEST_PATH=/ip/203.0.113.10/move',
        'REQUEST_BODY={"to":"ns1.example"}',
        'ATTEMPTS=5',
        'TIMEOUT=10',
        '',
      ].join('\n'),
    );
    expect(renderFailoverConfig({ provider: 'scaleway', scaleway: scw })).toContain('\nAUTH=scaleway\nENDPOINT=https://api.scaleway.com\nSCW_SECRET_KEY=scw-token\n');
  });
});
