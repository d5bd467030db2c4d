import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { registerLookup, type LookupContext } from './globals.js';
import { isDict, makeTuple } from './python-value.js';
import { pyStr } from './python-repr.js';
import { strict } from './undefined.js';

/**
 * ansible-core 2.14's builtin lookup plugins, run on the controller as Ansible runs them.
 * Sources: ansible-core 2.14 `plugins/lookup/*.py` (behaviour checked by the corpus in
 * `test/fixtures/templates/corpus/lookups.yml`). `url` needs the network and is refused.
 */

/** Where Ansible looks for a lookup's relative file: `files/` beside each search path, then the path. */
function findFile(name: string, { searchPaths }: LookupContext, subdir = 'files'): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  const candidates = searchPaths.flatMap((p) => [...(basename(p) === 'templates' ? [join(dirname(p), subdir, name)] : []), join(p, subdir, name), join(p, name)]);
  return candidates.find((c) => existsSync(c));
}

/** `key=value key2=value2` options of a term (Ansible's parse_kv for lookups). */
function parseKv(term: string): { first: string; options: Record<string, string> } {
  const parts = term.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  const options: Record<string, string> = {};
  const rest: string[] = [];
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i > 0) options[p.slice(0, i)] = p.slice(i + 1).replace(/^(['"])(.*)\1$/, '$2');
    else rest.push(p);
  }
  return { first: rest.join(' '), options };
}

function flattenOnce(terms: unknown[]): unknown[] {
  return terms.flatMap((t) => (Array.isArray(t) ? t : [t]));
}

function shell(cmd: string): string {
  return execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// ansible-core 2.14 defaults for the settings templates ask `config` about most (lib/ansible/config/base.yml).
const CONFIG_DEFAULTS: Record<string, unknown> = {
  DEFAULT_TIMEOUT: 10, DEFAULT_BECOME_METHOD: 'sudo', DEFAULT_BECOME_USER: 'root', DEFAULT_FORKS: 5, DEFAULT_POLL_INTERVAL: 15,
  DEFAULT_REMOTE_PORT: null, DEFAULT_TRANSPORT: 'smart', DEFAULT_GATHERING: 'implicit', DEFAULT_HASH_BEHAVIOUR: 'replace',
  DEFAULT_JINJA2_NATIVE: false, DEFAULT_KEEP_REMOTE_FILES: false, DEFAULT_PRIVATE_ROLE_VARS: false, DEFAULT_UNDEFINED_VAR_BEHAVIOR: true,
  HOST_KEY_CHECKING: true, RETRY_FILES_ENABLED: false, DEFAULT_NULL_REPRESENTATION: null, DEFAULT_SU: false, DEFAULT_SUDO_FLAGS: null,
};

registerLookup('config', (terms, { kwargs }) => {
  const out: unknown[] = [];
  for (const t of terms) {
    const name = String(t);
    if (Object.hasOwn(CONFIG_DEFAULTS, name)) out.push(CONFIG_DEFAULTS[name]);
    else if (kwargs.on_missing !== 'skip' && kwargs.on_missing !== 'warn') throw new Error(`Unable to find setting ${name}`);
  }
  return out;
});

function csvRows(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"' && cur === '') quoted = true;
      else if (line.startsWith(delimiter, i)) { cells.push(cur); cur = ''; i += delimiter.length - 1; }
      else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

registerLookup('csvfile', (terms, ctx) =>
  terms.map((t) => {
    const { first, options } = parseKv(String(t));
    const o = { file: 'ansible.csv', col: '1', delimiter: 'TAB', default: null as unknown, ...ctx.kwargs, ...options };
    const delimiter = o.delimiter === 'TAB' || o.delimiter === '\\t' ? '\t' : String(o.delimiter);
    const path = findFile(String(o.file), ctx);
    if (!path) throw new Error(`csvfile: could not find ${String(o.file)}`);
    const row = csvRows(readFileSync(path, 'utf8'), delimiter).find((r) => r[0] === first);
    return row ? row[Number(o.col)] : o.default;
  }),
);

registerLookup('dict', (terms) =>
  terms.flatMap((t) => {
    if (!isDict(t)) throw new Error(`with_dict expects a dict`);
    return Object.entries(t).map(([key, value]) => ({ key, value }));
  }),
);

registerLookup('env', (terms, { kwargs }) => terms.map((t) => process.env[String(t)] ?? (kwargs.default ?? '')));

registerLookup('file', (terms, ctx) =>
  terms.map((t) => {
    const name = String(t);
    const found = findFile(name, ctx);
    if (!found) throw new Error(`could not locate file in lookup: ${name}`);
    const text = readFileSync(found, 'utf8');
    const lstrip = ctx.kwargs.lstrip === true ? text.replace(/^\s+/, '') : text;
    return ctx.kwargs.rstrip === false ? lstrip : lstrip.replace(/\s+$/, '');
  }),
);

function glob(pattern: string): string[] {
  const dir = dirname(pattern);
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return readdirSync(dir).filter((f) => re.test(f) && !f.startsWith('.')).sort().map((f) => join(dir, f));
}

registerLookup('fileglob', (terms, ctx) =>
  terms.flatMap((t) => {
    const term = String(t);
    const dirs = isAbsolute(term) ? [''] : ctx.searchPaths.flatMap((p) => [join(p, 'files'), p]);
    for (const d of dirs) {
      const found = glob(resolve(d, term));
      if (found.length > 0) return found;
    }
    return [];
  }),
);

registerLookup('first_found', (terms, ctx) => {
  const names = flattenOnce(terms).flatMap((t) => (isDict(t) ? ((t.files as unknown[]) ?? []) : [t]));
  for (const n of names) {
    const found = findFile(String(n), ctx);
    if (found) return [resolve(found)];
  }
  if (ctx.kwargs.skip === true) return [];
  throw new Error('No file was found when using first_found.');
});

registerLookup('indexed_items', (terms) => flattenOnce(terms).map((x, i) => makeTuple([i, x])));

function iniValue(text: string, key: string, section: string, type: string): string | undefined {
  let current = type === 'properties' ? 'java_properties' : '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { current = s[1]!; continue; }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m && current === section && m[1]!.toLowerCase() === key.toLowerCase()) return m[2];
  }
  return undefined;
}

registerLookup('ini', (terms, ctx) =>
  terms.map((t) => {
    const { first, options } = parseKv(String(t));
    const o = { file: 'ansible.ini', section: 'global', default: '', type: 'ini', ...ctx.kwargs, ...options } as Record<string, unknown>;
    const path = findFile(String(o.file), ctx);
    if (!path) throw new Error(`ini: could not find ${String(o.file)}`);
    const section = o.type === 'properties' ? 'java_properties' : String(o.section);
    return iniValue(readFileSync(path, 'utf8'), first, section, String(o.type)) ?? o.default;
  }),
);

/** Ansible's host patterns over `groups`: `a:b` (union), `a:!b` (minus), `a:&b` (and), `a,b`. */
function hostPattern(pattern: string, groups: Record<string, string[]>): string[] {
  const all = groups.all ?? [];
  const resolveOne = (p: string): string[] => (Object.hasOwn(groups, p) ? groups[p]! : p === '*' ? all : all.filter((h) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(h)));
  let out: string[] = [];
  for (const part of pattern.split(/[:,]/).filter((p) => p !== '')) {
    if (part.startsWith('!')) out = out.filter((h) => !resolveOne(part.slice(1)).includes(h));
    else if (part.startsWith('&')) out = out.filter((h) => resolveOne(part.slice(1)).includes(h));
    else for (const h of resolveOne(part)) if (!out.includes(h)) out.push(h);
  }
  return out;
}

registerLookup('inventory_hostnames', (terms, { vars }) => {
  const groups = (vars().groups ?? {}) as Record<string, string[]>;
  return flattenOnce(terms).flatMap((t) => hostPattern(String(t), groups));
});

registerLookup('items', (terms) => flattenOnce(terms));

registerLookup('lines', (terms) => terms.flatMap((t) => shell(String(t)).split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1))));

registerLookup('list', (terms) => terms);

registerLookup('nested', (terms) => {
  const lists = terms.map((t) => strict(t) as unknown[]);
  if (lists.length === 0) throw new Error('with_nested requires at least one element in the nested list');
  let out: unknown[][] = lists[0]!.map((x) => [x]);
  for (const l of lists.slice(1)) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return out;
});

const CHARSETS: Record<string, string> = {
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz', ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', digits: '0123456789',
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', punctuation: ',.-:;_', hexdigits: '0123456789abcdefABCDEF',
};

registerLookup('password', (terms) =>
  terms.map((t) => {
    const { first, options } = parseKv(String(t));
    if (first !== '/dev/null') throw new Error('the password lookup writes files on the controller; converge supports only /dev/null (generate without storing)');
    const chars = (options.chars ?? 'ascii_letters,digits,punctuation').split(',').map((c) => CHARSETS[c] ?? c).join('');
    const length = Number(options.length ?? 20);
    return Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
  }),
);

registerLookup('pipe', (terms) => terms.map((t) => shell(String(t)).replace(/\s+$/, '')));

registerLookup('random_choice', (terms) => (terms.length === 0 ? [] : [terms[randomInt(terms.length)]]));

registerLookup('sequence', (terms) =>
  terms.flatMap((t) => {
    const term = String(t);
    const { first, options } = parseKv(term);
    const num = (s: string | undefined, d: number): number => (s === undefined ? d : Number(s.startsWith('0x') ? parseInt(s, 16) : s.startsWith('0o') ? parseInt(s.slice(2), 8) : s));
    let start = num(options.start, 1);
    let end = options.end !== undefined ? num(options.end, 0) : undefined;
    const shortcut = /^(\d+)(?:-(\d+))?(?:\/(\d+))?(?::(.+))?$/.exec(first);
    if (shortcut) {
      if (shortcut[2] !== undefined) { start = Number(shortcut[1]); end = Number(shortcut[2]); } else end = Number(shortcut[1]);
    }
    const stride = num(options.stride ?? shortcut?.[3], 1);
    const format = options.format ?? shortcut?.[4] ?? '%d';
    if (options.count !== undefined) {
      const count = num(options.count, 0);
      if (count === 0) return [];
      end = start + (count - 1) * stride;
    }
    if (end === undefined) throw new Error('must specify count or end in with_sequence');
    const out: number[] = [];
    if (stride > 0) for (let i = start; i <= end; i += stride) out.push(i);
    else if (stride < 0) for (let i = start; i >= end; i += stride) out.push(i);
    return out.map((i) => pyStr(format.replace(/%(0?)(\d*)([dxXo])/, (_m, z: string, w: string, c: string) => {
      const s = c === 'd' ? String(i) : c === 'o' ? Number(i).toString(8) : c === 'X' ? Number(i).toString(16).toUpperCase() : Number(i).toString(16);
      return w ? s.padStart(Number(w), z === '0' ? '0' : ' ') : s;
    })));
  }),
);

registerLookup('subelements', (terms) => {
  const [list, key, flags] = terms as [unknown[], string, Record<string, unknown> | undefined];
  const skip = isDict(flags) && flags.skip_missing === true;
  return (strict(list) as Record<string, unknown>[]).flatMap((item) => {
    let sub: unknown = item;
    for (const k of String(key).split('.')) {
      if (!isDict(sub) || !Object.hasOwn(sub, k)) {
        if (skip) return [];
        throw new Error(`could not find '${String(key)}' key in iterated item '${pyStr(item)}'`);
      }
      sub = sub[k];
    }
    return (sub as unknown[]).map((x) => [item, x]);
  });
});

registerLookup('template', (terms, ctx) =>
  terms.map((t) => {
    const found = findFile(String(t), ctx, 'templates');
    if (!found) throw new Error(`the template file ${String(t)} could not be found for the lookup`);
    const extra = isDict(ctx.kwargs.template_vars) ? ctx.kwargs.template_vars : {};
    return ctx.render(readFileSync(found, 'utf8'), found, extra);
  }),
);

registerLookup('together', (terms) => {
  const lists = terms.map((t) => strict(t) as unknown[]);
  const n = Math.max(0, ...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
});

registerLookup('unvault', (terms, ctx) =>
  terms.map((t) => {
    const found = findFile(String(t), ctx);
    if (!found) throw new Error(`Unable to find '${String(t)}' in expected paths (use -vvvvv to see paths)`);
    const text = readFileSync(found, 'utf8');
    if (text.startsWith('$ANSIBLE_VAULT;')) throw new Error(`${String(t)} is vault-encrypted: converge decrypts vault files in inventories and vars files, not in the unvault lookup`);
    return text;
  }),
);

registerLookup('url', () => {
  throw new Error('the url lookup fetches from the network at render time; converge does not (fetch the content in a task and register it)');
});

registerLookup('varnames', (terms, { vars }) => {
  const names = Object.keys(vars());
  return terms.flatMap((t) => names.filter((n) => new RegExp(String(t)).test(n)));
});

registerLookup('vars', (terms, { vars, kwargs }) => {
  const all = vars();
  return terms.map((t) => {
    const name = String(t);
    if (Object.hasOwn(all, name)) return all[name];
    if (Object.hasOwn(kwargs, 'default')) return kwargs.default;
    throw new Error(`No variable found with this name: ${name}`);
  });
});
