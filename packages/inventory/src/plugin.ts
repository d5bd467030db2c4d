import type { Secret, SourceLocation } from '@converge/core';
import type { InventoryDocument } from './inventory-document.js';

/** What the loader passes to {@link InventoryPlugin.load}. */
export interface InventoryPluginInput {
  /** The source file. */
  file: string;
  /** The mapping of a `plugin: NAME` file, `!vault` values decrypted to Secrets; absent for a claimed file. */
  config?: Record<string, unknown>;
  /** `file:line:column` of a key path of `config`. */
  locate?: (path: (string | number)[]) => SourceLocation;
  /** Read the source again even when its cache is fresh (`--refresh-inventory`). */
  refresh?: boolean;
  /** Reads a HashiCorp Vault KV field (`PATH#FIELD`) as a Secret, where the caller set up a client. */
  readVault?: (spec: string) => Promise<Secret>;
  env?: NodeJS.ProcessEnv;
}

/**
 * An inventory source read by code, as Ansible's inventory plugins: a YAML file holding
 * `plugin: NAME` (Ansible's `auto` plugin dispatch), or a file the plugin claims (an executable
 * script, a Terraform state). Its result is the document an inventory script prints for
 * `--list`, merged with the other sources in source order by the rules of Ansible's `script`
 * plugin ({@link applyInventoryDocument}). Plugins are plain objects passed to
 * `loadInventory` (`@converge/cloud-inventory` has OVHcloud, Scaleway, Terraform and scripts).
 */
export interface InventoryPlugin {
  /** The `plugin:` value of its source files. */
  name: string;
  /** Whether the plugin reads this file (not a `plugin:` file); tried before the INI and YAML parsers. */
  claims?(file: string): Promise<boolean>;
  load(input: InventoryPluginInput): Promise<InventoryDocument>;
}
