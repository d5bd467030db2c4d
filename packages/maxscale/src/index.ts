/**
 * MariaDB MaxScale for converge: MariaDB's signed MaxScale repository (`maxscaleRepository`, for
 * `apt.repository`), maxscale.cnf from a typed model (`maxscale.config`: a galeramon monitor,
 * servers, a readwritesplit service and its listener, credentials as Secrets; changes applied
 * through maxctrl when MaxScale allows it, a restart otherwise), and the monitor and service
 * accounts on the cluster with the grants MaxScale documents (`maxscaleAccounts`), and the
 * REST API / maxctrl account (`maxscale.rest_api`).
 */
import { maxscaleConfig } from './config.js';
import { maxscaleRestApi } from './rest-api-module.js';

export { maxscaleConfig, MaxscaleConfigParams, CONFIG_CHECK, derive as deriveMaxscaleConfig } from './config.js';
export type { MaxscaleConfigPlan } from './config.js';
export { MaxscaleConfig, MAXSCALE_DEFAULTS, GlobalSection, Server, Monitor, Service, Listener } from './model.js';
export type { MaxscaleServer } from './model.js';
export { renderMaxscaleConfig, parseMaxscaleConfig, formatSections, checkNames, objectNames } from './render.js';
export type { ConfigSection, RenderedConfig } from './render.js';
export { planRuntimeChange, describeRuntimeChange, RUNTIME_GLOBALS, SECRET_PARAMS } from './runtime.js';
export type { RuntimeChange, MaxctrlCommand } from './runtime.js';
export { maxscaleRepository, MARIADB_SIGNING_KEY_FINGERPRINT, MARIADB_ENTERPRISE_KEY_FINGERPRINT, MAXSCALE_APT_BASE } from './repository.js';
export type { MaxscaleRepositoryOptions } from './repository.js';
export { maxscaleAccounts, monitorPrivileges, SERVICE_PRIVILEGES } from './accounts.js';
export type { MaxscaleAccount, MaxscaleAccountsOptions } from './accounts.js';
export { DEFAULT_REST_CREDENTIALS, renderMaxctrlConfig, parseMaxctrlConfig, restEndpoint, restUserInput, restAccess, parseRestAccess } from './rest-api.js';
export type { RestAccess } from './rest-api.js';
export { maxscaleRestApi, MaxscaleRestApiParams } from './rest-api-module.js';
export type { RestApiPlan } from './rest-api-module.js';

/** The MaxScale module family: `maxscale.config`, `maxscale.rest_api`. */
export const maxscale: { readonly config: typeof maxscaleConfig; readonly rest_api: typeof maxscaleRestApi } = { config: maxscaleConfig, rest_api: maxscaleRestApi };
