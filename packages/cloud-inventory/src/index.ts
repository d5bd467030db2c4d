/**
 * `@converge/cloud-inventory`: inventory sources read from OVHcloud and Scaleway APIs, Terraform
 * states and inventory scripts, each an Ansible `--list` document the inventory loader merges
 * with static files; and the data-residency guard that checks where hosts run and where tasks
 * send data before any host is contacted.
 */
export { HttpClient, retryAfterMs } from './http/http-client.js';
export type { HttpClientOptions, HttpRequest, HttpResponse } from './http/http-client.js';
export { ovhSignature } from './ovh/signature.js';
export type { OvhSignatureInput } from './ovh/signature.js';
export { OvhClient, OVH_ENDPOINTS } from './ovh/client.js';
export type { OvhAuth, OvhClientOptions } from './ovh/client.js';
export { loadOvhSource } from './ovh/source.js';
export type { OvhService } from './ovh/source.js';
export { loadScalewaySource, SCALEWAY_ZONES, DEFAULT_SCALEWAY_REGIONS } from './scaleway/source.js';
export { loadTerraformSource, readStateResources, stateToDocument, attributePath, isPrivateAddress, BUILTIN_MAPPINGS } from './terraform/state.js';
export type { StateResource, ResourceMapping, StateOptions } from './terraform/state.js';
export { runInventoryScript, documentHosts } from './script/script.js';
export { isInventoryScript } from './script/script-file.js';
export { DocumentBuilder, safeGroupName } from './document.js';
export type { InventoryDocument, InventoryDocumentGroup } from './document.js';
export { resolveCredential } from './credentials.js';
export type { CredentialSpec, CredentialContext } from './credentials.js';
export { cached, cacheFile, defaultCacheDir } from './cache.js';
export type { CacheSettings } from './cache.js';
export { PluginConfig } from './plugin-config.js';
export type { SourceContext, CommonSettings, AddressChoice } from './plugin.js';
export { ovhPlugin, scalewayPlugin, terraformPlugin, scriptPlugin, cloudInventoryPlugins } from './plugins.js';
export { checkResidency, assertResidency, placeRegion } from './residency/guard.js';
export type { DataResidencyPolicy, ResidencyTarget, ResidencyContext, ResidencyViolation } from './residency/guard.js';
export { OVHCLOUD_LOCATIONS, ovhLocationCode } from './residency/regions-ovhcloud.js';
export { SCALEWAY_REGIONS, scalewayRegion } from './residency/regions-scaleway.js';
export { EU_COUNTRIES, countryName } from './residency/eu-countries.js';
export { endpointRegion, endpointHost } from './residency/endpoints.js';
