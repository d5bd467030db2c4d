import { describe, expect, it } from 'vitest';
import type { DataEndpoint } from '@converge/core';
import { assertResidency, checkResidency, placeRegion, type ResidencyTarget } from '../../src/residency/guard.js';
import { ovhLocationCode } from '../../src/residency/regions-ovhcloud.js';
import { endpointHost } from '../../src/residency/endpoints.js';

const EU = { dataResidency: 'eu' };
const backup = (url: string): DataEndpoint => ({ url, kind: 'backup' });
const target = (vars: Record<string, unknown>, endpoints: (DataEndpoint[] | undefined)[] = []): ResidencyTarget => ({
  play: 'site',
  host: 'h1',
  vars,
  tasks: endpoints.map((e, i) => ({ name: `task ${i}`, module: 'restic.repository', endpoints: e })),
});
const hosts = new Map<string, Record<string, unknown>>([
  ['loki1', { ansible_host: '10.0.0.5', region: 'GRA11', provider: 'ovhcloud' }],
  ['loki-uk', { ansible_host: 'loki.uk.example.net', region: 'UK1', provider: 'ovhcloud' }],
]);
const rules = (t: ResidencyTarget) => checkResidency([t], { hosts }).map((v) => [v.rule, v.value]);

describe('data residency eu', () => {
  it.each<[string, ResidencyTarget, [string, string][]]>([
    ['a Public Cloud host in Gravelines with a backup in Gravelines', target({ ...EU, region: 'GRA11', provider: 'ovhcloud' }, [[backup('https://s3.gra.io.cloud.ovh.net')]]), []],
    ['a Scaleway host in Amsterdam with a backup and logs in Paris', target({ ...EU, region: 'nl-ams', provider: 'scaleway' }, [[backup('https://s3.fr-par.scw.cloud'), { url: 'https://abc.logs.cockpit.fr-par.scw.cloud/loki/api/v1/push', kind: 'logs' }]]), []],
    ['a backup repository in Beauharnois (Canada)', target({ ...EU, region: 'SBG5' }, [[backup('https://s3.bhs.io.cloud.ovh.net')]]), [['endpoint', 'https://s3.bhs.io.cloud.ovh.net']]],
    ['a backup repository in London (legacy endpoint, bucket in the host name)', target({ ...EU, region: 'WAW1' }, [[backup('https://acme.s3.uk.cloud.ovh.net')]]), [['endpoint', 'https://acme.s3.uk.cloud.ovh.net']]],
    ['a host in UK1 (London is not in the EU)', target({ ...EU, region: 'UK1', provider: 'ovhcloud' }), [['host-region', 'UK1']]],
    ['a dedicated server in Erith, whose API region starts with eu-', target({ ...EU, region: 'eu-west-eri', provider: 'ovhcloud' }), [['host-region', 'eu-west-eri']]],
    ['hosts in Canada, the US and Asia-Pacific', target({ ...EU, region: 'BHS5' }), [['host-region', 'BHS5']]],
    ['an unknown region fails closed', target({ ...EU, region: 'EU-WEST-LZ-LUX-A', provider: 'ovhcloud' }), [['unknown-region', 'EU-WEST-LZ-LUX-A']]],
    ['a host without a region fails closed', target({ ...EU }), [['unknown-region', '(none)']]],
    ['a region given by hand', target({ ...EU, region: 'onprem-paris', dataResidencyRegions: { 'onprem-paris': 'FR' } }), []],
    ['a region given by hand outside the EU', target({ ...EU, region: 'zurich-dc', dataResidencyRegions: { 'zurich-dc': 'CH' } }), [['host-region', 'zurich-dc']]],
    ['a region given by hand wins over the lists', target({ ...EU, region: 'UK1', dataResidencyRegions: { UK1: 'FR' } }), []],
    ['an endpoint nobody placed fails closed', target({ ...EU, region: 'GRA11' }, [[backup('https://backup.example.net:8000/web1/')]]), [['unknown-endpoint', 'https://backup.example.net:8000/web1/']]],
    ['an endpoint declared by hand', target({ ...EU, region: 'GRA11', dataResidencyEndpoints: { 'backup.example.net': 'de' } }, [[backup('https://backup.example.net:8000/web1/')]]), []],
    ['an endpoint that is an inventory host (by address) in the EU', target({ ...EU, region: 'GRA11' }, [[{ url: 'http://10.0.0.5:3100/loki/api/v1/push', kind: 'logs' }]]), []],
    ['an endpoint that is an inventory host in London', target({ ...EU, region: 'GRA11' }, [[{ url: 'https://loki-uk/loki/api/v1/push', kind: 'logs' }]]), [['endpoint', 'https://loki-uk/loki/api/v1/push']]],
    ['an SFTP repository', target({ ...EU, region: 'GRA11', dataResidencyEndpoints: { 'nas.example.net': 'NL' } }, [[backup('sftp://nas.example.net:22/srv/restic')]]), []],
    ['a task whose endpoints are known only after connecting', target({ ...EU, region: 'GRA11' }, [undefined]), [['endpoint-unknown-before-connecting', 'restic.repository']]],
    ['a policy converge does not know', target({ dataResidency: 'us', region: 'GRA11' }), [['policy', 'us']]],
    ['a bad declaration', target({ ...EU, region: 'GRA11', dataResidencyRegions: { x: 'France' } }), [['policy', '']]],
    ['error reports to a Sentry host nobody placed fail closed', target({ ...EU, region: 'GRA11' }, [[{ url: 'https://o4507.ingest.us.sentry.io', kind: 'errors' }]]), [['unknown-endpoint', 'https://o4507.ingest.us.sentry.io']]],
    ['error reports to a Sentry host declared in the EU', target({ ...EU, region: 'GRA11', dataResidencyEndpoints: { 'o4507.ingest.de.sentry.io': 'DE' } }, [[{ url: 'https://o4507.ingest.de.sentry.io', kind: 'errors' }]]), []],
    ['no policy: nothing is checked', target({ region: 'UK1' }, [[backup('https://s3.bhs.io.cloud.ovh.net')]]), []],
  ])('%s', (_, t, expected) => {
    expect(rules(t)).toEqual(expected);
  });

  it('fails the run with one error naming the host or task, the value and the rule', () => {
    const t = target({ ...EU, region: 'UK1' }, [[backup('https://s3.bhs.io.cloud.ovh.net')]]);
    expect(() => assertResidency([t], { hosts })).toThrow(
      expect.objectContaining({
        code: 'CONVERGE_RESIDENCY',
        message: expect.stringMatching(/2 violations; no host was contacted\n- \[host-region\] host h1: region UK1 is in United Kingdom \(OVHcloud London\), outside the EU\n- \[endpoint\] task "task 0" \(restic.repository\) on h1 sends backup data to https:\/\/s3.bhs.io.cloud.ovh.net, in Canada \(OVHcloud Beauharnois\), outside the EU/),
      }),
    );
    expect(() => assertResidency([target({ ...EU, region: 'GRA11' })], { hosts })).not.toThrow();
  });

  it.each([
    ['GRA11', 'GRA'], ['gra3', 'GRA'], ['UK1', 'UK'], ['DE1', 'DE'], ['eri1', 'ERI'], ['lim1', 'LIM'], ['BHS5', 'BHS'], ['EU-WEST-PAR', 'PAR'], ['eu-west-gra-a', 'GRA'],
    ['US-EAST-VA-1', 'VA'], ['CA-EAST-TOR', 'TOR'], ['ap-southeast-syd', 'SYD'], ['sgp', 'SGP'], ['p19', 'P'], ['EU-WEST-LZ-LUX-A', undefined],
  ])('OVHcloud location code of %s', (region, code) => {
    expect(ovhLocationCode(region)).toBe(code);
  });

  it.each([
    ['fr-par-2', 'scaleway', 'FR'], ['pl-waw', undefined, 'PL'], ['it-mil-1', 'scaleway', 'IT'], ['WAW1', 'ovhcloud', 'PL'], ['fr-par', 'ovhcloud', undefined], ['GRA11', 'scaleway', undefined],
  ])('region %s of provider %s is in %s', (region, provider, country) => {
    expect(placeRegion(region, provider, new Map())?.country).toBe(country);
  });

  it.each([
    ['s3:https://s3.gra.io.cloud.ovh.net/bucket/x', 's3.gra.io.cloud.ovh.net'],
    ['rest:https://user@backup.example.net:8000/', 'backup.example.net'],
    ['backup.example.net:8000', 'backup.example.net'],
    ['sftp://u@[2001:db8::1]:22/srv', '2001:db8::1'],
  ])('endpoint host of %s', (url, host) => {
    expect(endpointHost(url)).toBe(host);
  });
});
