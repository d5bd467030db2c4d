import { join } from 'node:path';
import { defineRole, useRole } from '@converge/core';
import type { RoleUse } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { haproxy } from '@converge/haproxy';
import type { HaproxyConfigParams } from '@converge/haproxy';
import { haproxyPrometheusFrontend } from '@converge/prometheus';
import { sharedAddressTasks } from '@converge/keepalived';
import type { KeepalivedScript, SharedAddress } from '@converge/keepalived';

/** Vars of the load-balancer role. */
export interface LoadBalancerVars {
  /** The `haproxy.config` params: the configuration model, certificates and where they go. */
  haproxy: HaproxyConfigParams;
  /**
   * Where HAProxy serves its Prometheus metrics (`/metrics`, a frontend named `prometheus` added
   * to the configuration, see `haproxyPrometheusFrontend`), e.g. `10.0.0.10:8405`; `false`: no
   * metrics endpoint. Default `*:8405`, which roles/monitoring scrapes.
   */
  haproxy_metrics_bind?: string | false;
  /**
   * A shared address for two or more load balancers (keepalived, VRRP over unicast on the
   * private network; see packages/keepalived/README.md): the preferred master holds it while
   * HAProxy runs there. Absent or null: no keepalived.
   */
  load_balancer_vip?: SharedAddress | null;
}

/**
 * HAProxy liveness, the default health check of the shared address: HAProxy's master process
 * runs (it stays through a reload). Stopped or crashed, the check fails twice in 2 s and the
 * instance gives the address up.
 */
export const HAPROXY_CHECK: KeepalivedScript = { name: 'haproxy', script: ['/usr/bin/pgrep', '-x', 'haproxy'], interval: 1, fall: 2, rise: 2 };

/** The `haproxy.config` params of a host: its `haproxy` var plus the metrics frontend. */
export function haproxyParams(vars: Readonly<Record<string, unknown>>): HaproxyConfigParams {
  const config = vars.haproxy as HaproxyConfigParams;
  const bind = vars.haproxy_metrics_bind as string | false | undefined;
  if (bind === false || (config.frontends ?? []).some((f) => f.name === 'prometheus')) return config;
  return { ...config, frontends: [...(config.frontends ?? []), haproxyPrometheusFrontend(bind ?? '*:8405')] };
}

/**
 * Role `load-balancer`: HAProxy from Debian (`haproxy`, and `socat` for the runtime API), its
 * configuration rendered from the `haproxy` var (module `haproxy.config`: validated with
 * `haproxy -c` before it replaces the live file, then reloaded without dropping connections),
 * and the service started and enabled at boot. HAProxy also serves its Prometheus metrics
(`haproxy_metrics_bind`, default `*:8405`). With `load_balancer_vip`, the hosts of the play
 * also share an address through keepalived (`sharedAddressTasks` of `@converge/keepalived`):
 * one VRRP instance per host, unicast to the other peers, tracking HAProxy (`HAPROXY_CHECK`
 * unless the spec has a `check`), and on OVHcloud or Scaleway the hook that moves the
 * provider's address to the new master.
 *
 * The reload is part of `haproxy.config` rather than a handler: it happens as soon as the new
 * file is in place, so that `haproxy.server` tasks later in the same play talk to workers that
 * run the new configuration.
 *
 * @example
 * definePlaybook({ name: 'lb', hosts: 'lb', roles: [loadBalancer({ frontends: [...], backends: [...] })] })
 */
export const loadBalancerRole = defineRole({
  name: 'load-balancer',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { haproxy: {} satisfies HaproxyConfigParams, haproxy_metrics_bind: '*:8405', load_balancer_vip: null },
  tasks: [
    apt({ name: ['haproxy', 'socat'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install haproxy and socat' }),
    haproxy.config((h) => haproxyParams(h.vars), { name: 'haproxy.cfg' }),
    systemd.service({ name: 'haproxy', state: 'started', enabled: true }, { name: 'haproxy running and enabled' }),
    ...sharedAddressTasks({ spec: (h) => h.vars.load_balancer_vip as SharedAddress | null, where: 'load_balancer_vip', check: HAPROXY_CHECK }),
  ],
});

/** The role with its vars, typed: `roles: [loadBalancer({ ... }, { vip })]`. */
export function loadBalancer(config: HaproxyConfigParams, options: { metrics_bind?: string | false; vip?: SharedAddress } = {}): RoleUse {
  return useRole(loadBalancerRole, {
    haproxy: config,
    ...(options.metrics_bind !== undefined ? { haproxy_metrics_bind: options.metrics_bind } : {}),
    ...(options.vip ? { load_balancer_vip: options.vip } : {}),
  } satisfies LoadBalancerVars);
}

export default loadBalancerRole;
