import type { HaproxyFrontend } from '@converge/haproxy';

/** Port of HAProxy's Prometheus endpoint in {@link haproxyPrometheusFrontend}'s default bind. */
export const HAPROXY_EXPORTER_PORT = 8405;

/**
 * A frontend for `haproxy.config` (`@converge/haproxy`'s model) that serves HAProxy's built-in
 * Prometheus exporter at `/metrics` (`http-request use-service prometheus-exporter`, HAProxy 2.6
 * configuration manual §4.2 "http-request use-service"; Debian's haproxy is built with
 * `USE_PROMEX=1`, `haproxy -vv` lists the `prometheus-exporter` service). Its requests are not
 * logged. Add it to the load balancer's `frontends`.
 *
 * @param bind - listening address, e.g. `10.0.0.10:8405` (default `*:8405`).
 * @example loadBalancer({ frontends: [www, haproxyPrometheusFrontend('10.0.0.10:8405')], backends })
 */
export function haproxyPrometheusFrontend(bind = `*:${HAPROXY_EXPORTER_PORT}`, name = 'prometheus'): HaproxyFrontend {
  return { name, mode: 'http', binds: [{ address: bind }], extra: ['http-request use-service prometheus-exporter if { path /metrics }', 'no log'] };
}
