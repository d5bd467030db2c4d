/**
 * HAProxy for converge: a typed model of haproxy.cfg rendered deterministically
 * (`haproxy.config`, validated with `haproxy -c` before it replaces the live file, reloaded
 * without dropping connections) and the runtime state of servers through the admin socket
 * (`haproxy.server`: ready, drain, maint).
 */
import { haproxyConfig } from './config.js';
import { haproxyServer } from './server.js';

export { haproxyConfig, HaproxyConfigParams, derive as deriveHaproxyConfig } from './config.js';
export type { ConfigPlan } from './config.js';
export { haproxyServer, HaproxyServerParams } from './server.js';
export { renderHaproxyConfig, checkReferences } from './render.js';
export type { RenderOptions, RenderedConfig } from './render.js';
export {
  HaproxyConfig,
  HAPROXY_DEFAULTS,
  GlobalSection,
  DefaultsSection,
  Frontend,
  Backend,
  Server,
  Bind,
  StatsPage,
  RuntimeApi,
  BalanceAlgorithm,
} from './model.js';
export type { HaproxyFrontend, HaproxyBackend, HaproxyServer } from './model.js';
export { haproxyServersState, parseServersState, adminState, socketQuery, runtimeResource, SRV_ADMF } from './runtime.js';
export type { BackendServersState, ServerState, ServerAdminState, ServersStateArgs } from './runtime.js';

/** The HAProxy module family: `haproxy.config` and `haproxy.server`. */
export const haproxy: { readonly config: typeof haproxyConfig; readonly server: typeof haproxyServer } = {
  config: haproxyConfig,
  server: haproxyServer,
};
