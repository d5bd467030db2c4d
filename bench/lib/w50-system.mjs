// Workload W50-system: per host, 10 x {sysctl (a namespaced kernel parameter, its own
// sysctl.d file), authorizedKey (a key for root), cron (a cron.d file), pamLimits (a limits.d
// file), logrotate (a logrotate.d file), mount (a tmpfs in /etc/fstab and mounted)} = 60 tasks
// of the system and storage modules. converge only: ansible-core has no sysctl, authorized_key,
// pam_limits or mount without collections.

/** Kernel parameters a container may set in its own namespaces (IPC, network), with the values W50-system wants. */
export const SYSCTLS = [
  ['kernel.msgmax', '16384'],
  ['kernel.msgmnb', '32768'],
  ['kernel.msgmni', '16000'],
  ['kernel.shmmax', '68719476736'],
  ['kernel.shmall', '4294967296'],
  ['kernel.shmmni', '8192'],
  ['net.core.somaxconn', '2048'],
  ['net.ipv4.tcp_fin_timeout', '30'],
  ['net.ipv4.tcp_keepalive_time', '600'],
  ['net.ipv4.ip_local_port_range', '20000 60999'],
];


/** The converge playbook. */
export const SYSTEM_PLAYBOOK = `import { definePlaybook, type Task } from '@converge/core';
import { authorizedKey, cron, logrotate, mount, pamLimits, sysctl } from '@converge/modules';

// Workload W50-system (see bench/README.md).
const SYSCTLS: [string, string][] = ${JSON.stringify(SYSCTLS)};
const tasks: Task[] = [];
for (let i = 0; i < 10; i++) {
  const [name, value] = SYSCTLS[i] as [string, string];
  tasks.push(
    sysctl({ name, value, sysctl_file: \`/etc/sysctl.d/60-w50s-\${i}.conf\` }),
    authorizedKey({ user: 'root', key: ${'`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${String(i).padStart(2, \'0\').repeat(22)} w50s-${i}`'} }),
    cron({ name: \`w50s job \${i}\`, minute: String(i), job: \`/usr/bin/true w50s-\${i}\`, cron_file: \`w50s-\${i}\`, user: 'root' }),
    pamLimits({ domain: \`w50s\${i}\`, limit_type: '-', limit_item: 'nofile', value: 1024 * (i + 1), dest: \`/etc/security/limits.d/w50s-\${i}.conf\` }),
    logrotate({ name: \`w50s-\${i}\`, path: \`/var/log/w50s-\${i}.log\`, frequency: 'daily', rotate: 7, missingok: true }),
    mount({ path: \`/srv/w50s-\${i}\`, src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m,nosuid,nodev' }),
  );
}

export default definePlaybook({ name: 'W50-system', hosts: 'all', tasks });
`;

/**
 * Host preparation: Docker mounts /proc/sys read-only (a real host does not); cron.d exists once
 * cron is installed. The test hosts run with CAP_SYS_ADMIN (systemd needs it), so `mount` can
 * mount tmpfs file systems for real.
 */
export const PREPARE = 'mount -o remount,rw /proc/sys && mkdir -p /etc/cron.d';

/** The hand edits of the check phase: six per host, one per module. */
export function systemEdits() {
  return [
    'echo 128 > /proc/sys/net/core/somaxconn',
    "sed -i '/w50s-3$/d' /root/.ssh/authorized_keys",
    "sed -i 's/^4 /5 /' /etc/cron.d/w50s-4",
    "sed -i 's/5120/99/' /etc/security/limits.d/w50s-4.conf",
    "sed -i 's/rotate 7/rotate 9/' /etc/logrotate.d/w50s-6",
    'umount /srv/w50s-7',
  ].join('; ');
}
