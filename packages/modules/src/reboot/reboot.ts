import { Type, defineModule, raw, sh } from '@converge/core';
import type { Static } from '@converge/core';
import { commandPathExists } from '../command/path-exists.js';

/**
 * What identifies the running boot: the kernel's boot id and the start time of PID 1 (in clock
 * ticks since the kernel booted, field 22 of /proc/1/stat, proc(5)). The boot id alone is
 * Ansible's default; a container that restarts keeps its kernel's boot id, but not its PID 1.
 * Plain POSIX sh: the command name in /proc/1/stat is cut off at its last `) `.
 */
export const BOOT_ID_COMMAND =
  "read -r cv_b < /proc/sys/kernel/random/boot_id && read -r cv_s < /proc/1/stat && cv_s=${cv_s##*') '} && set -- $cv_s && printf '%s %s\\n' \"$cv_b\" \"${20}\"";

/** Params of {@link reboot} (Ansible's `ansible.builtin.reboot`). */
export const RebootParams = Type.Object(
  {
    msg: Type.Optional(Type.String({ default: 'Reboot initiated by converge', description: 'Message shown to users logged in on the host before the reboot (shutdown(8)\'s wall message).' })),
    pre_reboot_delay: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Seconds to wait before rebooting (counted in `reboot_timeout`).' })),
    post_reboot_delay: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Seconds to wait after the reboot command before trying to connect again.' })),
    reboot_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 600, description: 'Seconds the host has to go down, come back and pass `test_command`; then the task fails.' })),
    test_command: Type.Optional(Type.String({ minLength: 1, default: 'whoami', description: 'Shell that must succeed on the host once it is back (as the login user).' })),
    boot_time_command: Type.Optional(
      Type.String({ minLength: 1, description: 'Shell that prints what identifies the running boot; the host is back when it prints something else. Default: the kernel\'s boot id and PID 1\'s start time.' }),
    ),
    reboot_command: Type.Optional(Type.String({ minLength: 1, description: 'Shell that reboots the host, instead of `shutdown -r now MSG`; `msg` is then not used.' })),
    removes: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Reboot only when this path (or glob) exists, as `command`\'s `removes`: Debian\'s `/run/reboot-required` is made by packages that need a reboot, and the reboot removes it (/run is a tmpfs). The run then checks that it is gone.',
      }),
    ),
  },
  { additionalProperties: false },
);

type P = Static<typeof RebootParams>;

/**
 * Reboots the host, waits for it to go down and come back, connects again and checks it
 * (Ansible's `ansible.builtin.reboot`): the reboot command is started in the background after a
 * second (or `pre_reboot_delay`), so that its step reports before the connection drops; the
 * engine then connects again every second until the boot identity changed and `test_command`
 * succeeds, within `reboot_timeout`, and probes every fact of the host again before the next
 * task uses it (host facts too). The result has `rebooted` and `elapsed` (seconds).
 *
 * Without `removes` it reboots on every run, as Ansible's module; with `removes` it reboots
 * only while that path exists, so a second run changes nothing. Check mode predicts the
 * reboot. `search_paths` (shutdown is found in PATH) and `connect_timeout` (each attempt has the
 * host's `ansible_timeout`) are not offered.
 *
 * @example reboot({ removes: '/run/reboot-required', reboot_timeout: 900 })
 */
export const reboot = defineModule({
  name: 'reboot',
  description: 'Reboot the host and wait for it to come back.',
  params: RebootParams,
  facts: (p) => ({ removes: p.removes !== undefined ? commandPathExists({ path: p.removes }) : undefined }),
  plan: ({ params: p, facts }) => {
    const removes = facts.removes;
    if (p.removes !== undefined && removes && !removes.exists) return { changes: [], reason: `removes: ${p.removes} does not exist` };
    return { changes: [{ path: 'boot', before: 'running', after: 'rebooted' }] };
  },
  apply: ({ params: p }) => {
    const command = p.reboot_command !== undefined ? sh`/bin/sh -c ${p.reboot_command}` : sh`shutdown -r now ${p.msg ?? 'Reboot initiated by converge'}`;
    const delay = Math.max(1, p.pre_reboot_delay ?? 0);
    return [{ script: sh`( trap '' HUP; sleep ${String(delay)}; exec ${command} ) </dev/null >/dev/null 2>&1 &`, description: 'start the reboot' }];
  },
  reconnect: (p) => ({
    bootId: p.boot_time_command ?? raw(BOOT_ID_COMMAND),
    timeoutSeconds: p.reboot_timeout ?? 600,
    ...(p.post_reboot_delay ? { settleSeconds: p.post_reboot_delay } : {}),
    test: p.test_command ?? 'whoami',
  }),
  verify: (p: P) => p.removes !== undefined,
});
