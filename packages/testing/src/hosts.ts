import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartedTestContainer, WaitStrategy } from 'testcontainers';
import { TestHostsError } from './errors.js';
import { generateEd25519KeyPair } from './openssh-key.js';

/** One test host: a Debian 12 container running systemd as PID 1 and sshd. */
export interface TestHost {
  /** Inventory name, e.g. `host1`; also the container's hostname. */
  name: string;
  /**
   * Where the controller reaches sshd: the container's IP on the Docker bridge, or, where that is
   * unreachable (Docker Desktop, remote engine), the Docker host with a published port.
   */
  address: string;
  /** sshd's port at `address`: 22 on the bridge, else the published port. */
  port: number;
  /** Docker container id. */
  containerId: string;
  /** The host's address on each network of {@link StartHostsOptions.networks} it joined, by the name given there. */
  networks: Record<string, string>;
}

/** Running test hosts with everything an SSH client needs to reach them. Call `stop()` when done. */
export interface TestHosts {
  /** The hosts, in order: `<prefix>1` … `<prefix>N`. */
  hosts: TestHost[];
  /**
   * INI inventory in `dir`: one line per host with `ansible_host`, `ansible_port`,
   * `ansible_user=root` and `ansible_ssh_private_key_file` (all hosts are members of `all`),
   * then one `[group]` section per group given to {@link startHosts}.
   */
  inventoryPath: string;
  /** Temporary directory holding the key, known_hosts and the inventory; removed by `stop()`. */
  dir: string;
  /** Unencrypted ed25519 private key (OpenSSH format), generated per {@link startHosts} call; its public key is in every host's `/root/.ssh/authorized_keys`. */
  privateKeyPath: string;
  /** known_hosts with every host's real, freshly generated host keys (all types), keyed by `address` / `[address]:port`. */
  knownHostsPath: string;
  /**
   * Runs `command` with `/bin/sh -c` as root in the host's container through `docker exec`,
   * independent of converge, for assertions. Never rejects on a non-zero exit code; rejects for an
   * unknown host name.
   */
  exec(host: string, command: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Removes the containers and `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startHosts}. */
export interface StartHostsOptions {
  /** Host name prefix: `host` gives `host1` … `hostN`. Default `host`. */
  prefix?: string;
  /**
   * The hosts' names instead of `<prefix>1` … (as many as `count`, each a lower-case host name),
   * e.g. `['lb1', 'lb2', 'app1']` for an inventory that names hosts by their role.
   */
  names?: string[];
  /** Inventory groups: group name → host names, e.g. `{ web: ['host1', 'host2'] }`. */
  groups?: Record<string, string[]>;
  /** Image to run; default {@link ensureTestImage}'s. Must boot systemd and sshd like it. */
  image?: string;
  /** Per-host budget for systemd to finish booting and sshd to answer, in milliseconds. Default 120 000. */
  bootTimeoutMs?: number;
  /**
   * How the controller reaches sshd. `auto` (default): the container's bridge IP on port 22, else
   * the Docker host at a published port (Docker Desktop, remote engines). `bridge`: only the IP,
   * and no port is published. `published-port`: only the published port.
   */
  reachVia?: 'auto' | 'bridge' | 'published-port';
  /**
   * Docker networks made for this call (removed by `stop()`) and the hosts on each. A host
   * named in one or more networks is attached to exactly those (its `address` is on the first);
   * the others stay on Docker's default bridge. An `internal` network has no way out (`docker
   * network create --internal`) and the controller cannot reach its hosts either: converge's
   * own route to each host that is only on internal networks is made `unreachable` (a /32
   * route, protocol {@link ISOLATION_ROUTE_PROTOCOL}, removed by `stop()`), so they can be
   * reached only through a host on two networks, a bastion. Such hosts are checked to answer
   * inside their container, not from the controller. Needs root on Linux (iproute2's `ip`).
   *
   * @example
   * startHosts(3, { networks: [{ name: 'public', hosts: ['host1'] }, { name: 'private', internal: true, hosts: ['host1', 'host2', 'host3'] }] })
   */
  networks?: {
    name: string;
    hosts: string[];
    internal?: boolean;
    /**
     * The network's IPv4 subnet (`10.89.19.0/24`), for a static inventory of fixed addresses;
     * default: one Docker picks. The Docker host takes the first address (the gateway). Two
     * networks with overlapping subnets cannot exist at once: Docker refuses the second.
     */
    subnet?: string;
    /** Fixed addresses in `subnet`, by host name; hosts not listed get one Docker picks. */
    addresses?: Record<string, string>;
  }[];
  /**
   * Linux capabilities added besides `SYS_ADMIN` (which systemd needs), by their capabilities(7)
   * names without `CAP_`: a list for every host (`['NET_ADMIN']` for nftables, iptables and VRRP
   * addresses inside the host's own network namespace), or a list per host name
   * (`{ host3: ['NET_ADMIN'] }`). Default none.
   */
  capabilities?: string[] | Record<string, string[]>;
  /**
   * Give the hosts what block storage tests need: every capability (as `docker run --privileged`
   * does, less any the controller's own bounding set lacks, since an engine in a sandbox cannot
   * grant those and `--privileged` then fails) and access to loop devices (block major 7, their
   * partitions under major 259, and `/dev/loop-control`), so that losetup(8), mkfs, mount,
   * parted and swapon work. Unlike `--privileged`, no other device of the Docker host is
   * exposed: a test cannot touch the host's disks by mistake. A loop device node the kernel
   * makes after the start is not in the container's /dev: create it with `mknod` (see
   * `/sys/block/loop*`). The kernel is shared: loop devices, mounts and swap a test leaves
   * behind stay on the Docker host, so tests that use this clean up before `stop()`.
   * Default false.
   */
  privileged?: boolean;
  /**
   * More tmpfs mounts, path → mount options (e.g. `{ '/srv/nfs': 'rw,mode=755,size=64m' }`),
   * beside `/run` and `/run/lock`: a file system with file handles where the container's
   * overlay root has none (name_to_handle_at(2) on overlayfs fails with EOPNOTSUPP, which
   * nfs-ganesha's VFS FSAL needs). Default none.
   */
  tmpfs?: Record<string, string>;
  /**
   * Let the hosts reboot (`systemctl reboot`, `shutdown -r`, converge's `reboot`). In a
   * container, systemd stops every unit, then its reboot(2) is refused (no `CAP_SYS_BOOT`) and
   * PID 1 exits, which ends the container; Docker then starts it again (restart policy
   * `unless-stopped`, which `stop()` overrides): the same container and file system, a fresh
   * /run (tmpfs), and systemd, sshd and every unit boot again, as after a real reboot. The
   * kernel is the Docker host's, so `/proc/sys/kernel/random/boot_id` stays the same; the start
   * time of PID 1 (/proc/1/stat) changes. Docker gives a container an address anew each time
   * it starts, so each such host is alone on a network of its own (`boot-<name>` in
   * {@link TestHost.networks}; `networks` cannot be given with this option), where the address
   * it gets again is the one it had: converge reaches it at the same address after a reboot.
   * Default false.
   */
  rebootable?: boolean;
}

/** Label on every test-host container and network; {@link removeStaleTestHosts} removes by it. */
export const TEST_HOST_LABEL = 'converge.test';

/**
 * The routing protocol number that marks the controller's `unreachable` routes to hosts of
 * internal networks (see {@link StartHostsOptions.networks}), so that {@link removeStaleTestHosts}
 * can find those a crashed run left. 222 is unassigned in iproute2's rt_protos.
 */
export const ISOLATION_ROUTE_PROTOCOL = 222;

const SSH_PORT = 22;
const DEFAULT_BOOT_TIMEOUT_MS = 120_000;

// Ryuk (testcontainers' reaper container) cannot be pulled here; stop() and removeStaleTestHosts
// clean up instead. Set before testcontainers is first loaded, which reads it then.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
type Testcontainers = typeof import('testcontainers');
let testcontainers: Promise<Testcontainers> | undefined;
function loadTestcontainers(): Promise<Testcontainers> {
  testcontainers ??= import('testcontainers');
  return testcontainers;
}

let testImage: Promise<string> | undefined;

/**
 * Builds the test-host image once per process with the recipe this package ships,
 * `scripts/build-image.sh` (which also makes a Docker engine reachable, see
 * `scripts/ensure-docker.sh`), and returns its name, `converge/debian12:<hash of the script>`.
 * Fast when the image exists: the name depends only on the recipe, so every install of the same
 * version of this package (a checkout, a playbook repository's `node_modules`) finds the same
 * image. `CONVERGE_TEST_IMAGE` overrides the name and skips the script (for CI that builds the
 * image in an earlier step).
 *
 * The script is found in the package's own folder, `../scripts` from this file (in `src` and
 * `dist`). Its progress goes to this process's stderr.
 *
 * @throws {TestHostsError} `CONVERGE_COMMAND` when the script fails; `detail` is its stderr tail.
 * @example
 * const image = await ensureTestImage(); // 'converge/debian12:0a1b2c3d4e5f'
 */
export function ensureTestImage(): Promise<string> {
  testImage ??= buildTestImage().catch((error: unknown) => {
    testImage = undefined;
    throw error;
  });
  return testImage;
}

async function buildTestImage(): Promise<string> {
  const override = process.env.CONVERGE_TEST_IMAGE;
  if (override !== undefined && override !== '') return override;
  const script = fileURLToPath(new URL('../scripts/build-image.sh', import.meta.url));
  const { stdout, stderr, exitCode } = await run('bash', [script], { forwardStderr: true });
  const image = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (exitCode !== 0 || image === '') {
    throw new TestHostsError('CONVERGE_COMMAND', `${script} failed (exit code ${exitCode})`, {
      detail: tail(stderr, 40),
      hint: 'test hosts need a Docker engine and, to build the image, root on Debian with network access to deb.debian.org',
    });
  }
  return image;
}

/**
 * Starts `count` Debian 12 test hosts in parallel and waits until each has booted: systemd reports
 * `running` or `degraded` (`systemctl is-system-running --wait`) and sshd answers the controller
 * with its banner. Each host has its own freshly generated SSH host keys (recorded in
 * `knownHostsPath`) and accepts root logins with a key generated for this call.
 *
 * Containers run systemd as PID 1 (`CAP_SYS_ADMIN`, `seccomp=unconfined`, tmpfs on `/run` and
 * `/run/lock`, `/sys/fs/cgroup` bound in) and carry the label `converge.test=1`. Options add
 * capabilities (`capabilities: ['NET_ADMIN']` for a firewall) or make them privileged
 * (`privileged: true` for loop devices and file systems).
 * On failure, every container already started is removed before the promise rejects.
 *
 * @throws {TestHostsError} `CONVERGE_OPTIONS` for a bad count, a group naming an unknown host or a
 *   malformed capability name;
 *   `CONVERGE_TIMEOUT` when a host does not boot in time (`detail`: its journal and failed units);
 *   `CONVERGE_CONNECT` when sshd answers inside the container but not from the controller.
 * @example
 * const lab = await startHosts(2, { groups: { web: ['host1'], db: ['host2'] } });
 * try {
 *   // converge with lab.inventoryPath, then assert:
 *   expect((await lab.exec('host1', 'systemctl is-active nginx')).stdout.trim()).toBe('active');
 * } finally {
 *   await lab.stop();
 * }
 */
export async function startHosts(count: number, options: StartHostsOptions = {}): Promise<TestHosts> {
  const prefix = options.prefix ?? 'host';
  if (!Number.isInteger(count) || count < 1) {
    throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: count must be a positive integer, got ${count}`);
  }
  const names = options.names ?? Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  if (names.length !== count || new Set(names).size !== count || names.some((n) => !/^[a-z][a-z0-9-]*$/.test(n))) {
    throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: names must be ${count} distinct lower-case host names, got ${JSON.stringify(names)}`);
  }
  for (const [group, members] of Object.entries(options.groups ?? {})) {
    const unknown = members.filter((m) => !names.includes(m));
    if (unknown.length > 0) {
      throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: group "${group}" names unknown hosts: ${unknown.join(', ')}`, {
        hint: `hosts are ${names.join(', ')}`,
      });
    }
  }

  for (const [i, n] of (options.networks ?? []).entries()) {
    const unknown = [...n.hosts, ...Object.keys(n.addresses ?? {})].filter((m) => !names.includes(m));
    if (!/^[a-z][a-z0-9-]*$/.test(n.name) || unknown.length > 0 || options.networks?.findIndex((x) => x.name === n.name) !== i) {
      throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: network "${n.name}" ${unknown.length > 0 ? `names unknown hosts: ${unknown.join(', ')}` : 'needs a unique lower-case name'}`, {
        hint: `hosts are ${names.join(', ')}`,
      });
    }
  }
  if (options.rebootable && (options.networks ?? []).length > 0) {
    throw new TestHostsError('CONVERGE_OPTIONS', 'startHosts: rebootable hosts get a network of their own (to keep their address across reboots); give no networks with them');
  }
  for (const host of Array.isArray(options.capabilities) ? [] : Object.keys(options.capabilities ?? {})) {
    if (!names.includes(host)) throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: capabilities name an unknown host: ${host}`, { hint: `hosts are ${names.join(', ')}` });
  }

  const image = options.image ?? (await ensureTestImage());
  const bootTimeoutMs = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
  // A rebootable host alone on its network gets its address back when Docker restarts it.
  const networks = await createNetworks(options.rebootable ? names.map((n) => ({ name: `boot-${n}`, hosts: [n] })) : (options.networks ?? []));
  const dir = await mkdtemp(join(tmpdir(), 'converge-hosts-'));
  const privateKeyPath = join(dir, 'id_ed25519');
  const knownHostsPath = join(dir, 'known_hosts');
  const inventoryPath = join(dir, 'inventory.ini');
  const key = generateEd25519KeyPair(`converge-test@${prefix}`);
  await writeFile(privateKeyPath, key.privateKey, { mode: 0o600 });
  await writeFile(`${privateKeyPath}.pub`, key.publicKey, { mode: 0o644 });

  const capabilityOf = (name: string): string[] => {
    const c = options.capabilities;
    return Array.isArray(c) ? c : (c?.[name] ?? []);
  };
  const badCapability = names.flatMap(capabilityOf).find((c) => !/^[A-Z][A-Z_]*$/.test(c) || c.startsWith('CAP_'));
  if (badCapability !== undefined) {
    throw new TestHostsError('CONVERGE_OPTIONS', `startHosts: capability ${JSON.stringify(badCapability)} is not a capabilities(7) name without CAP_`, { hint: "e.g. capabilities: ['NET_ADMIN']" });
  }
  const reachVia = options.reachVia ?? 'auto';
  const started = await Promise.allSettled(
    names.map((name) =>
      startHost(name, image, key.publicKey, bootTimeoutMs, {
        reachVia,
        networks: networks.filter((n) => n.hosts.includes(name)).map((n) => ({ ...n, ...(n.addresses[name] ? { address: n.addresses[name] } : {}) })),
        capabilities: capabilityOf(name),
        privileged: options.privileged ?? false,
        tmpfs: options.tmpfs ?? {},
        rebootable: options.rebootable ?? false,
      }),
    ),
  );
  const booted = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const isolated = booted.flatMap((h) => (h.isolated ? [h.host.address] : []));
  const cleanUp = async () => {
    await Promise.allSettled(booted.map((h) => h.container.stop({ timeout: 0, remove: true })));
    await removeIsolationRoutes(isolated);
    await removeNetworks(networks);
    await rm(dir, { recursive: true, force: true });
  };
  if (failures.length === 0) {
    try {
      await addIsolationRoutes(isolated);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    await cleanUp();
    throw failures[0];
  }

  await writeFile(knownHostsPath, booted.map((h) => h.knownHosts).join(''), { mode: 0o644 });
  await writeFile(inventoryPath, renderInventory(booted.map((h) => h.host), privateKeyPath, options.groups ?? {}));

  const byName = new Map(booted.map((h) => [h.host.name, h.container]));
  let stopping: Promise<void> | undefined;
  return {
    hosts: booted.map((h) => h.host),
    inventoryPath,
    dir,
    privateKeyPath,
    knownHostsPath,
    async exec(host, command) {
      const container = byName.get(host);
      if (container === undefined) {
        throw new TestHostsError('CONVERGE_OPTIONS', `exec: no test host named "${host}"`, { hint: `hosts are ${names.join(', ')}` });
      }
      const { stdout, stderr, exitCode } = await container.exec(['/bin/sh', '-c', command]);
      return { stdout, stderr, exitCode };
    },
    stop() {
      stopping ??= (async () => {
        const results = await Promise.allSettled([...byName.values()].map((c) => c.stop({ timeout: 0, remove: true })));
        await removeIsolationRoutes(isolated);
        await removeNetworks(networks);
        await rm(dir, { recursive: true, force: true });
        const failed = results.find((r) => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      })();
      return stopping;
    },
  };
}

/**
 * Removes test-host containers (label `converge.test=1`) created more than `olderThanMinutes`
 * minutes ago, left over by runs that crashed before `stop()`. Returns the removed container ids.
 *
 * @example
 * await removeStaleTestHosts(60); // in a global setup
 */
export async function removeStaleTestHosts(olderThanMinutes = 60): Promise<string[]> {
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const cutoffSeconds = Date.now() / 1000 - olderThanMinutes * 60;
  const stale = (await docker.listContainers({ all: true, filters: { label: [`${TEST_HOST_LABEL}=1`] } })).filter(
    (c) => c.Created < cutoffSeconds,
  );
  await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  // Networks of crashed runs, once no container uses them, and the isolation routes of addresses no test host has any more.
  const networks = (await docker.listNetworks({ filters: { label: [`${TEST_HOST_LABEL}=1`] } })) as { Id: string; Created: string }[];
  await Promise.allSettled(networks.filter((n) => Date.parse(n.Created) / 1000 < cutoffSeconds).map((n) => docker.getNetwork(n.Id).remove()));
  const running = (await docker.listContainers({ filters: { label: [`${TEST_HOST_LABEL}=1`] } })) as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }[];
  const inUse = new Set(running.flatMap((c) => Object.values(c.NetworkSettings?.Networks ?? {}).map((n) => n.IPAddress ?? '')));
  const routes = await run('ip', ['-4', 'route', 'show', 'table', 'main', 'proto', String(ISOLATION_ROUTE_PROTOCOL)]).catch(() => ({ stdout: '', stderr: '', exitCode: 1 }));
  const leftover = routes.stdout.split('\n').flatMap((l) => /^unreachable (\S+?)(?:\/32)? /.exec(`${l} `)?.[1] ?? []).filter((ip) => !inUse.has(ip));
  await removeIsolationRoutes(leftover);
  return stale.map((c) => c.Id);
}

/** A network made for one {@link startHosts} call: the name given, Docker's name and id, its hosts. */
interface TestNetwork {
  name: string;
  dockerName: string;
  id: string;
  internal: boolean;
  hosts: string[];
  /** Fixed addresses by host name. */
  addresses: Record<string, string>;
  /** This host's fixed address (per host, in {@link RunAs}). */
  address?: string;
}

async function createNetworks(specs: NonNullable<StartHostsOptions['networks']>): Promise<TestNetwork[]> {
  if (specs.length === 0) return [];
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const made: TestNetwork[] = [];
  try {
    for (const n of specs) {
      const dockerName = `converge-${n.name}-${Math.random().toString(36).slice(2, 8)}`;
      const net = await docker.createNetwork({
        Name: dockerName,
        Internal: n.internal === true,
        CheckDuplicate: true,
        Labels: { [TEST_HOST_LABEL]: '1' },
        ...(n.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: n.subnet }] } } : {}),
      });
      made.push({ name: n.name, dockerName, id: net.id, internal: n.internal === true, hosts: n.hosts, addresses: n.addresses ?? {} });
    }
  } catch (error) {
    await removeNetworks(made);
    throw new TestHostsError('CONVERGE_COMMAND', `startHosts: cannot create the Docker networks: ${(error as Error).message}`, { cause: error });
  }
  return made;
}

async function removeNetworks(networks: TestNetwork[]): Promise<void> {
  if (networks.length === 0) return;
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  await Promise.allSettled(networks.map((n) => docker.getNetwork(n.id).remove()));
}

/** Makes each address unreachable from the controller (a /32 `unreachable` route marked with {@link ISOLATION_ROUTE_PROTOCOL}). */
async function addIsolationRoutes(addresses: string[]): Promise<void> {
  for (const ip of addresses) {
    const r = await run('ip', ['-4', 'route', 'replace', 'unreachable', `${ip}/32`, 'proto', String(ISOLATION_ROUTE_PROTOCOL)]).catch((e: Error) => ({ stdout: '', stderr: e.message, exitCode: -1 }));
    if (r.exitCode !== 0) {
      throw new TestHostsError('CONVERGE_COMMAND', `startHosts: cannot cut the controller's route to ${ip} on an internal network: ${r.stderr.trim()}`, {
        hint: 'internal networks need root on Linux and iproute2 (ip)',
      });
    }
  }
}

async function removeIsolationRoutes(addresses: string[]): Promise<void> {
  await Promise.allSettled(addresses.map((ip) => run('ip', ['-4', 'route', 'del', 'unreachable', `${ip}/32`, 'proto', String(ISOLATION_ROUTE_PROTOCOL)])));
}

interface BootedHost {
  host: TestHost;
  container: StartedTestContainer;
  knownHosts: string;
  /** On internal networks only: the controller cannot reach it. */
  isolated: boolean;
}

type ReachVia = NonNullable<StartHostsOptions['reachVia']>;

/** How a host's container runs: reachability, networks and the rights it gets. */
interface RunAs {
  reachVia: ReachVia;
  networks: TestNetwork[];
  capabilities: string[];
  privileged: boolean;
  tmpfs: Record<string, string>;
  rebootable: boolean;
}

async function startHost(name: string, image: string, authorizedKey: string, bootTimeoutMs: number, runAs: RunAs): Promise<BootedHost> {
  const { reachVia } = runAs;
  const tc = await loadTestcontainers();
  const cgroup = await cgroupSetup();
  const isolated = runAs.networks.length > 0 && runAs.networks.every((n) => n.internal);
  const generic = new tc.GenericContainer(image)
    .withName(`converge-${name}-${Math.random().toString(36).slice(2, 8)}`)
    .withHostname(name)
    .withLabels({ [TEST_HOST_LABEL]: '1', [`${TEST_HOST_LABEL}.host`]: name })
    .withAddedCapabilities('SYS_ADMIN', ...runAs.capabilities)
    .withTmpFs({ ...runAs.tmpfs, '/run': 'rw,mode=755', '/run/lock': 'rw,mode=1777' })
    .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: cgroup.mode }])
    .withCopyContentToContainer([{ content: authorizedKey, target: '/root/.ssh/authorized_keys', mode: 0o600 }])
    .withWaitStrategy(noWait);
  // Published (on all interfaces, a random port) for when the bridge IP is unreachable.
  if (reachVia !== 'bridge' && !isolated) generic.withExposedPorts(SSH_PORT);
  if (runAs.privileged) {
    generic.withAddedCapabilities('ALL');
    const missing = missingCapabilities();
    if (missing.length > 0) generic.withDroppedCapabilities(...missing);
  }
  const [primary] = runAs.networks;
  if (primary) generic.withNetworkMode(primary.dockerName);
  // Options testcontainers has no builder method for. SIGRTMIN+3 is systemd's "halt" (systemd(1));
  // it takes SIGTERM, Docker's default, as "re-execute".
  const raw = generic as unknown as { createOpts: Record<string, unknown>; hostConfig: Record<string, unknown> };
  raw.createOpts.StopSignal = 'SIGRTMIN+3';
  raw.hostConfig.SecurityOpt = ['seccomp=unconfined', 'apparmor=unconfined'];
  raw.hostConfig.CgroupnsMode = cgroup.namespace;
  if (runAs.rebootable) raw.hostConfig.RestartPolicy = { Name: 'unless-stopped' };
  if (primary?.address) raw.createOpts.NetworkingConfig = { EndpointsConfig: { [primary.dockerName]: { IPAMConfig: { IPv4Address: primary.address } } } };
  if (runAs.privileged) {
    raw.hostConfig.DeviceCgroupRules = ['b 7:* rwm', 'b 259:* rwm', 'c 10:237 rwm'];
    raw.hostConfig.Devices = [{ PathOnHost: '/dev/loop-control', PathInContainer: '/dev/loop-control', CgroupPermissions: 'rwm' }];
  }

  const container = await generic.start();
  try {
    const addresses = await joinNetworks(container, runAs.networks);
    const deadline = Date.now() + bootTimeoutMs;
    await waitForSystemd(name, container, deadline);
    const keys = await readHostKeys(name, container, deadline);
    const endpoint = isolated
      ? { address: addresses[primary?.name ?? ''] ?? '', port: SSH_PORT }
      : await reachSshd(name, container, deadline, reachVia, primary ? addresses[primary.name] : undefined);
    const pattern = endpoint.port === SSH_PORT ? endpoint.address : `[${endpoint.address}]:${endpoint.port}`;
    return {
      host: { name, address: endpoint.address, port: endpoint.port, containerId: container.getId(), networks: addresses },
      container,
      knownHosts: keys.map((k) => `${pattern} ${k}\n`).join(''),
      isolated,
    };
  } catch (error) {
    await container.stop({ timeout: 0, remove: true }).catch(() => undefined);
    throw error;
  }
}

/** capabilities(7) by bit number, as /proc/PID/status CapBnd encodes them (Linux 5.9+: 0..40). */
const CAPABILITY_NAMES = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'];

/** The capabilities missing from this process's bounding set (none when it cannot be read). */
function missingCapabilities(): string[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapBnd:'));
    const mask = BigInt(`0x${line?.split(/\s+/)[1] ?? ''}`);
    return CAPABILITY_NAMES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 0n);
  } catch {
    return [];
  }
}

let cgroupSetupPromise: Promise<{ namespace: 'host' | 'private'; mode: 'ro' | 'rw' }> | undefined;

/**
 * How to give systemd its cgroups: the host's /sys/fs/cgroup bound in, and the host's cgroup
 * namespace, so that /proc/1/cgroup names the container's own cgroup (`/docker/<id>`) and systemd
 * keeps to it. cgroup v1 (hybrid) hosts: the bind is read-only at its top (the controller
 * submounts stay writable, which systemd needs for its name=systemd hierarchy). With a private
 * namespace instead, systemd took the host's root cgroup for its own and other containers lost
 * theirs (`docker exec`: "error adding pid to cgroups ... cgroup.procs: no such file").
 * cgroup v2 hosts: the bind is the cgroup2 mount itself, so it must be writable.
 */
function cgroupSetup(): Promise<{ namespace: 'host' | 'private'; mode: 'ro' | 'rw' }> {
  cgroupSetupPromise ??= (async () => {
    const { getContainerRuntimeClient } = await loadTestcontainers();
    const info = (await (await getContainerRuntimeClient()).container.dockerode.info()) as { CgroupVersion?: string };
    return info.CgroupVersion === '2' ? { namespace: 'host', mode: 'rw' } : { namespace: 'host', mode: 'ro' };
  })();
  return cgroupSetupPromise;
}

const noWait: WaitStrategy = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return noWait;
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 0,
};

async function waitForSystemd(name: string, container: StartedTestContainer, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    // Before PID 1 has its bus up, systemctl fails at once ("offline", "Failed to connect"): retry.
    const r = await container.exec(['timeout', String(seconds), 'systemctl', 'is-system-running', '--wait']).catch((e: unknown) => ({
      stdout: '',
      stderr: String(e),
      exitCode: -1,
    }));
    last = `${r.stdout}${r.stderr}`.trim();
    const state = r.stdout.trim().split('\n').at(-1);
    if (state === 'running' || state === 'degraded') return;
    await sleep(200);
  }
  throw await bootError(name, container, `systemd did not finish booting (last state: ${last || 'none'})`);
}

async function readHostKeys(name: string, container: StartedTestContainer, deadline: number): Promise<string[]> {
  while (Date.now() < deadline) {
    const r = await container.exec(['/bin/sh', '-c', 'systemctl is-active --quiet ssh.service && cat /etc/ssh/ssh_host_*_key.pub']);
    const keys = r.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '))
      .filter((line) => line.startsWith('ssh-') || line.startsWith('ecdsa-'));
    if (r.exitCode === 0 && keys.length > 0) return keys;
    await sleep(200);
  }
  throw await bootError(name, container, 'ssh.service did not become active with host keys');
}

/** Connects the container to its networks after the first (which it was created on) and returns its address on each, by the name given. */
async function joinNetworks(container: StartedTestContainer, networks: TestNetwork[]): Promise<Record<string, string>> {
  if (networks.length === 0) return {};
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  for (const n of networks.slice(1)) await docker.getNetwork(n.id).connect({ Container: container.getId(), ...(n.address ? { EndpointConfig: { IPAMConfig: { IPv4Address: n.address } } } : {}) });
  const info = (await docker.getContainer(container.getId()).inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } };
  return Object.fromEntries(networks.map((n) => [n.name, info.NetworkSettings.Networks[n.dockerName]?.IPAddress ?? '']));
}

async function reachSshd(
  name: string,
  container: StartedTestContainer,
  deadline: number,
  reachVia: ReachVia,
  address?: string,
): Promise<{ address: string; port: number }> {
  const candidates: { address: string; port: number }[] = [];
  const bridgeIp = address ?? container.getIpAddress(container.getNetworkNames()[0] ?? 'bridge');
  if (reachVia !== 'published-port' && bridgeIp !== '') candidates.push({ address: bridgeIp, port: SSH_PORT });
  if (reachVia !== 'bridge') candidates.push({ address: container.getHost(), port: container.getMappedPort(SSH_PORT) });
  const errors: string[] = [];
  while (Date.now() < deadline) {
    errors.length = 0;
    for (const candidate of candidates) {
      try {
        await readSshBanner(candidate.address, candidate.port, 2_000);
        return candidate;
      } catch (error) {
        errors.push(`${candidate.address}:${candidate.port}: ${(error as Error).message}`);
      }
    }
    await sleep(300);
  }
  throw new TestHostsError('CONVERGE_CONNECT', `test host ${name}: sshd runs but the controller cannot reach it`, {
    detail: errors.join('\n'),
    hint: 'check that the Docker bridge network or published ports are reachable from this machine',
  });
}

/** Resolves once the server at address:port sends an SSH identification string (RFC 4253 §4.2). */
function readSshBanner(address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    let received = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`no SSH banner within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('SSH-')) done();
    });
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error('connection closed before the SSH banner')));
  });
}

async function bootError(name: string, container: StartedTestContainer, what: string): Promise<TestHostsError> {
  const diagnostics = await container
    .exec(['/bin/sh', '-c', 'systemctl --failed --no-pager; journalctl -b --no-pager | tail -n 60'])
    .then((r) => `${r.stdout}${r.stderr}`)
    .catch(async (error: unknown) => `docker exec failed (${String(error)}); container log:\n${await containerLog(container)}`);
  return new TestHostsError('CONVERGE_TIMEOUT', `test host ${name} (${container.getId().slice(0, 12)}): ${what}`, {
    detail: diagnostics.trimEnd(),
    hint: 'systemd in a container needs CAP_SYS_ADMIN, seccomp=unconfined and /sys/fs/cgroup; see the journal above',
  });
}

async function containerLog(container: StartedTestContainer): Promise<string> {
  const stream = await container.logs({ tail: 40 });
  let text = '';
  stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
  await new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('error', resolve);
    setTimeout(resolve, 2_000);
  });
  return text;
}

function renderInventory(hosts: TestHost[], privateKeyPath: string, groups: Record<string, string[]>): string {
  const lines = ['# Test hosts of @converge/testing; removed by stop().'];
  for (const h of hosts) {
    lines.push(`${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${privateKeyPath}`);
  }
  for (const [group, members] of Object.entries(groups)) {
    lines.push('', `[${group}]`, ...members);
  }
  return `${lines.join('\n')}\n`;
}

function run(
  command: string,
  args: string[],
  options: { forwardStderr?: boolean } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.forwardStderr === true) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
