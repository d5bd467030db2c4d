import { describe, expect, it } from 'vitest';
import { hostFacts } from '@converge/core';
import { LocalTransport } from '@converge/core';
import { probe } from './probe.js';

const parse = (out: string) => hostFacts.definition.parse(out, { args: {}, exitCode: 0, stderr: '' });

// Recorded from a Debian 12 container (ip -o addr show; /sys/class/net/*/address).
const recorded = `hostname=web1
fqdn=web1.example.test
kernel=6.1.0-18-amd64
arch=x86_64
cpus=2
mem=3925
init=systemd
pm=apt-get
ip4=172.17.0.2
ip6=
addr=lo inet 127.0.0.1/8
addr=lo inet6 ::1/128
addr=eth0 inet 172.17.0.2/16
addr=eth0 inet 10.1.2.3/24
addr=eth0@if12 inet6 fe80::42:acff:fe11:2/64
if=eth0 02:42:ac:11:00:02
if=lo 00:00:00:00:00:00
os_ID=debian
os_VERSION_ID=12
os_PRETTY_NAME=Debian GNU/Linux 12 (bookworm)
mount=/ overlay overlay
`;

describe('host.facts', () => {
  it('parses identity, OS and every interface address (loopback left out of the all-address lists)', () => {
    const f = parse(recorded);
    expect(f).toMatchObject({ hostname: 'web1', distribution: 'debian', osFamily: 'Debian', packageManager: 'apt', defaultIpv4: '172.17.0.2', memoryMiB: 3925, cpus: 2 });
    expect(f.defaultIpv6).toBeUndefined();
    expect(f.allIpv4Addresses).toEqual(['172.17.0.2', '10.1.2.3']);
    expect(f.allIpv6Addresses).toEqual(['fe80::42:acff:fe11:2']);
    expect(f.interfaces).toEqual([
      { name: 'lo', ipv4: ['127.0.0.1'], ipv6: ['::1'] },
      { name: 'eth0', mac: '02:42:ac:11:00:02', ipv4: ['172.17.0.2', '10.1.2.3'], ipv6: ['fe80::42:acff:fe11:2'] },
    ]);
  });

  it('reads this machine through the real probe script', async () => {
    const t = new LocalTransport('local');
    await t.connect();
    try {
      const r = (await probe(t, [hostFacts({})])).get(hostFacts({}).key);
      expect(r?.ok).toBe(true);
      const f = (r as { value: ReturnType<typeof parse> }).value;
      expect(f.kernel).not.toBe('');
      expect(f.interfaces?.some((i) => i.name === 'lo')).toBe(true);
    } finally {
      await t.close();
    }
  });
});
