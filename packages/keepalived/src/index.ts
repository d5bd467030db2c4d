/**
 * keepalived for converge: VRRP instances rendered from a typed model (`keepalived.config`,
 * validated with `keepalived -t` before it replaces the live file, reloaded without dropping
 * the addresses), the notify hook that moves an OVHcloud failover IP or a Scaleway flexible IP
 * to the new master (`keepalived.failover`), and the per-host settings of an address shared by a
 * group of peers (`sharedAddressConfig`, `sharedAddressFailover`).
 */
import { keepalivedConfig } from './config.js';
import { keepalivedFailover } from './failover/failover.js';

export { keepalivedConfig, KeepalivedConfigParams, deriveKeepalivedConfig } from './config.js';
export { renderKeepalivedConfig, checkKeepalivedModel, quoteCommand } from './render.js';
export type { RenderedKeepalivedConfig } from './render.js';
export { KeepalivedConfig, KEEPALIVED_DEFAULTS, GlobalDefs, VrrpScript, VrrpInstance, VirtualAddress, AUTH_PASS_PATTERN } from './model.js';
export type { KeepalivedInstance, KeepalivedScript } from './model.js';
export { keepalivedFailover, KeepalivedFailoverParams, failoverNotifyCommand, failoverScript, FAILOVER_DEFAULTS } from './failover/failover.js';
export type { FailoverPlan } from './failover/failover.js';
export { failoverRequests, renderFailoverConfig, failoverProblem, FailoverProvider, OvhFailover, ScalewayFailover, FAILOVER_ENDPOINTS } from './failover/provider-requests.js';
export type { FailoverRequests, ProviderRequest, FailoverProviderParams } from './failover/provider-requests.js';
export { SharedAddress, sharedAddressConfig, sharedAddressFailover, MASTER_PRIORITY } from './shared-address.js';
export { sharedAddressTasks } from './shared-address-tasks.js';
export type { SharedAddressTasksOptions } from './shared-address-tasks.js';

/** The keepalived module family: `keepalived.config` and `keepalived.failover`. */
export const keepalived: { readonly config: typeof keepalivedConfig; readonly failover: typeof keepalivedFailover } = {
  config: keepalivedConfig,
  failover: keepalivedFailover,
};
