import type { InventoryDocument as ListDocument } from '@converge/inventory';

/**
 * An inventory document ({@link ListDocument}, the `--list` JSON of an inventory script) as the
 * sources of this package make it: `_meta.hostvars` always present, groups as
 * {@link InventoryDocumentGroup}.
 */
export type InventoryDocument = ListDocument & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

export type { InventoryDocumentGroup } from '@converge/inventory';
import type { InventoryDocumentGroup } from '@converge/inventory';

/**
 * A group name made of what Ansible accepts without warning: letters, digits and `_`; any other
 * character becomes `_`, and the whole is lower-cased (`fr-par-1` -> `fr_par_1`).
 */
export function safeGroupName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** Builds an {@link InventoryDocument}: hosts with their vars, groups in first-seen order. */
export class DocumentBuilder {
  readonly #groups = new Map<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>();
  readonly #hostvars: Record<string, Record<string, unknown>> = {};
  readonly #owner = new Map<string, string>();

  /** Whether a host of this name was added. */
  has(name: string): boolean {
    return Object.hasOwn(this.#hostvars, name);
  }

  /** The id that first claimed a host name (for duplicate-name errors). */
  ownerOf(name: string): string | undefined {
    return this.#owner.get(name);
  }

  /** Adds a host with its vars; `id` is the provider's id, kept for duplicate-name errors. */
  host(name: string, vars: Record<string, unknown>, id: string): void {
    this.#hostvars[name] = vars;
    this.#owner.set(name, id);
  }

  /** Puts a host in a group, creating the group; a group name is used as it is given. */
  member(group: string, host: string): void {
    const g = this.#group(group);
    if (!g.hosts.includes(host)) g.hosts.push(host);
  }

  /** Makes `child` a child group of `parent`, creating both. */
  child(parent: string, child: string): void {
    this.#group(child);
    const g = this.#group(parent);
    if (!g.children.includes(child)) g.children.push(child);
  }

  #group(name: string) {
    let g = this.#groups.get(name);
    if (!g) this.#groups.set(name, (g = { hosts: [], children: [], vars: {} }));
    return g;
  }

  /** The document; empty lists and vars are left out. */
  build(): InventoryDocument {
    const out: Record<string, unknown> = {};
    for (const [name, g] of this.#groups) {
      const entry: InventoryDocumentGroup = {};
      if (g.hosts.length > 0) entry.hosts = [...g.hosts];
      if (g.children.length > 0) entry.children = [...g.children];
      if (Object.keys(g.vars).length > 0) entry.vars = { ...g.vars };
      out[name] = entry;
    }
    return { ...out, _meta: { hostvars: { ...this.#hostvars } } } as InventoryDocument;
  }
}
