// The site playbook on a real Debian 12 host (a container with systemd and sshd, from
// @converge/testing): --check --diff, a run, a second run that must change nothing, and a last
// check that predicts nothing. Needs a Docker engine (the test image is built on first use).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { convergePlaysTwice, startHosts, type TestHosts } from '@converge/testing';
import site from '../playbooks/site.ts';

let hosts: TestHosts | undefined;

beforeAll(async () => {
  hosts = await startHosts(1, { groups: { lb: ['host1'] } });
}, 900_000);

afterAll(async () => {
  await hosts?.stop();
});

it('converges the load balancer, and a second run changes nothing', async () => {
  if (!hosts) throw new Error('no test host');
  const { first, second } = await convergePlaysTwice(hosts, [...site.plays], { extraVars: { site_name: 'test', app_port: 8080 } });
  expect(first.summary['host1']?.changed).toBeGreaterThan(0);
  expect(second.summary['host1']).toMatchObject({ changed: 0, failed: 0 });
  expect((await hosts.exec('host1', 'systemctl is-active haproxy')).stdout.trim()).toBe('active');
  expect((await hosts.exec('host1', 'cat /etc/motd')).stdout).toBe('test: host1 balances port 80 to the application on port 8080\n');
}, 900_000);
