import { defineRole } from '@converge/core';
import type { RoleUse } from '@converge/core';
import { apt, systemd } from '@converge/modules';
import { haproxy } from '@converge/haproxy';
import type { HaproxyConfigParams } from '@converge/haproxy';

/** Vars of the load-balancer role. */
export interface LoadBalancerVars {
  /** The `haproxy.config` params: the configuration model, certificates and where they go. */
  haproxy: HaproxyConfigParams;
}

/**
 * Role `load-balancer`: HAProxy from Debian (`haproxy`, and `socat` for the runtime API), its
 * configuration rendered from the `haproxy` var (module `haproxy.config`: validated with
 * `haproxy -c` before it replaces the live file, then reloaded without dropping connections),
 * and the service started and enabled at boot.
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
  baseDir: import.meta.dirname,
  defaults: { haproxy: {} satisfies HaproxyConfigParams },
  tasks: [
    apt({ name: ['haproxy', 'socat'], state: 'present', update_cache: true, cache_valid_time: 3600 }, { name: 'install haproxy and socat' }),
    haproxy.config((h) => h.vars.haproxy as HaproxyConfigParams, { name: 'haproxy.cfg' }),
    systemd.service({ name: 'haproxy', state: 'started', enabled: true }, { name: 'haproxy running and enabled' }),
  ],
});

/** The role with its `haproxy` var, typed: `roles: [loadBalancer({ ... })]`. */
export function loadBalancer(config: HaproxyConfigParams): RoleUse {
  return { role: loadBalancerRole, vars: { haproxy: config } satisfies LoadBalancerVars };
}

export default loadBalancerRole;
