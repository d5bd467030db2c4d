import { shlexSplit } from '@converge/core';
import { expandIniHostPattern } from './address.js';
import { inventoryError, InventoryRuleError } from './inventory-error.js';
import { addChild, addGroup, addHost, createInventory, reconcile, setVariable } from './model.js';
import { pythonLiteral } from './python-literal.js';
import type { Inventory } from './types.js';

// `[group]`, `[group:type]`, then spaces and an optional `#` comment (ini.py `_compile_patterns`).
const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;

/**
 * Parses an Ansible INI inventory into a new {@link Inventory} (hosts, groups, inventory vars;
 * no `group_vars/`), with Ansible's post-parse rules applied (`all`, `ungrouped`).
 *
 * Mirrors the `ini` inventory plugin of ansible-core 2.14 (lib/ansible/plugins/inventory/ini.py):
 * lines before any section are hosts of `ungrouped`; `[g]` holds host lines, `[g:vars]` one
 * `key=value` per line, `[g:children]` group names (which may be declared later); `#` and `;`
 * start comment lines. A host line is split like a shell line; its first word is a host, host
 * range (`web[01:03]`, `[1:3].db.example.test`) or `host:port`, the rest `key=value` pairs. Values
 * on host lines and in `[g:vars]` go through Python's `ast.literal_eval` (`1` is a number, `True` a
 * boolean, `'x'` a string, anything else the raw text). Note that in `[g:vars]` the whole rest of
 * the line is the value, so `a=foo # note` is the string `foo # note` while `a=1 # note` is `1`.
 * See https://docs.ansible.com/ansible/latest/collections/ansible/builtin/ini_inventory.html
 *
 * @param text The file contents.
 * @param file The file name, used in `source` and error locations.
 * @throws ConvergeError `CONVERGE_INVENTORY` with `location` for an unknown section type, an
 *   invalid section line, a bad host range or quoting, a missing `=`, a `[g:children]` naming an
 *   undefined group, itself or forming a loop, and `[g:vars]` of a group defined nowhere.
 * @example parseIniInventory('[web]\nweb[01:02] http_port=80\n', 'hosts').groups.get('web')?.hosts // ['web01', 'web02']
 */
export function parseIniInventory(text: string, file: string): Inventory {
  const inv = createInventory(file);
  parseIniInto(inv, text, file);
  reconcile(inv);
  return inv;
}

interface Pending {
  line: number;
  column: number;
  state: 'vars' | 'children';
  parents: string[];
}

/** Parses INI inventory text into an existing inventory, without reconciling it. */
export function parseIniInto(inv: Inventory, text: string, file: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state = 'hosts';
  let lineNo = 0;
  let column = 1;
  const fail = (message: string, col = column): never => {
    throw inventoryError(message, { file, line: lineNo, column: col });
  };
  const rule = <T>(fn: () => T, col = column): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InventoryRuleError) throw inventoryError(e.message, { file, line: lineNo, column: col }, { cause: e });
      throw e;
    }
  };

  for (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    column = raw.length - raw.trimStart().length + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const m = SECTION.exec(line);
    if (m) {
      group = m[1] as string;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        fail(`section [${group}:${state}] has unknown type "${state}"; use [${group}], [${group}:vars] or [${group}:children]`);
      }
      if (!inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineNo, column, state: 'vars', parents: [] });
        rule(() => addGroup(inv, group));
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(inv, group, pending, rule);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(`invalid section entry "${line}": a section is [name] or [name:type] with no spaces or other invalid characters in it`);
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line, { comments: true });
      } catch (e) {
        return fail(`cannot parse host line "${line}": ${(e as Error).message}`);
      }
      const first = tokens[0];
      if (first === undefined) continue;
      const { hosts, port } = rule(() => expandIniHostPattern(first));
      const vars: Record<string, unknown> = {};
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) fail(`expected key=value host variable assignment, got "${t}"`, column + Math.max(0, raw.trimStart().indexOf(t)));
        vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
      }
      for (const h of hosts) {
        rule(() => {
          addHost(inv, h, group, port);
          for (const [k, v] of Object.entries(vars)) setVariable(inv, h, k, v);
        });
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected key=value in [${group}:vars], got "${line}"`);
      const key = line.slice(0, eq).trim();
      const value = iniValue(line.slice(eq + 1).trim());
      rule(() => setVariable(inv, group, key, value));
    } else {
      const gm = GROUP_NAME.exec(line);
      if (!gm) fail(`expected a group name in [${group}:children], got "${line}"`);
      const child = (gm as RegExpExecArray)[1] as string;
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: lineNo, column, state: 'children', parents: [group] });
      } else {
        rule(() => addChild(inv, group, child));
      }
    }
  }

  for (const [name, p] of pending) {
    if (p.state === 'vars') {
      throw inventoryError(`section [${name}:vars] is not valid for undefined group "${name}"; declare it with [${name}] or [${name}:children]`, { file, line: p.line, column: p.column });
    }
    throw inventoryError(`section [${p.parents[p.parents.length - 1] ?? ''}:children] includes undefined group "${name}"`, { file, line: p.line, column: p.column }, { hint: `add a [${name}] section, even an empty one` });
  }
}

function addPendingChildren(inv: Inventory, group: string, pending: Map<string, Pending>, rule: <T>(fn: () => T) => T): void {
  const p = pending.get(group);
  if (!p) return;
  for (const parent of p.parents) {
    rule(() => addChild(inv, parent, group));
    if (pending.get(parent)?.state === 'children') addPendingChildren(inv, parent, pending, rule);
  }
  pending.delete(group);
}

/**
 * The value of an INI `key=value` as Ansible's INI plugin reads it (`_parse_value`): a Python
 * literal when `ast.literal_eval` accepts it, otherwise the text itself.
 */
export function iniValue(text: string): unknown {
  const r = pythonLiteral(text);
  return r === undefined ? text : r.value;
}
