import type { Inventory, VaultSecret } from '@converge/inventory';
import { maskText } from '@converge/core/lean';
import { loadCreateJiti } from './jiti.js';
import { convergeAliases } from './load-playbook.js';

/** Options of {@link loadCliInventory}. */
export interface CliInventoryOptions {
  vaultSecrets?: VaultSecret[];
  /** `--refresh-inventory`: read cloud sources again even when their cache is fresh. */
  refresh?: boolean;
  /** Where the inventory's warnings go (`converge: warning: ...`); none when absent. */
  stderr?: NodeJS.WritableStream;
}

/**
 * Loads inventories as every command does: TypeScript inventories through jiti, vault files
 * decrypted, and the sources of `@converge/cloud-inventory` (`plugin: ovh`, `scaleway`,
 * `terraform`, Terraform states, executable scripts; a source's code loads only when a source
 * needs it), whose `{ vault: PATH#FIELD }` credentials are read through the CLI's Vault client.
 * Warnings (a source that yields no hosts, YAML keys Ansible skips) are printed to `stderr`.
 */
export async function loadCliInventory(paths: string[], options: CliInventoryOptions = {}): Promise<Inventory> {
  const [{ loadInventory }, { cloudInventoryPlugins }] = await Promise.all([import('@converge/inventory'), import('@converge/cloud-inventory/plugins')]);
  const inv = await loadInventory(paths, {
    vaultSecrets: options.vaultSecrets ?? [],
    plugins: cloudInventoryPlugins,
    refresh: options.refresh === true,
    readVault: async (spec) => {
      const [{ vault }, { resolveVaultLookups }] = await Promise.all([import('@converge/core'), import('./vault/resolve.js')]);
      const lookup = vault(spec);
      await resolveVaultLookups([lookup]);
      return lookup;
    },
    importModule: async (file) => {
      const createJiti = loadCreateJiti();
      // The same packages a playbook gets: an inventory's secret() or vault() values are the CLI's own Secrets.
      return createJiti(import.meta.url, { interopDefault: true, alias: convergeAliases() }).import(file, { default: true });
    },
  });
  for (const w of inv.warnings) options.stderr?.write(`converge: warning: ${maskText(w)}\n`);
  return inv;
}
