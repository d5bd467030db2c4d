import { defineFact } from './fact.js';

/** What {@link hostFacts} reports about a machine. Fields a host cannot tell are absent. */
export interface HostFacts {
  hostname: string;
  fqdn?: string;
  /** From /etc/os-release: ID (e.g. `debian`), VERSION_ID, PRETTY_NAME, ID_LIKE. */
  distribution?: string;
  distributionVersion?: string;
  distributionPrettyName?: string;
  /** `Debian` for debian and its derivatives, `RedHat`, `Alpine`, … (Ansible's os_family). */
  osFamily?: string;
  kernel: string;
  architecture: string;
  /** Total memory in MiB (from /proc/meminfo). */
  memoryMiB?: number;
  cpus?: number;
  /** `systemd` when PID 1 is systemd, else the PID 1 command name. */
  initSystem?: string;
  /** First package manager found: apt, dnf, yum, apk, zypper, pacman. */
  packageManager?: string;
  defaultIpv4?: string;
  defaultIpv6?: string;
  /** Every IPv4 address of the host except loopback (127.0.0.0/8), as Ansible's `all_ipv4_addresses`. */
  allIpv4Addresses?: string[];
  /** Every IPv6 address of the host except `::1`, as Ansible's `all_ipv6_addresses`. */
  allIpv6Addresses?: string[];
  /** Network interfaces (loopback included) with their MAC address and addresses, without prefix lengths. */
  interfaces?: { name: string; mac?: string; ipv4: string[]; ipv6: string[] }[];
  /** Mount points with their filesystem types. */
  mounts?: { mountPoint: string; device: string; fsType: string }[];
}

const FAMILY: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', rhel: 'RedHat', centos: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', alpine: 'Alpine', suse: 'Suse', opensuse: 'Suse', arch: 'Archlinux' };

/**
 * Basic facts about a host in one probe: identity, OS, kernel, CPU and memory, init system,
 * package manager, default and all interface addresses, and mounts. Sources: os-release(5),
 * proc(5), ip-route(8), ip-address(8), sysfs(5) (the address file of each /sys/class/net entry).
 */
export const hostFacts = defineFact<Record<string, never>, HostFacts>({
  name: 'host.facts',
  description: 'Identity, OS, hardware and network basics of the host.',
  command: () =>
    [
      'echo "hostname=$(uname -n)"',
      'echo "fqdn=$(hostname -f 2>/dev/null || uname -n)"',
      'echo "kernel=$(uname -r)"',
      'echo "arch=$(uname -m)"',
      'echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"',
      "echo \"mem=$(awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo 2>/dev/null)\"",
      'echo "init=$(cat /proc/1/comm 2>/dev/null)"',
      'for m in apt-get dnf yum apk zypper pacman; do if command -v $m >/dev/null 2>&1; then echo "pm=$m"; break; fi; done',
      "echo \"ip4=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \\([^ ]*\\).*/\\1/p' | head -n1)\"",
      "echo \"ip6=$(ip -6 route get 2001:db8::1 2>/dev/null | sed -n 's/.* src \\([^ ]*\\).*/\\1/p' | head -n1)\"",
      "ip -o addr show 2>/dev/null | awk '{print \"addr=\" $2 \" \" $3 \" \" $4}'",
      'for i in /sys/class/net/*; do [ -e "$i" ] && echo "if=${i##*/} $(cat "$i/address" 2>/dev/null)"; done',
      "[ -r /etc/os-release ] && sed -n 's/^\\(ID\\|VERSION_ID\\|PRETTY_NAME\\|ID_LIKE\\)=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}$/os_\\1=\\2/p' /etc/os-release",
      "awk '{print \"mount=\" $2 \" \" $1 \" \" $3}' /proc/mounts 2>/dev/null",
    ].join('; '),
  parse: (out) => {
    const kv = new Map<string, string>();
    const mounts: HostFacts['mounts'] = [];
    const interfaces = new Map<string, { name: string; mac?: string; ipv4: string[]; ipv6: string[] }>();
    const iface = (name: string) => {
      let i = interfaces.get(name);
      if (!i) interfaces.set(name, (i = { name, ipv4: [], ipv6: [] }));
      return i;
    };
    for (const line of out.split('\n')) {
      const i = line.indexOf('=');
      if (i < 0) continue;
      const k = line.slice(0, i);
      const v = line.slice(i + 1);
      if (k === 'if') {
        const [name = '', mac] = v.split(' ');
        if (name) {
          const i = iface(name);
          if (mac && mac !== '00:00:00:00:00:00') i.mac = mac;
        }
      } else if (k === 'addr') {
        const [rawName = '', family, cidr = ''] = v.split(' ');
        const i = iface(rawName.replace(/@.*$/, ''));
        const address = cidr.replace(/\/\d+$/, '');
        if (family === 'inet') i.ipv4.push(address);
        else if (family === 'inet6') i.ipv6.push(address);
      } else if (k === 'mount') {
        const [mountPoint = '', device = '', fsType = ''] = v.split(' ');
        mounts.push({ mountPoint, device, fsType });
      } else kv.set(k, v);
    }
    const get = (k: string) => {
      const v = kv.get(k);
      return v === undefined || v === '' ? undefined : v;
    };
    const id = get('os_ID');
    const like = get('os_ID_LIKE')?.split(' ') ?? [];
    const family = id ? (FAMILY[id] ?? like.map((l) => FAMILY[l]).find(Boolean)) : undefined;
    const pm = get('pm');
    const facts: HostFacts = { hostname: get('hostname') ?? '', kernel: get('kernel') ?? '', architecture: get('arch') ?? '', mounts };
    const set = <K extends keyof HostFacts>(k: K, v: HostFacts[K] | undefined) => {
      if (v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) facts[k] = v;
    };
    set('fqdn', get('fqdn'));
    set('distribution', id);
    set('distributionVersion', get('os_VERSION_ID'));
    set('distributionPrettyName', get('os_PRETTY_NAME'));
    set('osFamily', family);
    set('memoryMiB', get('mem') ? Number(get('mem')) : undefined);
    set('cpus', get('cpus') ? Number(get('cpus')) : undefined);
    set('initSystem', get('init'));
    set('packageManager', pm === 'apt-get' ? 'apt' : pm);
    set('defaultIpv4', get('ip4'));
    set('defaultIpv6', get('ip6'));
    if (interfaces.size > 0) {
      const list = [...interfaces.values()];
      facts.interfaces = list;
      facts.allIpv4Addresses = list.flatMap((i) => i.ipv4).filter((a) => !a.startsWith('127.'));
      facts.allIpv6Addresses = list.flatMap((i) => i.ipv6).filter((a) => a !== '::1');
    }
    return facts;
  },
  resources: () => ['host:facts'],
});
