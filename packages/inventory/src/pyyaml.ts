import { isYamlAliasBomb, YAML_ALIAS_BOMB_MESSAGE, YAML_MAX_ALIAS_COUNT } from '@converge/core';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type ScalarTag, type Tags } from 'yaml';
import { inventoryError } from './inventory-error.js';
import { VaultTaggedText } from './ansible-vault/vault-value.js';
import type { SourceLocation } from '@converge/core';

/*
 * YAML read the way Ansible reads it: PyYAML's YAML 1.1 implicit types (lib/yaml/resolver.py and
 * constructor.py of PyYAML 6), which differ from the `yaml` package's 1.1 schema in details:
 * `y`/`n` are strings, `1e3` (no dot) is a string, `09` is a string, dates become ISO text (as
 * Ansible's JSON encoder prints them).
 */

const BOOL: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (v) => typeof v === 'boolean',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (s) => ['yes', 'true', 'on'].includes(s.toLowerCase()),
};

const INT: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  identify: (v) => typeof v === 'number' && Number.isInteger(v),
  test: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  resolve: (s) => {
    let v = s.replace(/_/g, '');
    let sign = 1;
    if (v.startsWith('-')) sign = -1;
    if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
    if (v === '0') return 0;
    if (v.startsWith('0b')) return sign * Number.parseInt(v.slice(2), 2);
    if (v.startsWith('0x')) return sign * Number.parseInt(v.slice(2), 16);
    if (v.startsWith('0')) return sign * Number.parseInt(v, 8);
    if (v.includes(':')) return sign * sexagesimal(v);
    return sign * Number.parseInt(v, 10);
  },
};

const FLOAT: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  identify: (v) => typeof v === 'number',
  test: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  resolve: (s) => {
    let v = s.replace(/_/g, '').toLowerCase();
    let sign = 1;
    if (v.startsWith('-')) sign = -1;
    if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
    if (v === '.inf') return sign * Infinity;
    if (v === '.nan') return Number.NaN;
    if (v.includes(':')) return sign * sexagesimal(v);
    return sign * Number.parseFloat(v);
  },
};

const TIMESTAMP_RE =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

const TIMESTAMP: ScalarTag = {
  tag: 'tag:yaml.org,2002:timestamp',
  default: true,
  identify: () => false,
  test: /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  resolve: (s) => {
    const m = TIMESTAMP_RE.exec(s);
    if (!m) return s;
    const p2 = (x: string | undefined) => String(Number(x ?? 0)).padStart(2, '0');
    const date = `${m[1]}-${p2(m[2])}-${p2(m[3])}`;
    if (m[4] === undefined) return date;
    let out = `${date}T${p2(m[4])}:${p2(m[5])}:${p2(m[6])}`;
    const fraction = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
    if (m[7] !== undefined && Number(fraction) !== 0) out += `.${fraction}`;
    if (m[9] !== undefined) {
      const minutes = Number(m[10]) * 60 + Number(m[11] ?? 0);
      if (minutes === 0) out += '+00:00';
      else out += `${m[9]}${p2(String(Math.floor(minutes / 60)))}:${p2(String(minutes % 60))}`;
    } else if (m[8] !== undefined) {
      out += '+00:00';
    }
    return out;
  },
};

function sexagesimal(v: string): number {
  let n = 0;
  for (const part of v.split(':')) n = n * 60 + Number.parseFloat(part);
  return n;
}

/** `!vault |` scalars (Ansible's `AnsibleVaultEncryptedUnicode`): kept encrypted until vars files are decrypted. */
const VAULT: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof VaultTaggedText,
  resolve: (s) => new VaultTaggedText(s),
};

const REPLACED = new Set(['tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);

function pyyamlTags(tags: Tags): Tags {
  const kept = tags.filter((t) => typeof t === 'string' || !REPLACED.has(t.tag));
  return [BOOL, INT, FLOAT, TIMESTAMP, VAULT, ...kept];
}

/** A parsed YAML or JSON file: its value (mappings as `Map`, keys keep their types) and a way to locate paths in it. */
export interface ParsedData {
  value: unknown;
  /** The 1-based position of the node at `path` (keys from the root), or of the file start. */
  locate(path: unknown[]): SourceLocation;
}

/**
 * Parses a YAML or JSON file as Ansible's `DataLoader` does: JSON first (Python's `json`), then
 * YAML 1.1 with PyYAML's implicit types. Mappings become `Map`s so that key types survive; a
 * duplicate key is an error (Ansible only warns and keeps the last value).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` with the location of the first YAML error.
 */
export function parseData(text: string, file: string): ParsedData {
  let doc: Document.Parsed | undefined;
  const lineCounter = new LineCounter();
  const getDoc = (): Document.Parsed => {
    doc ??= parseDocument(text, { version: '1.1', schema: 'yaml-1.1', customTags: pyyamlTags, lineCounter, uniqueKeys: true, prettyErrors: true });
    return doc;
  };
  const locate = (path: unknown[]): SourceLocation => {
    try {
      const d = getDoc();
      let node: unknown = d.contents;
      for (const [i, key] of path.entries()) {
        if (!isMap(node)) break;
        const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === key);
        if (!pair) break;
        node = i === path.length - 1 || pair.value === null ? pair.key : pair.value;
      }
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return { file, line: pos.line, column: pos.col };
      }
    } catch {
      // fall through to the start of the file
    }
    return { file, line: 1, column: 1 };
  };

  const json = tryJson(text);
  if (json.ok) return { value: json.value, locate };

  const d = getDoc();
  const err = d.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw inventoryError(`invalid YAML: ${err.message.split('\n')[0] ?? err.message}`, { file, line: pos?.line ?? 1, column: pos?.col ?? 1 }, { cause: err });
  }
  let value: unknown;
  try {
    value = d.toJS({ mapAsMap: true, maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    if (isYamlAliasBomb(e)) throw inventoryError(YAML_ALIAS_BOMB_MESSAGE, { file, line: 1, column: 1 }, { cause: e });
    // e.g. an alias to an anchor defined later (ReferenceError from the yaml library)
    throw inventoryError(`invalid YAML: ${(e as Error).message}`, { file, line: 1, column: 1 }, { cause: e });
  }
  return { value, locate };
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('[') || t.startsWith('"') || /^[-0-9tfn]/.test(t))) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? new Map(Object.entries(v)) : v)) };
  } catch {
    return { ok: false };
  }
}

/**
 * Turns parsed data into plain JSON-like values: `Map`s become objects with keys written as
 * Python's `json` writes them (`true`, `null`, `1.5`), `Set`s become arrays.
 */
export function toPlain(v: unknown): unknown {
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v) out[plainKey(k)] = toPlain(val);
    return out;
  }
  if (v instanceof Set) return [...v].map(toPlain);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof VaultTaggedText) return v;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = toPlain(val);
    return out;
  }
  return v;
}

function plainKey(k: unknown): string {
  if (k === null || k === undefined) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'string') return k;
  return String(k);
}
