// The code behind the plugins of plugins.ts, in one module: the CLI's light entry imports it
// when a source needs it, as one chunk of the bundle (one file to load rather than one per source).
export { loadOvhSource } from './ovh/source.js';
export { loadScalewaySource } from './scaleway/source.js';
export { loadTerraformSource, readStateResources, stateToDocument, BUILTIN_MAPPINGS } from './terraform/state.js';
export { runInventoryScript } from './script/script.js';
export { PluginConfig } from './plugin-config.js';
