import type { Inventory, InventoryGroup, InventoryHost } from './types.js';
import { InventoryRuleError } from './inventory-error.js';

/*
 * The inventory data model with the rules of Ansible's `InventoryData`, `Group` and `Host`
 * (ansible-core 2.14, lib/ansible/inventory/{data,group,host}.py). Parsers call these functions in
 * the same order as Ansible's plugins call their counterparts, so order-sensitive results
 * (children lists, `ungrouped`) come out the same.
 */

/** A new inventory holding only `all` and its child `ungrouped`, as `InventoryData()` starts. */
export function createInventory(source: string): Inventory {
  const inv: Inventory = { source, sources: [source], hosts: new Map(), groups: new Map(), warnings: [] };
  addGroup(inv, 'all');
  addGroup(inv, 'ungrouped');
  addChild(inv, 'all', 'ungrouped');
  return inv;
}

/** Adds a group if it is not there yet (`InventoryData.add_group`). */
export function addGroup(inv: Inventory, name: string): InventoryGroup {
  if (name === '') throw new InventoryRuleError('a group name is empty');
  let group = inv.groups.get(name);
  if (!group) {
    group = { name, vars: {}, hosts: [], children: [], parents: [], priority: 1 };
    inv.groups.set(name, group);
  }
  return group;
}

/**
 * Adds a host if it is not there yet, and puts it in `group` (`InventoryData.add_host`). A port
 * sets `ansible_port` only when the host is new, as Ansible's `Host(name, port)` does.
 */
export function addHost(inv: Inventory, name: string, group?: string, port?: number): InventoryHost {
  if (name === '') throw new InventoryRuleError('a host name is empty');
  let g: InventoryGroup | undefined;
  if (group !== undefined) {
    g = inv.groups.get(group);
    if (!g) throw new InventoryRuleError(`group "${group}" is not in the inventory`);
  }
  let host = inv.hosts.get(name);
  if (!host) {
    host = { name, vars: {}, groups: [] };
    if (port) host.vars['ansible_port'] = port;
    inv.hosts.set(name, host);
  }
  if (g) addHostToGroup(g, host);
  return host;
}

function addHostToGroup(group: InventoryGroup, host: InventoryHost): void {
  if (group.hosts.includes(host.name)) return;
  group.hosts.push(host.name);
  if (group.name !== 'all' && !host.groups.includes(group.name)) host.groups.push(group.name);
}

/**
 * Sets a variable on a group or host (`InventoryData.set_variable`): groups are looked up first, as
 * in Ansible, and `ansible_group_priority` on a group sets its priority instead of a var.
 *
 * @throws InventoryRuleError when the entity is unknown or a priority is not an integer.
 */
export function setVariable(inv: Inventory, entity: string, key: string, value: unknown): void {
  const group = inv.groups.get(entity);
  if (group) {
    if (key === 'ansible_group_priority') {
      group.priority = toPythonInt(value, `ansible_group_priority of group "${entity}"`);
      return;
    }
    defineVar(group.vars, key, value);
    return;
  }
  const host = inv.hosts.get(entity);
  if (!host) throw new InventoryRuleError(`"${entity}" is neither a group nor a host`);
  defineVar(host.vars, key, value);
}

/** Sets a var as an own property, so that a var named `__proto__` stays a var. */
function defineVar(vars: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(vars, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Python's `int(value)` for the values an inventory can hold. */
function toPythonInt(value: unknown, what: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[-+]?(?:\d(?:_?\d)*)\s*$/.test(value)) return Number.parseInt(value.replace(/_/g, ''), 10);
  throw new InventoryRuleError(`${what} must be an integer, got ${JSON.stringify(value) ?? String(value)}`);
}

/** All ancestors of a group (transitively), not including itself. */
export function ancestorsOf(inv: Inventory, name: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(inv.groups.get(name)?.parents ?? [])];
  while (todo.length > 0) {
    const g = todo.pop() as string;
    if (seen.has(g)) continue;
    seen.add(g);
    todo.push(...(inv.groups.get(g)?.parents ?? []));
  }
  return seen;
}

/**
 * Adds a group or host as a child of a group (`InventoryData.add_child`, `Group.add_child_group`).
 *
 * @throws InventoryRuleError when a group would contain itself, directly or through a loop.
 */
export function addChild(inv: Inventory, parent: string, child: string): void {
  const p = inv.groups.get(parent);
  if (!p) throw new InventoryRuleError(`"${parent}" is not a known group`);
  const c = inv.groups.get(child);
  if (c) {
    if (c === p) throw new InventoryRuleError(`group "${parent}" cannot be a child of itself`);
    if (p.children.includes(child)) return;
    if (ancestorsOf(inv, parent).has(child)) {
      throw new InventoryRuleError(`adding group "${child}" as a child of "${parent}" creates a loop (${child} is already an ancestor of ${parent})`);
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    return;
  }
  const h = inv.hosts.get(child);
  if (!h) throw new InventoryRuleError(`"${child}" is not a known host nor group`);
  addHostToGroup(p, h);
}

/**
 * Applies Ansible's post-parse rules (`InventoryData.reconcile_inventory`): every group without a
 * parent becomes a child of `all`; a host in no group joins `ungrouped`; a host in `ungrouped` and
 * in another group leaves `ungrouped`.
 */
export function reconcile(inv: Inventory): void {
  for (const g of inv.groups.values()) {
    if (g.name !== 'all' && g.parents.length === 0) addChild(inv, 'all', g.name);
  }
  const ungrouped = inv.groups.get('ungrouped') as InventoryGroup;
  for (const host of inv.hosts.values()) {
    const mine = transitiveGroups(inv, host);
    if (mine.has('ungrouped')) {
      if ([...mine].some((g) => g !== 'all' && g !== 'ungrouped') && ungrouped.hosts.includes(host.name)) {
        ungrouped.hosts.splice(ungrouped.hosts.indexOf(host.name), 1);
        host.groups = host.groups.filter((g) => g !== 'ungrouped');
      }
    } else if ([...mine].every((g) => g === 'all')) {
      addHostToGroup(ungrouped, host);
    }
  }
}

/** The groups a host is in, directly or through children, including `all` when it is reachable. */
export function transitiveGroups(inv: Inventory, host: InventoryHost): Set<string> {
  const out = new Set<string>();
  const direct = [...host.groups];
  if (inv.groups.get('all')?.hosts.includes(host.name)) direct.push('all');
  for (const g of direct) {
    out.add(g);
    for (const a of ancestorsOf(inv, g)) out.add(a);
  }
  return out;
}

/**
 * The depth of every group: the longest path from `all` (which has depth 0), as Ansible's
 * `Group.depth` ends up after all links are made.
 */
export function groupDepths(inv: Inventory): Map<string, number> {
  const depth = new Map<string, number>();
  const visit = (name: string, stack: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const g = inv.groups.get(name);
    if (!g || stack.has(name)) return 0;
    stack.add(name);
    let d = 0;
    for (const p of g.parents) d = Math.max(d, visit(p, stack) + 1);
    stack.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of inv.groups.keys()) visit(name, new Set());
  return depth;
}
