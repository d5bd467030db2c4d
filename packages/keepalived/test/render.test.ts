import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { renderKeepalivedConfig } from '../src/index.js';
import type { KeepalivedConfig } from '../src/index.js';
import { fullModel } from './model-example.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

/** Compares with a fixture file; CONVERGE_UPDATE_FIXTURES=1 rewrites it (then review the git diff). */
function expectFixture(name: string, text: string): void {
  if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(fixture(name), text);
  expect(text).toBe(readFileSync(fixture(name), 'utf8'));
}

const minimal: KeepalivedConfig = {
  instances: [{ name: 'VI_1', state: 'BACKUP', interface: 'eth0', virtual_router_id: 7, priority: 100, virtual_ipaddresses: [{ address: '192.0.2.10/24' }] }],
};
const inst = minimal.instances[0]!;

describe('renderKeepalivedConfig', () => {
  it('renders the minimal model: script security on, the address on the instance\'s interface', () => {
    expectFixture('minimal.conf', renderKeepalivedConfig(minimal).text);
  });

  it('renders every field of the model (fixture full.conf)', () => {
    expectFixture('full.conf', renderKeepalivedConfig(fullModel).text);
  });

  it('is deterministic whatever the key order of objects', () => {
    const a = renderKeepalivedConfig({ instances: [{ ...inst, priority: 90, advert_int: 2 }] }).text;
    const b = renderKeepalivedConfig({ instances: [{ advert_int: 2, priority: 90, ...inst, ...{ priority: 90 } }] }).text;
    expect(a).toBe(b);
  });

  it('marks a configuration holding a Secret password as secret', () => {
    const r = renderKeepalivedConfig({ instances: [{ ...inst, authentication: secret('s3cr3t-1') }] });
    expect(r.secret).toBe(true);
    expect(r.text).toContain('        auth_type PASS\n        auth_pass s3cr3t-1\n');
    expect(renderKeepalivedConfig({ instances: [{ ...inst, authentication: 'plain' }] }).secret).toBe(false);
  });

  it.each<[string, KeepalivedConfig, RegExp]>([
    ['a duplicate instance', { instances: [inst, inst] }, /instances\[1\]: a second instance named "VI_1"/],
    ['a router id used twice on an interface', { instances: [inst, { ...inst, name: 'VI_2' }] }, /instances\[1\]\.virtual_router_id: 7 is also used by instance "VI_1" on eth0/],
    ['an undefined tracked script', { instances: [{ ...inst, track_scripts: [{ name: 'nope' }] }] }, /instances\[0\]\.track_scripts\[0\]: no script named "nope"/],
    ['a relative script path', { scripts: [{ name: 'c', script: ['pgrep', 'x'] }], instances: [inst] }, /scripts\[0\]\.script: "pgrep" is not an absolute path/],
    ['a relative notify path', { instances: [{ ...inst, notify_master: ['hook'] }] }, /instances\[0\]\.notify_master: "hook" is not an absolute path/],
    ['preempt_delay with nopreempt', { instances: [{ ...inst, nopreempt: true, preempt_delay: 5 }] }, /instances\[0\]\.preempt_delay: cannot go with nopreempt/],
    ['a peer of the other family', { instances: [{ ...inst, unicast_src_ip: 'fd00::1', unicast_peers: ['fd00::2'] }] }, /unicast_src_ip: fd00::1 is not in the family of the virtual addresses/],
    ['its own interface tracked', { instances: [{ ...inst, track_interfaces: ['eth0'] }] }, /track_interfaces: eth0 is the instance's own interface/],
    ['nopreempt on a MASTER', { instances: [{ ...inst, state: 'MASTER', nopreempt: true }] }, /instances\[0\]\.nopreempt: needs state BACKUP/],
    ['an address without prefix', { instances: [{ ...inst, virtual_ipaddresses: [{ address: '192.0.2.10' }] }] }, /virtual_ipaddresses\[0\]\.address: "192\.0\.2\.10" is not ADDRESS\/PREFIX/],
    ['mixed families', { instances: [{ ...inst, virtual_ipaddresses: [{ address: '192.0.2.10/24' }, { address: 'fd00::1/64' }] }] }, /IPv4 and IPv6 addresses in one instance/],
    ['a bad peer', { instances: [{ ...inst, unicast_src_ip: '10.0.0.1', unicast_peers: ['10.0.0.300'] }] }, /unicast_peers\[0\]: "10\.0\.0\.300" is not an IP address/],
    ['the host as its own peer', { instances: [{ ...inst, unicast_src_ip: '10.0.0.1', unicast_peers: ['10.0.0.1'] }] }, /unicast_peers\[0\]: 10\.0\.0\.1 is this host's own unicast_src_ip/],
    ['a source without peers', { instances: [{ ...inst, unicast_src_ip: '10.0.0.1' }] }, /unicast_src_ip: given without unicast_peers/],
    ['a Secret password too long for auth_pass', { instances: [{ ...inst, authentication: secret('nine-char') }] }, /authentication: the Secret is not 1 to 8/],
  ])('refuses %s, naming the field', (_what, model, message) => {
    expect(() => renderKeepalivedConfig(model)).toThrow(message);
  });
});
