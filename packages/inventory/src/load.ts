import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyInventoryDefinition, isInventoryDefinition } from './define.js';
import { parseIniInto } from './ini.js';
import { inventoryError } from './inventory-error.js';
import { createInventory, reconcile } from './model.js';
import { parseData } from './pyyaml.js';
import { comparePython, loadVarsDir } from './vars-files.js';
import { walkYamlInventory } from './yaml.js';
import type { Inventory } from './types.js';
import { ConvergeError, isConvergeError } from '@converge/core';
import type { VaultSecret } from './ansible-vault/format.js';
import { decryptTaggedValues, hasTaggedValues } from './ansible-vault/vault-value.js';

/** Options of {@link loadInventory}. */
export interface LoadInventoryOptions {
  /**
   * Imports a `.ts`/`.js`/`.mjs` inventory module and returns its default export. Defaults to a
   * dynamic `import()`, which loads `.ts` only where the runtime strips types (vitest, Node with
   * type stripping); the CLI passes jiti's `createJiti(import.meta.url).import(path, { default: true })`.
   */
  importModule?: (file: string) => Promise<unknown>;
  /**
   * Vault passwords (`--vault-id`, `--vault-password-file`, `--ask-vault-pass`): vault-encrypted
   * `group_vars/`/`host_vars/` files and `!vault` values are decrypted into `Secret`s.
   */
  vaultSecrets?: readonly VaultSecret[];
}

// Entries of an inventory directory that Ansible skips (`IGNORED` in lib/ansible/inventory/manager.py,
// with the default INVENTORY_IGNORE_EXTS: REJECT_EXTS + .orig .ini .cfg .retry).
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
const MODULE_EXTS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const YAML_EXTS = new Set(['.yml', '.yaml', '.json', '']);

async function defaultImport(file: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return mod.default;
}

/**
 * Loads an inventory from one or more sources, as `ansible-inventory -i SOURCE...` does, with
 * the `group_vars/` and `host_vars/` beside each source.
 *
 * A source is a file or a directory. A directory is read like Ansible: its entries in name order,
 * recursively, skipping hidden entries, `group_vars`, `host_vars` and files ending in `.ini`,
 * `.cfg`, `.retry`, `.orig`, `.md`, `.txt`, `.rst`, `.bak`, `.swp`, `~`. A file is read by its
 * extension: `.ts`/`.mts`/`.js`/`.mjs` is a module whose default export is {@link defineInventory};
 * `.yml`/`.yaml`/`.json` or no extension is YAML when it holds a YAML mapping and INI otherwise
 * (as Ansible tries the yaml plugin before the ini plugin); anything else is INI. Several sources
 * merge in order into one inventory. Vars files are looked up beside each source (the directory
 * itself, or the directory of a file) for every group and host.
 * See https://docs.ansible.com/ansible/latest/inventory_guide/intro_inventory.html
 *
 * @param path One source or a list of sources (relative paths resolve from the working directory).
 * @throws ConvergeError `CONVERGE_INVENTORY` for a missing source, a file that no format accepts
 *   (with the location of the error), an invalid vars file, or a module without a default export.
 * @example const inv = await loadInventory('inventories/prod'); hostVars(inv, 'web01')
 */
export async function loadInventory(path: string | string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  const sources = (Array.isArray(path) ? path : [path]).map((p) => resolve(p));
  if (sources.length === 0) throw new ConvergeError('CONVERGE_INVENTORY', 'no inventory source given');
  const inv = createInventory(sources[0] as string);
  inv.sources = sources;
  const dirs: string[] = [];
  for (const source of sources) {
    const st = await stat(source).catch(() => undefined);
    if (!st) throw inventoryError(`inventory source ${source} does not exist`, { file: source }, { hint: 'check the path given with -i / --inventory' });
    if (st.isDirectory()) {
      await parseDirectory(inv, source, options);
      dirs.push(source);
    } else {
      await parseFile(inv, source, options);
      dirs.push(dirname(source));
    }
  }
  reconcile(inv);
  const secrets = options.vaultSecrets ?? [];
  if (secrets.length > 0) {
    for (const e of [...inv.groups.values(), ...inv.hosts.values()]) {
      if (hasTaggedValues(e.vars)) e.vars = decryptTaggedValues(e.vars, secrets, inv.source) as Record<string, unknown>;
    }
  }
  inv.varsFiles = [];
  for (const d of dirs) inv.varsFiles.push(await loadVarsDir(inv, d, secrets));
  return inv;
}

async function parseDirectory(inv: Inventory, dir: string, options: LoadInventoryOptions): Promise<void> {
  const names = (await readdir(dir)).sort(comparePython);
  for (const name of names) {
    if (IGNORED.test(name)) continue;
    const full = join(dir, name);
    const st = await stat(full).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) await parseDirectory(inv, full, options);
    else await parseFile(inv, full, options);
  }
}

async function parseFile(inv: Inventory, file: string, options: LoadInventoryOptions): Promise<void> {
  const ext = basename(file).startsWith('.') && !basename(file).slice(1).includes('.') ? '' : extname(file);
  if (MODULE_EXTS.has(ext)) {
    let def: unknown;
    try {
      def = await (options.importModule ?? defaultImport)(file);
    } catch (e) {
      throw inventoryError(`cannot load the inventory module: ${(e as Error).message}`, { file }, { cause: e, hint: ext.endsWith('ts') ? 'TypeScript inventories need a loader that strips types (the converge CLI uses jiti)' : undefined });
    }
    if (!isInventoryDefinition(def)) {
      throw inventoryError('an inventory module must `export default defineInventory({ groups, hosts, vars })`', { file });
    }
    applyInventoryDefinition(inv, def, file);
    return;
  }
  const text = await readFile(file, 'utf8');
  if (YAML_EXTS.has(ext)) {
    let yamlError: unknown;
    try {
      const data = parseData(text, file);
      if (data.value instanceof Map && data.value.size > 0 && !data.value.get('plugin')) {
        walkYamlInventory(inv, data, file);
        return;
      }
      if (data.value instanceof Map && data.value.get('plugin')) {
        throw inventoryError('this is an inventory plugin configuration file, not a YAML inventory; converge reads only static inventories', data.locate(['plugin']));
      }
      yamlError = inventoryError('not a YAML inventory (a YAML inventory is a mapping of groups, usually "all:")', { file, line: 1, column: 1 });
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      yamlError = e;
    }
    try {
      parseIniInto(inv, text, file);
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      // Prefer the YAML error for YAML-named files, the INI error for files without an extension.
      throw ext === '' ? e : yamlError;
    }
    return;
  }
  parseIniInto(inv, text, file);
}
