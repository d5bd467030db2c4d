// This module is the package's light entry (`@converge/cloud-inventory/plugins`): the CLI loads
// it for every inventory, so it holds only the plugins' names and claims; a source's code (API
// clients, Terraform state reader) loads when a source needs it.
import { open, readFile } from 'node:fs/promises';
import type { InventoryPlugin, InventoryPluginInput } from '@converge/inventory';
import type { InventoryDocument } from './document.js';
import type { PluginConfig } from './plugin-config.js';
import { isInventoryScript } from './script/script-file.js';

const loaders = () => import('./source-loaders.js');
const config = async (input: InventoryPluginInput): Promise<PluginConfig> => new (await loaders()).PluginConfig(input.file, input.config ?? {}, input.locate);

/** `plugin: ovh`: OVHcloud Public Cloud instances, dedicated servers, VPS ({@link loadOvhSource}). */
export const ovhPlugin: InventoryPlugin = {
  name: 'ovh',
  load: async (input) => (await loaders()).loadOvhSource({ config: await config(input), refresh: input.refresh ?? false, env: input.env ?? process.env, ...(input.readVault ? { readVault: input.readVault } : {}) }),
};

/** `plugin: scaleway`: Scaleway Instances and Elastic Metal servers ({@link loadScalewaySource}). */
export const scalewayPlugin: InventoryPlugin = {
  name: 'scaleway',
  load: async (input) => (await loaders()).loadScalewaySource({ config: await config(input), refresh: input.refresh ?? false, env: input.env ?? process.env, ...(input.readVault ? { readVault: input.readVault } : {}) }),
};

async function head(file: string, bytes: number): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * `plugin: terraform` ({@link loadTerraformSource}); also claims a state file put in the
 * inventory as it is: a `*.tfstate` file, or JSON that starts with a `"version"` or
 * `"format_version"` key and names a `terraform_version`, read with the built-in mappings.
 */
export const terraformPlugin: InventoryPlugin = {
  name: 'terraform',
  async claims(file) {
    if (file.endsWith('.tfstate')) return true;
    const start = await head(file, 4096);
    return /^\s*\{\s*"(?:format_)?version"/.test(start) && start.includes('"terraform_version"');
  },
  async load(input) {
    const { loadTerraformSource, readStateResources, stateToDocument, BUILTIN_MAPPINGS } = await loaders();
    if (input.config) return loadTerraformSource(await config(input));
    const text = await readFile(input.file, 'utf8');
    return stateToDocument(readStateResources(text, input.file), { address: 'private-first', hostname: 'name', groupPrefix: 'tf_', mappings: BUILTIN_MAPPINGS }, { file: input.file });
  },
};

/**
 * Executable inventory scripts, as Ansible's `script` plugin ({@link runInventoryScript}).
 * Ansible has no `plugin: script` file; neither has converge.
 */
export const scriptPlugin: InventoryPlugin = {
  name: 'script',
  claims: isInventoryScript,
  load: async (input) => (await loaders()).runInventoryScript(input.file, input.env ?? process.env),
};

/** Every plugin of this package, in the order the loader tries their claims. */
export const cloudInventoryPlugins: readonly InventoryPlugin[] = [scriptPlugin, terraformPlugin, ovhPlugin, scalewayPlugin];
