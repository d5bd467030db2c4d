import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import type { TaskContext } from '@converge/core';
import { sharedAddressConfig, sharedAddressFailover } from '../src/index.js';
import type { SharedAddress } from '../src/index.js';

const inventory: Record<string, Record<string, unknown>> = {
  lb1: { ansible_host: '198.51.100.1', private_ip: '10.0.0.11' },
  lb2: { ansible_host: '198.51.100.2', private_ip: '10.0.0.12' },
  lb3: { ansible_host: '10.0.0.13' },
};
const ctx = (host: string): TaskContext => ({ host, vars: { ...inventory[host], hostvars: inventory }, item: undefined, facts: {} as TaskContext['facts'], registered: () => undefined });
const spec: SharedAddress = {
  name: 'VI_LB',
  address: '10.0.0.100/24',
  interface: 'eth1',
  virtual_router_id: 51,
  peers: ['lb1', 'lb2', 'lb3'],
  authentication: secret('vrrp-pw'),
  check: { name: 'haproxy', script: ['/usr/bin/pgrep', '-x', 'haproxy'], fall: 2, rise: 2 },
};

describe('sharedAddressConfig: one VRRP instance per peer', () => {
  it.each([
    ['lb1', 'MASTER', 150, '10.0.0.11', ['10.0.0.12', '10.0.0.13']],
    ['lb2', 'BACKUP', 100, '10.0.0.12', ['10.0.0.11', '10.0.0.13']],
    ['lb3', 'BACKUP', 99, '10.0.0.13', ['10.0.0.11', '10.0.0.12']],
  ])('%s: state %s, priority %d, its private address and the others as unicast peers', (host, state, priority, src, peers) => {
    const c = sharedAddressConfig(spec, ctx(host));
    expect(c.scripts).toEqual([spec.check]);
    expect(c.instances).toEqual([
      {
        name: 'VI_LB', state, interface: 'eth1', virtual_router_id: 51, priority, unicast_src_ip: src, unicast_peers: peers,
        authentication: spec.authentication, virtual_ipaddresses: [{ address: '10.0.0.100/24' }], track_scripts: [{ name: 'haproxy' }],
      },
    ]);
  });

  it('without preemption every peer starts BACKUP with nopreempt', () => {
    const c = sharedAddressConfig({ ...spec, preempt: false }, ctx('lb1'));
    expect([c.instances[0]?.state, c.instances[0]?.nopreempt, c.instances[0]?.priority]).toEqual(['BACKUP', true, 150]);
  });

  it('runs the failover hook on becoming master, with each host\'s own target', () => {
    const withFailover: SharedAddress = { ...spec, failover: { provider: 'scaleway', scaleway: { secret_key: secret('k'), zone: 'fr-par-1', ip_id: 'ip-1' }, targets: { lb1: 'srv-1', lb2: 'srv-2', lb3: 'srv-3' } } };
    expect(sharedAddressConfig(withFailover, ctx('lb2')).instances[0]?.notify_master).toEqual(['/usr/local/sbin/converge-cloud-failover', '/etc/keepalived/cloud-failover/VI_LB.conf']);
    expect(sharedAddressFailover(withFailover, ctx('lb2'))).toEqual({ name: 'VI_LB', provider: 'scaleway', scaleway: { secret_key: withFailover.failover?.scaleway?.secret_key, zone: 'fr-par-1', ip_id: 'ip-1', product: 'instance', server_id: 'srv-2' } });
    const ovh: SharedAddress = { ...spec, failover: { provider: 'ovh', ovh: { application_key: 'AK', application_secret: secret('a'), consumer_key: secret('c'), ip: '203.0.113.10' }, targets: { lb1: 'ns1', lb2: 'ns2', lb3: 'ns3' } } };
    expect(sharedAddressFailover(ovh, ctx('lb3')).ovh?.service).toBe('ns3');
    const cloud: SharedAddress = { ...spec, failover: { provider: 'ovh', ovh: { application_key: 'AK', application_secret: secret('a'), consumer_key: secret('c'), ip: '203.0.113.10', project: 'p', failover_ip_id: 'f' }, targets: { lb1: 'i1', lb2: 'i2', lb3: 'i3' } } };
    expect(sharedAddressFailover(cloud, ctx('lb1')).ovh).toMatchObject({ project: 'p', failover_ip_id: 'f', instance_id: 'i1' });
  });

  it.each<[SharedAddress, string, RegExp]>([
    [spec, 'web1', /vip: web1 is not one of the peers \(lb1, lb2, lb3\)/],
    [{ ...spec, peers: ['lb1', 'lb9'] }, 'lb1', /vip\.peers: lb9 is not in the inventory/],
    [{ ...spec, address_var: 'vpn_ip' }, 'lb1', /vip: host lb1 has no IP address in vpn_ip \(got undefined\)/],
    [{ ...spec, peers: ['lb1'] }, 'lb1', /vip: invalid params:\n {2}\/peers: must NOT have fewer than 2 items/],
    [{ ...spec, peers: ['lb1', 'lb1'] }, 'lb1', /vip\.peers: a host is listed twice/],
  ])('refuses a spec it cannot place (%#)', (s, host, message) => {
    expect(() => sharedAddressConfig(s, ctx(host), 'vip')).toThrow(message);
  });

  it('refuses a failover without a target for the host', () => {
    const s: SharedAddress = { ...spec, failover: { provider: 'scaleway', scaleway: { secret_key: 'k', zone: 'fr-par-1', ip_id: 'ip-1' }, targets: { lb1: 'srv-1' } } };
    expect(() => sharedAddressFailover(s, ctx('lb2'), 'vip')).toThrow('vip.failover.targets: nothing for lb2');
  });
});
