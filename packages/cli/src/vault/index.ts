export { vault, parseVaultSpec, isVaultLookup, VaultLookup, lookupKey, clearVaultValues } from './lookup.js';
export type { VaultRef, VaultLookupOptions } from './lookup.js';
export { VaultClient } from './client.js';
export type { VaultAuth, VaultClientOptions } from './client.js';
export { resolveVaultLookups } from './resolve.js';
export type { ResolveVaultOptions } from './resolve.js';
