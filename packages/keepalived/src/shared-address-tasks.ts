import type { Task, TaskContext } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { keepalivedConfig } from './config.js';
import { keepalivedFailover } from './failover/failover.js';
import type { KeepalivedScript } from './model.js';
import { sharedAddressConfig, sharedAddressFailover } from './shared-address.js';
import type { SharedAddress } from './shared-address.js';

/** Options of {@link sharedAddressTasks}. */
export interface SharedAddressTasksOptions {
  /** The host's spec, e.g. `(h) => h.vars.load_balancer_vip`; absent or null: every task is skipped. */
  spec: (h: TaskContext) => SharedAddress | null | undefined;
  /** Where the spec comes from, for errors (e.g. `load_balancer_vip`). */
  where: string;
  /** Health check used when the spec gives none, e.g. the service the address fronts being alive. */
  check: KeepalivedScript;
}

/**
 * The tasks that give a group of peers a shared address (for roles): keepalived from Debian (and
 * curl, openssl and CA certificates when a cloud address moves too), the failover hook
 * (`keepalived.failover`) when the spec has `failover`, keepalived.conf for this peer
 * (`keepalived.config` from {@link sharedAddressConfig}: validated with `keepalived -t`, reloaded
 * on change), and the service started and enabled. Every task is skipped on a host whose spec
 * is absent or null.
 *
 * @example tasks: [...haproxyTasks, ...sharedAddressTasks({ spec: (h) => h.vars.load_balancer_vip as SharedAddress, where: 'load_balancer_vip', check: HAPROXY_CHECK })]
 */
export function sharedAddressTasks(o: SharedAddressTasksOptions): Task[] {
  const spec = (h: TaskContext): SharedAddress | undefined => o.spec(h) ?? undefined;
  const withCheck = (h: TaskContext): SharedAddress => {
    const s = spec(h) as SharedAddress;
    return s.check ? s : { ...s, check: o.check };
  };
  const held = (h: TaskContext): boolean => spec(h) !== undefined;
  return [
    apt((h) => ({ name: spec(h)?.failover ? ['keepalived', 'curl', 'openssl', 'ca-certificates'] : ['keepalived'] }), { name: 'install keepalived', when: held }),
    keepalivedFailover((h) => sharedAddressFailover(spec(h) as SharedAddress, h, o.where), { name: 'cloud failover hook', when: (h) => spec(h)?.failover !== undefined }),
    keepalivedConfig((h) => sharedAddressConfig(withCheck(h), h, o.where), { name: 'keepalived.conf', when: held }),
    systemd.service({ name: 'keepalived', state: 'started', enabled: true }, { name: 'keepalived running and enabled', when: held }),
  ];
}
