import { readFileSync } from 'node:fs';
import { parseAddress } from './address.js';
import type { Inventory } from './types.js';
import { ConvergeError } from '@converge/core';

// `name[3]`, `name[-1]`, `name[1:3]`, `name[1:]` (and the removed `name[1-3]`), from lib/ansible/inventory/manager.py.
const WITH_SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;
// The ':'-separated form: words or bracketed expressions (`split_host_pattern`).
const COLON_PART = /(?:[^\s:[\]]|\[[^\]]*\])+/g;

function optionsError(message: string, hint?: string): ConvergeError {
  return new ConvergeError('CONVERGE_OPTIONS', message, hint === undefined ? {} : { hint });
}

/**
 * Splits a host pattern into its parts as Ansible's `split_host_pattern`: on commas if there is
 * one; otherwise a whole host address (`host:22`, `web[1:3]`, `::1`) is one part; otherwise on
 * colons, keeping `[...]` together. Parts are trimmed; empty ones dropped.
 */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = pattern.match(COLON_PART) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Python's `fnmatch.translate` as a JS regular expression (whole-name match). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        re += '\\[';
      } else {
        let body = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function matcher(expr: string): (name: string) => boolean {
  try {
    if (expr.startsWith('~')) {
      // Python's re.match: anchored at the start only. Named groups are spelled (?P<n>...) in Python.
      const re = new RegExp(`^(?:${expr.slice(1).replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>')})`, 'u');
      return (n) => re.test(n);
    }
    const re = globToRegExp(expr);
    return (n) => re.test(n);
  } catch (e) {
    throw new ConvergeError('CONVERGE_OPTIONS', `invalid host pattern "${expr}": ${(e as Error).message}`, { cause: e });
  }
}

/** Hosts of a group and its descendants, level by level (Ansible's `Group.get_hosts`). */
function groupHosts(inv: Inventory, name: string): string[] {
  const order: string[] = [name];
  const seen = new Set(order);
  let level = [name];
  while (level.length > 0) {
    const next: string[] = [];
    for (const g of level) {
      for (const c of inv.groups.get(g)?.children ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        order.push(c);
        next.push(c);
      }
    }
    level = next;
  }
  const hosts: string[] = [];
  const have = new Set<string>();
  for (const g of order) {
    for (const h of inv.groups.get(g)?.hosts ?? []) {
      if (have.has(h)) continue;
      have.add(h);
      hosts.push(h);
    }
  }
  return hosts;
}

function enumerate(inv: Inventory, expr: string): string[] {
  const match = matcher(expr);
  const results: string[] = [];
  const groups = [...inv.groups.keys()].filter(match);
  for (const g of groups) results.push(...groupHosts(inv, g));
  if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) {
    for (const h of inv.hosts.keys()) if (match(h)) results.push(h);
  }
  return results;
}

function matchOne(inv: Inventory, part: string): string[] {
  const p = part.startsWith('&') || part.startsWith('!') ? part.slice(1) : part;
  if (p === '') throw optionsError(`invalid host pattern "${part}": "${part}" needs a pattern after it`);
  let expr = p;
  let subscript: [number, number | undefined] | undefined;
  if (!p.startsWith('~')) {
    const m = WITH_SUBSCRIPT.exec(p);
    if (m) {
      expr = m[1] as string;
      subscript = m[2] !== undefined ? [Number(m[2]), undefined] : [Number(m[3]), m[5] ? Number(m[5]) : -1];
    }
  }
  const hosts = enumerate(inv, expr);
  if (hosts.length === 0 || !subscript) return hosts;
  const [start, end] = subscript;
  if (end) return hosts.slice(start, (end === -1 ? hosts.length - 1 : end) + 1);
  const i = start < 0 ? hosts.length + start : start;
  const one = hosts[i];
  if (one === undefined || i < 0) {
    throw optionsError(`no hosts matched the subscripted pattern "${part}": "${expr}" has ${hosts.length} host(s)`);
  }
  return [one];
}

/**
 * The hosts a host pattern selects, in inventory order, as Ansible's `InventoryManager.get_hosts`
 * (ansible-core 2.14) does.
 *
 * Parts are separated by `,` (or `:`): a host or group name, `all` or `*`, a glob (`web*`,
 * `db-?`, `[ab]*`), a regular expression after `~` (matched from the start of the name), a
 * slice of a group (`web[0]`, `web[-1]`, `web[0:2]` inclusive, `web[1:]`), and `@file` whose lines are
 * more parts. Parts starting with `&` intersect, with `!` exclude; they apply after all the
 * other parts, whatever their position. A name matching no group or host selects nothing.
 * See https://docs.ansible.com/ansible/latest/inventory_guide/intro_patterns.html
 *
 * @param opts.readFile Reads an `@file` (defaults to reading it from disk, UTF-8).
 * @throws ConvergeError `CONVERGE_OPTIONS` for an empty pattern, an invalid regular expression, a
 *   `!`/`&` with nothing after it, an unreadable `@file`, or an index past the end of a group.
 * @example selectHosts(inv, 'web:&prod:!web03') // hosts in both web and prod, except web03
 */
export function selectHosts(inv: Inventory, pattern: string, opts: { readFile?: (p: string) => string } = {}): string[] {
  const parts: string[] = [];
  for (const part of splitHostPattern(pattern)) {
    if (!part.startsWith('@')) {
      parts.push(part);
      continue;
    }
    let text: string;
    try {
      text = (opts.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(part.slice(1));
    } catch (e) {
      throw new ConvergeError('CONVERGE_OPTIONS', `cannot read host list file "${part.slice(1)}": ${(e as Error).message}`, { cause: e });
    }
    parts.push(...text.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  if (parts.length === 0) throw optionsError(`host pattern "${pattern}" is empty`, 'use "all" to select every host');
  const regular = parts.filter((p) => !p.startsWith('!') && !p.startsWith('&'));
  const ordered = [...(regular.length > 0 ? regular : ['all']), ...parts.filter((p) => p.startsWith('&')), ...parts.filter((p) => p.startsWith('!'))];
  let hosts: string[] = [];
  for (const p of ordered) {
    if (inv.hosts.has(p)) {
      if (!hosts.includes(p)) hosts.push(p);
      continue;
    }
    const that = matchOne(inv, p);
    if (p.startsWith('!')) {
      const s = new Set(that);
      hosts = hosts.filter((h) => !s.has(h));
    } else if (p.startsWith('&')) {
      const s = new Set(that);
      hosts = hosts.filter((h) => s.has(h));
    } else {
      const have = new Set(hosts);
      for (const h of that) {
        if (!have.has(h)) {
          have.add(h);
          hosts.push(h);
        }
      }
    }
  }
  return hosts;
}
