import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { inventoryError } from './inventory-error.js';
import { parseData, toPlain } from './pyyaml.js';
import type { Inventory, InventoryVarsDir, InventoryVarsFile } from './types.js';
import { decryptVault, isVaultEncrypted, type VaultSecret } from '@converge/ansible-formats';
import { ConvergeError, isConvergeError } from '@converge/core';
import { decryptTaggedValues, hasTaggedValues, secretLeaves } from './ansible-vault/vault-value.js';

/** Extensions of vars files, in the order Ansible tries them (`YAML_FILENAME_EXTENSIONS`, after no extension). */
const VARS_EXTENSIONS = ['', '.yml', '.yaml', '.json'];

async function statOrUndefined(p: string) {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

/**
 * Finds the vars files of one entity in a `group_vars/` or `host_vars/` directory, as Ansible's
 * `DataLoader.find_vars_files`: the first of `name` (file or directory), `name.yml`,
 * `name.yaml`, `name.json` that exists; a directory gives all its files with no or a known
 * extension, recursively, sorted by name, skipping hidden files and `~` backups.
 */
export async function findVarsFiles(dir: string, name: string): Promise<string[]> {
  const base = join(dir, name);
  for (const ext of VARS_EXTENSIONS) {
    const full = base + ext;
    const st = await statOrUndefined(full);
    if (!st) continue;
    if (st.isDirectory()) return dirVarsFiles(full);
    return [full];
  }
  return [];
}

async function dirVarsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const names = (await readdir(dir)).sort(comparePython);
  for (const n of names) {
    if (n.startsWith('.') || n.endsWith('~')) continue;
    const ext = pythonExt(n);
    const full = join(dir, n);
    const st = await statOrUndefined(full);
    if (!st) continue;
    if (st.isDirectory() && !ext) out.push(...(await dirVarsFiles(full)));
    else if (st.isFile() && (!ext || VARS_EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/** Python's `os.path.splitext(name)[1]`: leading dots do not start an extension. */
function pythonExt(name: string): string {
  const stripped = name.replace(/^\.+/, '');
  return stripped.includes('.') ? extname(name) : '';
}

/** Orders strings by code point, as Python's `sorted` does. */
export function comparePython(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Reads one vars file (YAML or JSON, as Ansible's loader: JSON first): an empty file gives no
 * vars; anything else must be a mapping.
 *
 * A whole vault-encrypted file is decrypted with `vaultSecrets` and its string values become
 * `Secret`s; `!vault` tagged values are decrypted to `Secret`s when secrets are given (without
 * secrets they stay encrypted, as Ansible decrypts them only when used).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for invalid YAML or a document that is not a mapping;
 *   `CONVERGE_VARS` for vault text that no given secret decrypts.
 */
export async function readVarsFile(file: string, vaultSecrets: readonly VaultSecret[] = []): Promise<Record<string, unknown>> {
  return parseVarsText(await readFile(file, 'utf8'), file, vaultSecrets);
}

/**
 * {@link readVarsFile} on text already read: `file` names it in errors.
 *
 * @throws ConvergeError as {@link readVarsFile}.
 */
export function parseVarsText(source: string, file: string, vaultSecrets: readonly VaultSecret[] = []): Record<string, unknown> {
  let text = source;
  const encrypted = isVaultEncrypted(text);
  if (encrypted) {
    try {
      text = decryptVault(text, vaultSecrets, file).plaintext.toString('utf8');
    } catch (e) {
      if (!isConvergeError(e) || e.location) throw e;
      throw new ConvergeError(e.code, e.message, { cause: e, location: { file }, ...(e.hint ? { hint: e.hint } : {}) });
    }
  }
  const data = parseData(text, file);
  const v = data.value;
  if (v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) return {};
  if (!(v instanceof Map)) {
    throw inventoryError(`a vars file must hold a mapping of variables, got ${Array.isArray(v) ? 'a list' : `a ${typeof v}`}`, { file, line: 1, column: 1 });
  }
  const vars = toPlain(v) as Record<string, unknown>;
  if (encrypted) return secretLeaves(vars) as Record<string, unknown>;
  if (vaultSecrets.length > 0 && hasTaggedValues(vars)) return decryptTaggedValues(vars, vaultSecrets, file) as Record<string, unknown>;
  return vars;
}

async function varsFor(subdir: string | undefined, name: string, vaultSecrets: readonly VaultSecret[]): Promise<InventoryVarsFile | undefined> {
  if (subdir === undefined || name.startsWith(sep)) return undefined;
  const files = await findVarsFiles(subdir, name);
  if (files.length === 0) return undefined;
  let vars: Record<string, unknown> = {};
  for (const f of files) vars = { ...vars, ...(await readVarsFile(f, vaultSecrets)) };
  return { files, vars };
}

async function subdirOf(dir: string, name: string, warnings: string[]): Promise<string | undefined> {
  const p = join(dir, name);
  const st = await statOrUndefined(p);
  if (!st) return undefined;
  if (!st.isDirectory()) {
    warnings.push(`found ${name} that is not a directory, skipping: ${p}`);
    return undefined;
  }
  return realpath(p);
}

/**
 * Loads the `group_vars/` and `host_vars/` beside an inventory source for every group and host of
 * the inventory, as Ansible's `host_group_vars` vars plugin (ansible-core 2.14,
 * lib/ansible/plugins/vars/host_group_vars.py). Files for names not in the inventory are not read.
 * See https://docs.ansible.com/ansible/latest/inventory_guide/intro_inventory.html#organizing-host-and-group-variables
 *
 * @param dir The source directory, or the directory of a source file.
 * @param vaultSecrets Passwords for vault-encrypted files and `!vault` values.
 * @throws ConvergeError `CONVERGE_INVENTORY` for a vars file that is invalid or not a mapping;
 *   `CONVERGE_VARS` for vault text that no given secret decrypts.
 */
export async function loadVarsDir(inv: Inventory, dir: string, vaultSecrets: readonly VaultSecret[] = []): Promise<InventoryVarsDir> {
  const out: InventoryVarsDir = { dir, groups: new Map(), hosts: new Map() };
  const groupDir = await subdirOf(dir, 'group_vars', inv.warnings);
  const hostDir = await subdirOf(dir, 'host_vars', inv.warnings);
  for (const g of inv.groups.keys()) {
    const v = await varsFor(groupDir, g, vaultSecrets);
    if (v) out.groups.set(g, v);
  }
  for (const h of inv.hosts.keys()) {
    const v = await varsFor(hostDir, h, vaultSecrets);
    if (v) out.hosts.set(h, v);
  }
  return out;
}
