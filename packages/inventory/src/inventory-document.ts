import { inventoryError, InventoryRuleError } from './inventory-error.js';
import { addChild, addGroup, addHost, setVariable } from './model.js';
import type { Inventory } from './types.js';

/**
 * The JSON document of a dynamic inventory, as an Ansible inventory script prints it for
 * `--list`: groups by name (each `{ hosts, vars, children }`, a list of hosts, or a mapping of
 * vars) and `_meta.hostvars`.
 * Source: Ansible docs, "Developing dynamic inventory" (inventory script conventions).
 */
export interface InventoryDocument {
  [group: string]: InventoryDocumentGroup | unknown;
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
}

/** One group of an {@link InventoryDocument}. */
export interface InventoryDocumentGroup {
  hosts?: string[];
  vars?: Record<string, unknown>;
  children?: string[];
}

/**
 * Merges an inventory document into an inventory (without reconciling it) with the rules of
 * Ansible's `script` inventory plugin (ansible-core 2.14, lib/ansible/plugins/inventory/script.py
 * `parse` and `_parse_group`): groups in document order; a group that is a list is its hosts; a
 * mapping without `hosts`, `vars` or `children` is one host named like the group with those
 * vars; children are created when first named; then each host of the groups gets its
 * `_meta.hostvars` entry.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` (location: the source) for hosts or vars of the wrong
 *   type, and a group that would contain itself.
 */
export function applyInventoryDocument(inv: Inventory, doc: InventoryDocument, file: string): void {
  const fail = (message: string): never => {
    throw inventoryError(message, { file });
  };
  const rule = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InventoryRuleError) throw inventoryError(e.message, { file }, { cause: e });
      throw e;
    }
  };
  const hosts: string[] = [];
  const seen = new Set<string>();
  let hostvars: Record<string, unknown> | undefined;
  for (const [group, raw] of Object.entries(doc)) {
    if (group === '_meta') {
      if (raw && typeof raw === 'object' && 'hostvars' in raw) hostvars = (raw as { hostvars: Record<string, unknown> }).hostvars;
      continue;
    }
    rule(() => addGroup(inv, group));
    let data = raw;
    if (!data || typeof data !== 'object' || Array.isArray(data)) data = { hosts: data };
    else if (!('hosts' in data) && !('vars' in data) && !('children' in data)) data = { hosts: [group], vars: data };
    const d = data as Record<string, unknown>;
    if ('hosts' in d) {
      if (!Array.isArray(d['hosts'])) fail(`group "${group}" has bad data for the host list: ${JSON.stringify(d['hosts'])}`);
      for (const h of d['hosts'] as unknown[]) {
        const name = String(h);
        if (!seen.has(name)) {
          seen.add(name);
          hosts.push(name);
        }
        rule(() => addHost(inv, name, group));
      }
    }
    if ('vars' in d) {
      const vars = d['vars'];
      if (!vars || typeof vars !== 'object' || Array.isArray(vars)) fail(`group "${group}" has bad data for its variables: ${JSON.stringify(vars)}`);
      for (const [k, v] of Object.entries(vars as Record<string, unknown>)) rule(() => setVariable(inv, group, k, v));
    }
    if ('children' in d) {
      for (const child of (d['children'] as unknown[] | null) ?? []) {
        const c = String(child);
        rule(() => {
          addGroup(inv, c);
          addChild(inv, group, c);
        });
      }
    }
  }
  if (hostvars !== undefined && (typeof hostvars !== 'object' || hostvars === null || Array.isArray(hostvars))) fail('_meta.hostvars must map host names to vars');
  for (const host of hosts) {
    const vars = hostvars?.[host] ?? {};
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) fail(`the vars of host "${host}" must be a mapping`);
    rule(() => {
      addHost(inv, host);
      for (const [k, v] of Object.entries(vars as Record<string, unknown>)) setVariable(inv, host, k, v);
    });
  }
}
