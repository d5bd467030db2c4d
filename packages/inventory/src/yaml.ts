import { expandHostPattern } from './address.js';
import { inventoryError, InventoryRuleError } from './inventory-error.js';
import { addChild, addGroup, addHost, createInventory, reconcile, setVariable } from './model.js';
import { parseData, toPlain, type ParsedData } from './pyyaml.js';
import type { Inventory } from './types.js';
import type { SourceLocation } from '@converge/core';

/**
 * Parses an Ansible YAML (or JSON) inventory into a new {@link Inventory}, with Ansible's
 * post-parse rules applied (`all`, `ungrouped`).
 *
 * Mirrors the `yaml` inventory plugin of ansible-core 2.14 (lib/ansible/plugins/inventory/yaml.py):
 * top-level keys are groups (usually just `all`); a group has `hosts` (host name, range such as
 * `web[01:03]`, or `host:port`, mapped to vars or null), `vars` and `children` (groups, nested to
 * any depth); a string in place of one of these mappings is one key with a null value. Scalars
 * are typed as PyYAML (YAML 1.1) types them: `yes`/`off` booleans, `0644` octal 420, `1.5`
 * float, `2024-01-15` a date (kept as ISO text). Keys other than `hosts`, `vars` and `children` and
 * groups that are not mappings are skipped with a warning, as Ansible does.
 * See https://docs.ansible.com/ansible/latest/collections/ansible/builtin/yaml_inventory.html
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` with `location` for invalid YAML, a duplicate key,
 *   a document that is empty or not a mapping, a plugin configuration file, a `hosts`/`vars`/
 *   `children` that is not a mapping, host vars that are not a mapping, a host or group name that
 *   is not a string, a bad host range, and a group that contains itself.
 */
export function parseYamlInventory(text: string, file: string): Inventory {
  const inv = createInventory(file);
  parseYamlInto(inv, text, file);
  reconcile(inv);
  return inv;
}

/** Parses YAML inventory text into an existing inventory, without reconciling it. */
export function parseYamlInto(inv: Inventory, text: string, file: string): void {
  const data = parseData(text, file);
  walkYamlInventory(inv, data, file);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (v instanceof Map && v.size === 0);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Map) return 'mapping';
  if (Array.isArray(v) || v instanceof Set) return 'list';
  return typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'value';
}

/** Walks parsed YAML inventory data (mappings as `Map`) into an inventory. */
export function walkYamlInventory(inv: Inventory, data: ParsedData, file: string): void {
  const root = data.value;
  const at = (path: unknown[]): SourceLocation => data.locate(path);
  if (isEmpty(root)) throw inventoryError('the YAML inventory is empty', { file, line: 1, column: 1 });
  if (!(root instanceof Map)) {
    throw inventoryError(`a YAML inventory must be a mapping of groups (usually "all:"), got a ${typeName(root)}`, at([]));
  }
  if (root.get('plugin')) {
    throw inventoryError('this is an inventory plugin configuration file, not a YAML inventory; converge reads only static inventories', at(['plugin']));
  }
  const rule = <T>(path: unknown[], fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InventoryRuleError) throw inventoryError(e.message, at(path), { cause: e });
      throw e;
    }
  };

  const parseGroup = (name: unknown, body: unknown, path: unknown[]): string => {
    if (typeof name !== 'string') {
      throw inventoryError(`group name ${JSON.stringify(name) ?? String(name)} must be a string; quote it`, at(path));
    }
    if (!(body instanceof Map) && body !== null && body !== undefined) {
      inv.warnings.push(`${formatAt(at(path))}: skipping "${name}" as it is not a valid group definition (a ${typeName(body)}, not a mapping)`);
      return name;
    }
    rule(path, () => addGroup(inv, name));
    if (!(body instanceof Map)) return name;
    for (const section of ['vars', 'children', 'hosts']) {
      const v = body.get(section);
      if (typeof v === 'string') body.set(section, new Map([[v, null]]));
      else if (body.has(section) && !(v instanceof Map) && v !== null && v !== undefined) {
        throw inventoryError(`invalid "${section}" entry for group "${name}": it must be a mapping, found a ${typeName(v)}`, at([...path, section]));
      }
    }
    for (const [key, value] of body) {
      if (!(value instanceof Map)) {
        if (value !== null && value !== undefined) inv.warnings.push(`${formatAt(at([...path, key]))}: skipping key "${String(key)}" in group "${name}" as it is not a mapping`);
        continue;
      }
      if (key === 'vars') {
        for (const [k, val] of value) rule([...path, key, k], () => setVariable(inv, name, plainKey(k), toPlain(val)));
      } else if (key === 'children') {
        for (const [sub, subBody] of value) {
          const child = parseGroup(sub, subBody, [...path, key, sub]);
          rule([...path, key, sub], () => addChild(inv, name, child));
        }
      } else if (key === 'hosts') {
        for (const [pattern, hostVars] of value) {
          const hpath = [...path, key, pattern];
          if (typeof pattern !== 'string') {
            throw inventoryError(`host pattern ${JSON.stringify(pattern) ?? String(pattern)} must be a string; enclose numbers in quotation marks`, at(hpath));
          }
          const vars = isEmpty(hostVars) ? new Map() : hostVars;
          if (!(vars instanceof Map)) {
            throw inventoryError(`the vars of host "${pattern}" must be a mapping, got a ${typeName(vars)}`, at(hpath));
          }
          const { hosts, port } = rule(hpath, () => expandHostPattern(pattern));
          for (const h of hosts) {
            rule(hpath, () => {
              addHost(inv, h, name, port);
              for (const [k, val] of vars) setVariable(inv, h, plainKey(k), toPlain(val));
            });
          }
        }
      } else {
        inv.warnings.push(`${formatAt(at([...path, key]))}: skipping unexpected key "${String(key)}" in group "${name}"; only "vars", "children" and "hosts" are valid`);
      }
    }
    return name;
  };

  for (const [name, body] of root) parseGroup(name, body, [name]);
}

function plainKey(k: unknown): string {
  const o = toPlain(new Map([[k, null]])) as Record<string, unknown>;
  return Object.keys(o)[0] ?? '';
}

function formatAt(loc: SourceLocation): string {
  return `${loc.file}:${loc.line ?? 1}:${loc.column ?? 1}`;
}
