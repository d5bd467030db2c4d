import { hostVars } from './vars.js';
import type { Inventory } from './types.js';

/** The `ansible-inventory --list` document: groups by name, plus `_meta.hostvars`. */
export interface AnsibleListDocument {
  [group: string]: { hosts?: string[]; children?: string[] } | { hostvars: Record<string, Record<string, unknown>> } | undefined;
  _meta: { hostvars: Record<string, Record<string, unknown>> };
}

/**
 * The JSON document `ansible-inventory -i INV --list` prints for this inventory (ansible-core
 * 2.14, `InventoryCLI.json_inventory` without `--export`), key order aside.
 *
 * Every group reachable from `all` appears with its direct `hosts` (not for `all`) and `children`,
 * empty lists left out and groups with neither left out (they stay listed as children, as
 * `ungrouped` often does); `_meta.hostvars` maps each host with vars to {@link hostVars}.
 * Group vars are not printed (Ansible prints them only with `--export`).
 * See https://docs.ansible.com/ansible/latest/cli/ansible-inventory.html
 */
export function toAnsibleList(inv: Inventory): AnsibleListDocument {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (name: string): void => {
    const g = inv.groups.get(name);
    if (!g) return;
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    if (g.children.length > 0) entry.children = [...g.children];
    if (entry.hosts || entry.children) out[name] = entry;
    for (const c of g.children) {
      if (seen.has(c)) continue;
      format(c);
      seen.add(c);
    }
  };
  format('all');
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const h of inv.hosts.keys()) {
    const v = hostVars(inv, h);
    if (Object.keys(v).length > 0) hostvars[h] = v;
  }
  return { ...out, _meta: { hostvars } } as AnsibleListDocument;
}

/**
 * The tree `ansible-inventory -i INV --graph [GROUP]` prints (ansible-core 2.14,
 * `InventoryCLI._graph_group`): `@group:` lines with child groups, then direct hosts (not for
 * `all`), each level indented by `  |` and `--`, in inventory order; no trailing newline.
 */
export function toAnsibleGraph(inv: Inventory, group = 'all'): string {
  const lines: string[] = [];
  const name = (text: string, depth: number) => (depth > 0 ? `${'  |'.repeat(depth)}--${text}` : text);
  const walk = (g: string, depth: number): void => {
    const grp = inv.groups.get(g);
    if (!grp) return;
    lines.push(name(`@${g}:`, depth));
    for (const c of grp.children) walk(c, depth + 1);
    if (g !== 'all') for (const h of grp.hosts) lines.push(name(h, depth + 1));
  };
  walk(group, 0);
  return lines.join('\n');
}
