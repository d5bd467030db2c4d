/**
 * One host of an {@link Inventory}.
 *
 * `vars` are the variables set on the host by inventory sources (host lines, YAML host entries,
 * `host:port`), without group vars or `host_vars/` files; `groups` are the groups the host was put
 * in directly, never `all`.
 */
export interface InventoryHost {
  name: string;
  vars: Record<string, unknown>;
  /** Direct groups, in the order the host joined them; never `all`. */
  groups: string[];
}

/**
 * One group of an {@link Inventory}.
 *
 * `vars` are the group's inventory vars (`[g:vars]`, YAML `vars:`), without `group_vars/` files.
 * `ansible_group_priority` is not kept in `vars` but in `priority`, as Ansible's `Group.set_variable` does.
 */
export interface InventoryGroup {
  name: string;
  vars: Record<string, unknown>;
  /** Direct hosts, in inventory order. */
  hosts: string[];
  /** Direct child groups, in the order they were added. */
  children: string[];
  /** Direct parent groups. */
  parents: string[];
  /** `ansible_group_priority` (default 1); breaks ties between groups of the same depth. */
  priority: number;
}

/** The variables that one entity (host or group) gets from one `group_vars/` or `host_vars/` directory. */
export interface InventoryVarsFile {
  /** The files read, in the order they were merged. */
  files: string[];
  vars: Record<string, unknown>;
}

/**
 * The `group_vars/` and `host_vars/` found beside one inventory source (the source directory, or
 * the directory of a source file), as Ansible's `host_group_vars` vars plugin reads them.
 */
export interface InventoryVarsDir {
  dir: string;
  groups: Map<string, InventoryVarsFile>;
  hosts: Map<string, InventoryVarsFile>;
}

/**
 * A parsed inventory: hosts and groups (including `all` and `ungrouped`) in inventory order.
 *
 * Produced by {@link loadInventory}, {@link parseIniInventory} and {@link parseYamlInventory}.
 */
export interface Inventory {
  /** The first source, for messages. */
  source: string;
  /** Every source merged into this inventory, in order. */
  sources: string[];
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  /** `group_vars/` and `host_vars/` per source, in source order; absent for text parsed directly. */
  varsFiles?: InventoryVarsDir[];
  /** Things Ansible would only warn about (for example a YAML group that is not a mapping). */
  warnings: string[];
}

/** Variables of a host or group in a TypeScript inventory. */
export type InventoryVars = Record<string, unknown>;

/** One group of a TypeScript inventory (see {@link defineInventory}). */
export interface InventoryGroupDefinition {
  /** Hosts of the group: names, or names mapped to their vars. Names may use ranges (`web[01:03]`). */
  hosts?: Record<string, InventoryVars | null> | string[];
  vars?: InventoryVars;
  /** Names of child groups; each must be a key of `groups`. */
  children?: string[];
}

/** The input of {@link defineInventory}. */
export interface InventoryDefinitionInput {
  groups?: Record<string, InventoryGroupDefinition>;
  /** Hosts in no particular group (they end up in `ungrouped`). */
  hosts?: Record<string, InventoryVars | null>;
  /** Vars of the `all` group. */
  vars?: InventoryVars;
}

/** A typed TypeScript inventory, as returned by {@link defineInventory}. */
export interface InventoryDefinition extends InventoryDefinitionInput {
  readonly kind: 'converge.inventory';
}
