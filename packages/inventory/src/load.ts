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
import { applyInventoryDocument, type InventoryDocument } from './inventory-document.js';
import type { InventoryPlugin, InventoryPluginInput } from './plugin.js';
import { toPlain, type ParsedData } from './pyyaml.js';
import type { Inventory } from './types.js';
import { ConvergeError, isConvergeError } from '@converge/core';
import type { VaultSecret } from '@converge/ansible-formats';
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
  /**
   * Inventory plugins (see {@link InventoryPlugin}): `plugin: NAME` files and the files a plugin
   * claims (executable scripts, Terraform states) are read by them. Their sources are read
   * concurrently, then merged in source order with the static files.
   */
  plugins?: readonly InventoryPlugin[];
  /** Read plugin sources again even when their cache is fresh (`--refresh-inventory`). */
  refresh?: boolean;
  /** Reads a HashiCorp Vault KV field for a plugin's credentials (`{ vault: PATH#FIELD }`). */
  readVault?: (spec: string) => Promise<import('@converge/core').Secret>;
  env?: NodeJS.ProcessEnv;
}

/** One file of the sources, in merge order: read by a parser now, or by a plugin (started at once). */
type Entry = { kind: 'static'; file: string; ext: string; text?: string; data?: ParsedData } | { kind: 'plugin'; file: string; document: Promise<InventoryDocument> };

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
  // First every file of every source, in order; plugin sources start reading at once (network
  // sources concurrently), static files are parsed when their turn comes.
  const perSource: { source: string; entries: Entry[]; skipped: string[] }[] = [];
  for (const source of sources) {
    const st = await stat(source).catch(() => undefined);
    if (!st) throw inventoryError(`inventory source ${source} does not exist`, { file: source }, { hint: 'check the path given with -i / --inventory' });
    const entries: Entry[] = [];
    const skipped: string[] = [];
    if (st.isDirectory()) {
      await collectDirectory(source, entries, skipped, options);
      dirs.push(source);
    } else {
      entries.push(await classify(source, options));
      dirs.push(dirname(source));
    }
    perSource.push({ source, entries, skipped });
  }
  // Unhandled rejections of plugin reads not awaited yet (an earlier file failed) are expected.
  for (const { entries } of perSource) for (const e of entries) if (e.kind === 'plugin') e.document.catch(() => undefined);
  for (const { source, entries, skipped } of perSource) {
    const before = inv.hosts.size;
    for (const e of entries) {
      if (e.kind === 'plugin') applyInventoryDocument(inv, await e.document, e.file);
      else await parseStatic(inv, e, options);
    }
    if (inv.hosts.size === before) {
      const why = skipped.length > 0 ? `; skipped ${skipped.map((f) => basename(f)).join(', ')}: in an inventory directory, files ending in .ini, .cfg, .retry, .orig, .md, .txt, .rst, .bak, .swp or ~ are ignored, as Ansible does (give such a file itself with -i, or rename it, e.g. hosts)` : '';
      inv.warnings.push(`inventory source ${source} yields no hosts${why}`);
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

async function collectDirectory(dir: string, entries: Entry[], skipped: string[], options: LoadInventoryOptions): Promise<void> {
  const names = (await readdir(dir)).sort(comparePython);
  for (const name of names) {
    const full = join(dir, name);
    if (IGNORED.test(name)) {
      if (!name.startsWith('.') && !['host_vars', 'group_vars', 'vars_plugins'].includes(name)) skipped.push(full);
      continue;
    }
    const st = await stat(full).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) await collectDirectory(full, entries, skipped, options);
    else entries.push(await classify(full, options));
  }
}

function fileExt(file: string): string {
  return basename(file).startsWith('.') && !basename(file).slice(1).includes('.') ? '' : extname(file);
}

/**
 * Decides who reads a file: a plugin that claims it (tried first, as Ansible tries its `script`
 * plugin before `yaml` and `ini`), a plugin named by `plugin:` in a YAML file, or the static
 * parsers. A plugin read starts here.
 */
async function classify(file: string, options: LoadInventoryOptions): Promise<Entry> {
  const plugins = options.plugins ?? [];
  const input = (extra: Partial<InventoryPluginInput> = {}): InventoryPluginInput => ({
    file,
    ...(options.refresh !== undefined ? { refresh: options.refresh } : {}),
    ...(options.readVault ? { readVault: options.readVault } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...extra,
  });
  for (const p of plugins) {
    if (p.claims && (await p.claims(file))) return { kind: 'plugin', file, document: p.load(input()) };
  }
  const ext = fileExt(file);
  if (MODULE_EXTS.has(ext) || !YAML_EXTS.has(ext)) return { kind: 'static', file, ext };
  const text = await readFile(file, 'utf8');
  let data: ParsedData;
  try {
    data = parseData(text, file);
  } catch {
    return { kind: 'static', file, ext, text };
  }
  const name = data.value instanceof Map ? data.value.get('plugin') : undefined;
  if (!name) return { kind: 'static', file, ext, text, data };
  const plugin = typeof name === 'string' ? plugins.find((p) => p.name === name) : undefined;
  if (!plugin) {
    const known = plugins.map((p) => p.name).filter((n) => n !== 'script');
    throw inventoryError(
      known.length > 0 ? `inventory plugin ${JSON.stringify(name)} is not one converge has (it has ${known.join(', ')})` : 'this is an inventory plugin configuration file, not a YAML inventory; converge reads only static inventories here',
      data.locate(['plugin']),
      known.length > 0 ? {} : { hint: 'the converge command line reads plugin: ovh, scaleway and terraform files (@converge/cloud-inventory)' },
    );
  }
  let config = toPlain(data.value) as Record<string, unknown>;
  const secrets = options.vaultSecrets ?? [];
  if (hasTaggedValues(config)) {
    if (secrets.length === 0) throw inventoryError('this source holds !vault values: give the vault password (--vault-id, --vault-password-file or --ask-vault-pass)', data.locate(['plugin']));
    config = decryptTaggedValues(config, secrets, file) as Record<string, unknown>;
  }
  return { kind: 'plugin', file, document: plugin.load(input({ config, locate: (path) => data.locate(path) })) };
}

async function parseStatic(inv: Inventory, e: Extract<Entry, { kind: 'static' }>, options: LoadInventoryOptions): Promise<void> {
  const { file, ext } = e;
  if (MODULE_EXTS.has(ext)) {
    let def: unknown;
    try {
      def = await (options.importModule ?? defaultImport)(file);
    } catch (err) {
      throw inventoryError(`cannot load the inventory module: ${(err as Error).message}`, { file }, { cause: err, hint: ext.endsWith('ts') ? 'TypeScript inventories need a loader that strips types (the converge CLI uses jiti)' : undefined });
    }
    if (!isInventoryDefinition(def)) {
      throw inventoryError('an inventory module must `export default defineInventory({ groups, hosts, vars })`', { file });
    }
    applyInventoryDefinition(inv, def, file);
    return;
  }
  const text = e.text ?? (await readFile(file, 'utf8'));
  if (YAML_EXTS.has(ext)) {
    let yamlError: unknown;
    try {
      const data = e.data ?? parseData(text, file);
      if (data.value instanceof Map && data.value.size > 0) {
        walkYamlInventory(inv, data, file);
        return;
      }
      yamlError = inventoryError('not a YAML inventory (a YAML inventory is a mapping of groups, usually "all:")', { file, line: 1, column: 1 });
    } catch (err) {
      if (!isConvergeError(err)) throw err;
      yamlError = err;
    }
    try {
      parseIniInto(inv, text, file);
    } catch (err) {
      if (!isConvergeError(err)) throw err;
      // Prefer the YAML error for YAML-named files, the INI error for files without an extension.
      throw ext === '' ? err : yamlError;
    }
    return;
  }
  parseIniInto(inv, text, file);
}
