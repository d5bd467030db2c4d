import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTestHosts, startHosts } from './hosts.js';
import type { TestHosts } from './hosts.js';

const run = promisify(execFile);

/** The OpenSSH client, installed from Debian's mirror when missing (CI images often lack it). */
async function ensureOpenSshClient(): Promise<void> {
  try {
    await run('ssh', ['-V']);
  } catch {
    await run('apt-get', ['update', '-qq']);
    await run('apt-get', ['install', '-y', '-q', 'openssh-client'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

describe('startHosts', () => {
  let lab: TestHosts;
  let bootMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    lab = await startHosts(3, { groups: { web: ['host1', 'host2'], db: ['host3'] } });
    bootMs = Date.now() - t0;
    console.log(`startHosts(3): ${bootMs} ms`);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('names the hosts host1..host3 and gives each an address the controller reaches', () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['host1', 'host2', 'host3']);
    for (const h of lab.hosts) {
      expect(h.address).not.toBe('');
      expect(h.port).toBeGreaterThan(0);
      expect(h.containerId).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('runs systemd as PID 1, booted (running, or degraded by a unit that failed under load)', async () => {
    for (const h of lab.hosts) {
      expect((await lab.exec(h.name, 'cat /proc/1/comm')).stdout.trim()).toBe('systemd');
      // "degraded" = booted with a failed unit: seen on a loaded machine (a unit timing out); the
      // hosts still serve, as startHosts accepts it. Anything else (starting, maintenance) fails.
      const state = (await lab.exec(h.name, 'systemctl is-system-running')).stdout.trim();
      const failed = state === 'running' ? '' : (await lab.exec(h.name, 'systemctl --failed --no-legend')).stdout;
      expect(['running', 'degraded'], `${h.name}: ${state}\n${failed}`).toContain(state);
      expect((await lab.exec(h.name, 'hostname')).stdout.trim()).toBe(h.name);
    }
  });

  it('gives every host its own host keys, all recorded in known_hosts', async () => {
    const keys = await Promise.all(lab.hosts.map(async (h) => (await lab.exec(h.name, 'cat /etc/ssh/ssh_host_ed25519_key.pub')).stdout.split(' ')[1]));
    expect(new Set(keys).size).toBe(3);
    const knownHosts = await readFile(lab.knownHostsPath, 'utf8');
    for (const key of keys) expect(knownHosts).toContain(`ssh-ed25519 ${key}`);
  });

  it('writes an INI inventory with every host and the groups given', async () => {
    const inventory = await readFile(lab.inventoryPath, 'utf8');
    for (const h of lab.hosts) {
      expect(inventory).toContain(
        `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${lab.privateKeyPath}`,
      );
    }
    expect(inventory).toContain('[web]\nhost1\nhost2\n');
    expect(inventory).toContain('[db]\nhost3\n');
  });

  it('lets the OpenSSH client log in as root with the key and strict host key checking', async () => {
    await ensureOpenSshClient();
    for (const h of lab.hosts) {
      const { stdout } = await run('ssh', [
        '-i', lab.privateKeyPath,
        '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes',
        '-o', 'IdentitiesOnly=yes',
        '-p', String(h.port),
        `root@${h.address}`,
        'true && hostname',
      ]);
      expect(stdout.trim()).toBe(h.name);
    }
  });

  it('installs a real package from Debian\'s mirror', async () => {
    const install = await lab.exec('host1', 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q hello');
    expect(install.exitCode, install.stderr).toBe(0);
    expect((await lab.exec('host1', 'hello')).stdout.trim()).toBe('Hello, world!');
  });

  it('starts services that use systemd sandboxing', async () => {
    const hostnamed = await lab.exec('host2', 'systemctl start systemd-hostnamed && systemctl is-active systemd-hostnamed');
    expect(hostnamed.stdout.trim(), hostnamed.stderr).toBe('active');
    const sandboxed = await lab.exec(
      'host2',
      'systemd-run --wait --quiet -p PrivateTmp=yes -p ProtectSystem=strict -p ProtectHome=yes -p PrivateDevices=yes -p NoNewPrivileges=yes -p DynamicUser=yes /bin/sh -c "test ! -w /usr"',
    );
    expect(sandboxed.exitCode, sandboxed.stderr).toBe(0);
  });

  it('reports exit codes and stderr from exec, and rejects unknown hosts', async () => {
    expect(await lab.exec('host3', 'echo out; echo err >&2; exit 3')).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    await expect(lab.exec('host9', 'true')).rejects.toThrow(/no test host named "host9"/);
  });

  it('labels the containers, and removeStaleTestHosts leaves fresh ones alone', async () => {
    const docker = (await getContainerRuntimeClient()).container.dockerode;
    const labelled = await docker.listContainers({ all: true, filters: { label: ['converge.test=1'] } });
    for (const h of lab.hosts) expect(labelled.map((c) => c.Id)).toContain(h.containerId);
    const removed = await removeStaleTestHosts(7 * 24 * 60);
    for (const h of lab.hosts) expect(removed).not.toContain(h.containerId);
  });

  it('stop() removes the containers and the temp dir', async () => {
    await lab.stop();
    const docker = (await getContainerRuntimeClient()).container.dockerode;
    const left = await docker.listContainers({ all: true, filters: { id: lab.hosts.map((h) => h.containerId) } });
    expect(left).toEqual([]);
    expect(existsSync(lab.dir)).toBe(false);
  });
});

describe('startHosts options', () => {
  it('reaches sshd through a published port when asked (the fallback for an unreachable bridge)', async () => {
    await ensureOpenSshClient();
    const lab = await startHosts(1, { prefix: 'node', reachVia: 'published-port' });
    try {
      const [h] = lab.hosts;
      expect(h?.name).toBe('node1');
      expect(h?.port).not.toBe(22);
      const { stdout } = await run('ssh', [
        '-i', lab.privateKeyPath,
        '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes',
        '-p', String(h?.port),
        `root@${h?.address}`,
        'hostname',
      ]);
      expect(stdout.trim()).toBe('node1');
    } finally {
      await lab.stop();
    }
  });

  it('rejects a group naming an unknown host before starting anything', async () => {
    await expect(startHosts(1, { groups: { web: ['host2'] }, image: 'unused' })).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS' });
  });

  it('rejects a capability that is not a capabilities(7) name before starting anything', async () => {
    for (const bad of ['CAP_NET_ADMIN', 'net_admin', 'NET ADMIN']) {
      await expect(startHosts(1, { capabilities: [bad], image: 'unused' })).rejects.toMatchObject({ code: 'CONVERGE_OPTIONS' });
    }
  });
});
