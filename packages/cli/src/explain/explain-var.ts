import { taskVars, type MagicVars } from '@converge/engine';
import { transitiveGroups } from '@converge/inventory';
import type { Inventory } from '@converge/inventory';
import { RESERVED_VARS, sortGroups } from '@converge/inventory';
import { ConvergeError, isConvergeError } from '@converge/core';
import { isTemplated, renderString } from '@converge/template';

/** The layers a variable can come from, lowest precedence first (see {@link taskVars}). */
export type VarSourceKind =
  | 'role-defaults'
  | 'inventory-group'
  | 'group-vars-file'
  | 'inventory-host'
  | 'host-vars-file'
  | 'play-vars'
  | 'role-vars'
  | 'role-params'
  | 'extra-vars'
  | 'magic';

/** One place that defines the variable. */
export interface VarSource {
  kind: VarSourceKind;
  /** What a person reads: `inventory group "web"`, `group_vars file`, `extra vars (-e)`. */
  label: string;
  /** The group, for group layers. */
  group?: string;
  /** The files the value was read from (vars files; inventory sources for inventory layers). */
  files?: string[];
  value: unknown;
  /** True for the one source whose value the host sees. */
  winner: boolean;
}

/** What {@link explainVar} found. */
export interface VarExplanation {
  host: string;
  name: string;
  /** True when some source defines the variable. */
  defined: boolean;
  /** The value the host sees (the winner's value); undefined when not defined. */
  value: unknown;
  /**
   * For a value that is a template string (`"{{ base }}/app"`): the value rendered with the host's
   * vars, as a task would see it (Ansible renders it the same way, when used); or the error.
   */
  rendered?: { ok: true; value: string } | { ok: false; error: string };
  /** Every source that defines the variable, lowest precedence first; the last one wins. */
  sources: VarSource[];
}

/** Input of {@link explainVar}: the inventory and host, and the layers above the inventory. */
export interface ExplainInput {
  inventory: Inventory;
  host: string;
  name: string;
  roleDefaults?: Record<string, unknown>;
  playVars?: Record<string, unknown>;
  /** Names the play in labels (`play vars (web servers)`). */
  playName?: string;
  roleVars?: Record<string, unknown>;
  roleParams?: Record<string, unknown>;
  extraVars?: Record<string, unknown>;
  /** Run-wide inputs of the magic vars; defaults describe a run of the current directory. */
  magic?: Partial<MagicVars>;
}

const has = (o: Record<string, unknown> | undefined, k: string): o is Record<string, unknown> => o !== undefined && Object.prototype.hasOwnProperty.call(o, k);

/**
 * Lists every source that defines variable `name` for `host`, in precedence order (lowest first),
 * and marks the one that wins: role defaults; inventory group vars (`all`, then groups by depth,
 * `ansible_group_priority` and name); `group_vars/` files (`all` first, then the same group order,
 * source by source); inventory host vars; `host_vars/` files; play vars; role vars; role params;
 * extra vars; magic vars. This is the order of {@link taskVars} and of Ansible's
 * `VariableManager.get_vars` for those layers, and the winner's value is what {@link taskVars} gives.
 * Names Ansible reserves ({@link RESERVED_VARS}) are never taken from the inventory.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` when the host is not in the inventory.
 * @example explainVar({ inventory, host: 'web1', name: 'http_port', extraVars }).sources
 */
export function explainVar(input: ExplainInput): VarExplanation {
  const { inventory: inv, host, name } = input;
  const h = inv.hosts.get(host);
  if (!h) throw new ConvergeError('CONVERGE_INVENTORY', `host "${host}" is not in the inventory ${inv.source}`, { hint: 'check the name, or run `converge inventory --list`' });
  const sources: Omit<VarSource, 'winner'>[] = [];
  const push = (s: Omit<VarSource, 'winner'>) => sources.push(s);

  if (has(input.roleDefaults, name)) push({ kind: 'role-defaults', label: 'role defaults', value: input.roleDefaults[name] });
  if (!RESERVED_VARS.has(name)) {
    const groups = sortGroups(inv, [...transitiveGroups(inv, h)].filter((g) => g !== 'all'));
    for (const g of ['all', ...groups]) {
      const vars = inv.groups.get(g)?.vars;
      if (has(vars, name)) push({ kind: 'inventory-group', label: `inventory group "${g}"`, group: g, files: inv.sources, value: vars[name] });
    }
    const dirs = inv.varsFiles ?? [];
    for (const g of ['all', ...groups]) {
      for (const d of dirs) {
        const f = d.groups.get(g);
        if (has(f?.vars, name)) push({ kind: 'group-vars-file', label: `group_vars of "${g}"`, group: g, files: f.files, value: f.vars[name] });
      }
    }
    if (has(h.vars, name)) push({ kind: 'inventory-host', label: `inventory host "${host}"`, files: inv.sources, value: h.vars[name] });
    for (const d of dirs) {
      const f = d.hosts.get(host);
      if (has(f?.vars, name)) push({ kind: 'host-vars-file', label: `host_vars of "${host}"`, files: f.files, value: f.vars[name] });
    }
  }
  if (has(input.playVars, name)) push({ kind: 'play-vars', label: input.playName ? `play vars (${input.playName})` : 'play vars', value: input.playVars[name] });
  if (has(input.roleVars, name)) push({ kind: 'role-vars', label: 'role vars', value: input.roleVars[name] });
  if (has(input.roleParams, name)) push({ kind: 'role-params', label: 'role params', value: input.roleParams[name] });
  if (has(input.extraVars, name)) push({ kind: 'extra-vars', label: 'extra vars (-e)', value: input.extraVars[name] });

  const all = taskVars({
    inventory: inv,
    host,
    ...(input.roleDefaults ? { roleDefaults: input.roleDefaults } : {}),
    ...(input.playVars ? { playVars: input.playVars } : {}),
    ...(input.roleVars ? { roleVars: input.roleVars } : {}),
    ...(input.roleParams ? { roleParams: input.roleParams } : {}),
    ...(input.extraVars ? { extraVars: input.extraVars } : {}),
    magic: { playbookDir: process.cwd(), check: false, diff: false, playHosts: [], ...input.magic },
  });
  const defined = has(all, name);
  const last = sources[sources.length - 1];
  if (defined && (last === undefined || last.value !== all[name])) push({ kind: 'magic', label: 'magic var (set by converge)', value: all[name] });
  const value = defined ? all[name] : undefined;
  let rendered: VarExplanation['rendered'];
  if (typeof value === 'string' && isTemplated(value)) {
    try {
      rendered = { ok: true, value: renderString(value, all, { file: `variable ${name}` }) };
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      rendered = { ok: false, error: e.message };
    }
  }
  return {
    host,
    name,
    defined,
    value,
    ...(rendered ? { rendered } : {}),
    sources: sources.map((s, i) => ({ ...s, winner: defined && i === sources.length - 1 })),
  };
}
