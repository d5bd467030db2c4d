import { parseAllDocuments } from 'yaml';
import { parseYamlVars } from '../yaml-vars.js';
import { YAML_MAX_ALIAS_COUNT } from '@converge/core';
import { isSafeString } from '../nunjucks-internals.js';
import { PyFloat, formatPyFloat, isDict } from '../python-value.js';
import { pyStr } from '../python-repr.js';
import { filterArgs, type Filter } from './filter-args.js';

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (cp < 0x20 || (ensureAscii && cp > 0x7e)) {
      for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** Options of {@link pyJsonDumps}, as Python's `json.dumps`. */
export interface JsonDumpOptions { indent?: number | null; sortKeys?: boolean; ensureAscii?: boolean; separators?: [string, string] }

/** Python's `json.dumps`: `", "`/`": "` separators (`","` with an indent), `\uXXXX` for non-ASCII, floats as `repr`. Source: Python docs, `json.dumps`. */
export function pyJsonDumps(value: unknown, options: JsonDumpOptions = {}): string {
  const indent = options.indent ?? null;
  const [itemSep, keySep] = options.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const go = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : formatPyFloat(v);
    if (v instanceof PyFloat) return formatPyFloat(v.value);
    if (typeof v === 'string' || isSafeString(v)) return jsonString(String(v), ensureAscii);
    const open = (entries: string[], l: string, r: string): string => {
      if (entries.length === 0) return l + r;
      if (indent === null) return l + entries.join(itemSep) + r;
      const pad = '\n' + ' '.repeat(indent * (level + 1));
      return l + pad + entries.join(itemSep + pad) + '\n' + ' '.repeat(indent * level) + r;
    };
    if (Array.isArray(v)) return open(v.map((x) => go(x, level + 1)), '[', ']');
    if (isDict(v)) {
      const keys = Object.keys(v);
      if (options.sortKeys) keys.sort();
      return open(keys.map((k) => jsonString(k, ensureAscii) + keySep + go(v[k], level + 1)), '{', '}');
    }
    return jsonString(pyStr(v), ensureAscii);
  };
  return go(value, 0);
}

/** `to_json(indent=None, sort_keys=False, ensure_ascii=True)`. Source: Ansible `plugins/filter/core.py`. */
export const toJson: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const indent = a.get(99, 'indent', null);
  return pyJsonDumps(v, { indent: indent === null ? null : Number(indent), sortKeys: a.get(99, 'sort_keys', false) === true, ensureAscii: a.get(99, 'ensure_ascii', true) !== false });
};

/** `to_nice_json(indent=4, sort_keys=True)`: separators `,` and `: `. */
export const toNiceJson: Filter = function (v, ...args) {
  const a = filterArgs(args);
  return pyJsonDumps(v, { indent: Number(a.get(0, 'indent', 4)), sortKeys: a.get(1, 'sort_keys', true) !== false, ensureAscii: a.get(99, 'ensure_ascii', true) !== false, separators: [',', ': '] });
};

function fromParsed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromParsed);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromParsed(x)]));
  return v;
}

/** `from_json`: parses JSON text. */
export const fromJson: Filter = (v) => fromParsed(JSON.parse(pyStr(v)));

/** `from_yaml`: parses one YAML 1.1 document (`yes`/`no` are booleans, as in PyYAML); floats like `1.0` stay floats. */
export const fromYaml: Filter = (v) => parseYamlVars(pyStr(v));
/** `from_yaml_all`: a list of all documents. */
export const fromYamlAll: Filter = (v) => parseAllDocuments(pyStr(v), { version: '1.1' }).map((d) => d.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown);


// ---- YAML emission as PyYAML's `yaml.dump` (sort_keys=True, allow_unicode=True, width 80) ----

const YAML_IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$/,
  /^(?:<<|=)$/,
];

function plainAllowed(s: string, flow: boolean): boolean {
  if (s === '' || YAML_IMPLICIT.some((re) => re.test(s))) return false;
  if (/^\s|\s$/.test(s) || /[\n\r\x85\u2028\u2029]/.test(s)) return false;
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return false;
  if (/^[-?:](\s|$)/.test(s)) return false;
  if (/: |:$| #/.test(s)) return false;
  if (flow && /[,?[\]{}]/.test(s)) return false;
  // Non-printable characters need double quotes.
  return !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]/.test(s);
}

function foldAtSpaces(text: string, startColumn: number, indent: number): string {
  // PyYAML breaks a scalar at a single space once the column passes the best width (80).
  let out = '';
  let col = startColumn;
  const words = text.split(' ');
  words.forEach((w, i) => {
    if (i > 0) {
      if (col > 80 && w !== '' && words[i - 1] !== '') { out += '\n' + ' '.repeat(indent); col = indent; }
      else { out += ' '; col += 1; }
    }
    out += w;
    col += w.length;
  });
  return out;
}

function yamlScalar(v: unknown, column: number, indent: number, flow: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'number' || v instanceof PyFloat) {
    const n = Number(v);
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    const r = formatPyFloat(n).toLowerCase();
    return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
  }
  const s = pyStr(v);
  if (plainAllowed(s, flow)) return foldAtSpaces(s, column, indent);
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]/.test(s) || /^\s*\n|\n\s*$/.test(s) === false && /[\r\x85\u2028\u2029]/.test(s)) {
    return JSON.stringify(s);
  }
  const body = s.replace(/'/g, "''").replace(/\n/g, '\n\n');
  const lines = body.split('\n');
  return "'" + lines.map((l, i) => (i === 0 ? foldAtSpaces(l, column + 1, indent) : l === '' ? '' : ' '.repeat(indent) + foldAtSpaces(l, indent, indent))).join('\n') + "'";
}

function isCollection(v: unknown): v is unknown[] | Record<string, unknown> {
  return Array.isArray(v) || isDict(v);
}

function flowYaml(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flowYaml).join(', ')}]`;
  if (isDict(v)) return `{${Object.keys(v).sort().map((k) => `${yamlScalar(k, 0, 0, true)}: ${flowYaml(v[k])}`).join(', ')}}`;
  return yamlScalar(v, 0, 0, true);
}

/** Options of {@link pyYamlDump}: PyYAML's `indent` and `default_flow_style` (`null`: leaf collections in flow style). */
export interface YamlDumpOptions { indent: number; defaultFlowStyle: boolean | null }

/**
 * PyYAML's `yaml.dump(value, allow_unicode=True, sort_keys=True)` for the shapes templates use:
 * block mappings and (indentless) sequences, flow style for leaf collections when
 * `defaultFlowStyle` is null, PyYAML's quoting and folding at column 80.
 * Source: PyYAML `emitter.py`, `representer.py`, `resolver.py`.
 */
export function pyYamlDump(value: unknown, options: YamlDumpOptions): string {
  const { indent: step, defaultFlowStyle } = options;
  const flowFor = (v: unknown[] | Record<string, unknown>): boolean => {
    const children = Array.isArray(v) ? v : Object.values(v);
    if (children.length === 0) return true;
    return defaultFlowStyle === true || (defaultFlowStyle === null && !children.some(isCollection));
  };
  const lines: string[] = [];
  // Emits `v` whose first line continues `prefix` (already at column prefix.length), nested at `indent`.
  const emit = (v: unknown, prefix: string, indent: number, inSequence: boolean): void => {
    if (!isCollection(v) || flowFor(v)) {
      const text = isCollection(v) ? flowYaml(v) : yamlScalar(v, prefix.length, indent, false);
      const [first = '', ...rest] = text.split('\n');
      lines.push(prefix + first, ...rest);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const head = i === 0 && inSequence ? prefix : ' '.repeat(indent);
        // A block collection item starts at the next indentation level; a scalar right after "- ".
        const block = isCollection(item) && !flowFor(item);
        emit(item, head + '-' + (block ? ' '.repeat(step - 1) : ' '), indent + step, true);
      });
      return;
    }
    Object.keys(v).sort().forEach((k, i) => {
      const head = (i === 0 && inSequence ? prefix : ' '.repeat(indent)) + yamlScalar(k, indent, indent, false) + ':';
      const child = v[k];
      if (isCollection(child) && !flowFor(child)) {
        lines.push(head);
        emit(child, '', Array.isArray(child) ? indent : indent + step, false);
      } else emit(child, head + ' ', indent + step, false);
    });
  };
  if (!isCollection(value)) {
    const s = yamlScalar(value, 0, step, false);
    return s + (s.startsWith("'") || s.startsWith('"') ? '\n' : '\n...\n');
  }
  emit(value, '', 0, false);
  return lines.join('\n') + '\n';
}

/** `to_yaml`: PyYAML dump with flow style for leaf collections. Source: Ansible `plugins/filter/core.py`. */
export const toYaml: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const fs = a.get(99, 'default_flow_style', null);
  return pyYamlDump(v, { indent: Number(a.get(99, 'indent', 2)), defaultFlowStyle: fs === null ? null : fs === true });
};

/** `to_nice_yaml(indent=4)`: PyYAML block style. */
export const toNiceYaml: Filter = (v, ...args) => pyYamlDump(v, { indent: Number(filterArgs(args).get(0, 'indent', 4)), defaultFlowStyle: false });

