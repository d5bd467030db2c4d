import { ConvergeError, isYamlAliasBomb, YAML_ALIAS_BOMB_MESSAGE, YAML_MAX_ALIAS_COUNT } from '@converge/core';
import { isMap, isScalar, LineCounter, parseDocument, parseAllDocuments, type Document, type ScalarTag, type Tags } from 'yaml';
import type { SourceLocation } from '@converge/core';

/*
 * YAML read the way Ansible reads it: PyYAML's YAML 1.1 implicit types (lib/yaml/resolver.py and
 * constructor.py of PyYAML 6), which differ from the `yaml` package's 1.1 schema in details:
 * `y`/`n` are strings, `1e3` (no dot) is a string, `09` is a string, `010` is 8. What an int, a
 * float or a timestamp becomes is the caller's choice ({@link PyYamlConstructors}): the inventory
 * keeps numbers and ISO text (as Ansible's JSON encoder prints them), templates keep Python's types.
 */

/** The parts of a YAML 1.1 timestamp (`2024-01-02`, `2024-01-02 03:04:05.5 +01:00`). */
export interface YamlTimestamp {
  year: number;
  month: number;
  day: number;
  /** Absent for a date without a time. */
  time?: { hour: number; minute: number; second: number; microsecond: number; /** Minutes east of UTC; absent without a zone. */ offsetMinutes?: number };
}

/** How the implicit scalars of PyYAML's resolver become values. */
export interface PyYamlConstructors {
  /** An int, from its text and its value (exact, a bigint). */
  int(value: bigint, source: string): unknown;
  /** A float, from its value and its text. */
  float(value: number, source: string): unknown;
  /** A timestamp. */
  timestamp(value: YamlTimestamp, source: string): unknown;
}

const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;

/** PyYAML's `construct_yaml_int`: binary, octal (leading 0), hex, sexagesimal and decimal, exact. */
function yamlInt(s: string): bigint {
  let v = s.replace(/_/g, '');
  let sign = 1n;
  if (v.startsWith('-')) sign = -1n;
  if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
  if (v === '0') return 0n;
  if (v.startsWith('0b')) return sign * BigInt(v);
  if (v.startsWith('0x')) return sign * BigInt(v);
  if (v.startsWith('0')) return sign * BigInt(`0o${v.slice(1)}`);
  if (v.includes(':')) return sign * v.split(':').reduce((n, part) => n * 60n + BigInt(part), 0n);
  return sign * BigInt(v);
}

/** PyYAML's `construct_yaml_float`. */
function yamlFloat(s: string): number {
  let v = s.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v.startsWith('-')) sign = -1;
  if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return Number.NaN;
  if (v.includes(':')) return sign * sexagesimal(v);
  return sign * Number.parseFloat(v);
}

const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_RE = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const TIMESTAMP_RE =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

const TIMESTAMP_TEST = /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/** PyYAML's `construct_yaml_timestamp`: the fields of a date or date-time (fraction to microseconds). */
function yamlTimestamp(s: string): YamlTimestamp | undefined {
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return undefined;
  const out: YamlTimestamp = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (m[4] === undefined) return out;
  const microsecond = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const offsetMinutes = m[9] !== undefined ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0)) : m[8] !== undefined ? 0 : undefined;
  out.time = { hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), microsecond, ...(offsetMinutes === undefined ? {} : { offsetMinutes }) };
  return out;
}

/** Ansible's JSON encoder's text of a timestamp: `2024-01-02`, `2024-01-02T03:04:05+00:00` (isoformat). */
export function isoTimestamp(t: YamlTimestamp): string {
  const p2 = (x: number) => String(x).padStart(2, '0');
  const date = `${String(t.year).padStart(4, '0')}-${p2(t.month)}-${p2(t.day)}`;
  if (!t.time) return date;
  let out = `${date}T${p2(t.time.hour)}:${p2(t.time.minute)}:${p2(t.time.second)}`;
  if (t.time.microsecond !== 0) out += `.${String(t.time.microsecond).padStart(6, '0')}`;
  const off = t.time.offsetMinutes;
  if (off !== undefined) out += `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
  return out;
}

/** What the inventory makes of implicit scalars: numbers, and timestamps as ISO text. */
export const PLAIN_CONSTRUCTORS: PyYamlConstructors = {
  int: (v) => Number(v),
  float: (v) => v,
  timestamp: (t) => isoTimestamp(t),
};

function scalarTags(c: PyYamlConstructors): ScalarTag[] {
  return [
    { tag: 'tag:yaml.org,2002:bool', default: true, identify: (v) => typeof v === 'boolean', test: BOOL_RE, resolve: (s) => ['yes', 'true', 'on'].includes(s.toLowerCase()) },
    { tag: 'tag:yaml.org,2002:int', default: true, identify: () => false, test: INT_RE, resolve: (s) => c.int(yamlInt(s), s) as never },
    { tag: 'tag:yaml.org,2002:float', default: true, identify: () => false, test: FLOAT_RE, resolve: (s) => c.float(yamlFloat(s), s) as never },
    { tag: 'tag:yaml.org,2002:timestamp', default: true, identify: () => false, test: TIMESTAMP_TEST, resolve: (s) => { const t = yamlTimestamp(s); return (t === undefined ? s : c.timestamp(t, s)) as never; } },
  ];
}

function sexagesimal(v: string): number {
  let n = 0;
  for (const part of v.split(':')) n = n * 60 + Number.parseFloat(part);
  return n;
}

const REPLACED = new Set(['tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);

/** Options of {@link parseData}. */
export interface PyYamlReadOptions {
  /** What ints, floats and timestamps become; default {@link PLAIN_CONSTRUCTORS}. */
  construct?: PyYamlConstructors;
  /** Tags beyond YAML 1.1's (Ansible's `!vault`, `!unsafe`). */
  tags?: ScalarTag[];
  /** Try JSON first, as Ansible's `DataLoader` does (default true); `from_yaml` reads YAML only. */
  json?: boolean;
  /** Builds the error thrown for invalid YAML; default a `CONVERGE_VARS` ConvergeError. */
  error?: (message: string, location: SourceLocation, cause: unknown) => Error;
}

// The tag lists, made once per set of constructors (the callers pass module-level constants).
const tagLists = new WeakMap<PyYamlConstructors, ScalarTag[]>();

function pyyamlTags(options: PyYamlReadOptions): (tags: Tags) => Tags {
  const construct = options.construct ?? PLAIN_CONSTRUCTORS;
  let scalars = tagLists.get(construct);
  if (!scalars) tagLists.set(construct, (scalars = scalarTags(construct)));
  const own = options.tags ? [...scalars, ...options.tags] : scalars;
  return (tags) => [...own, ...tags.filter((t) => typeof t === 'string' || !REPLACED.has(t.tag))];
}

const defaultError = (message: string, location: SourceLocation, cause: unknown): Error => new ConvergeError('CONVERGE_VARS', message, { location, cause });

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
 * @throws the error of `options.error` (default ConvergeError `CONVERGE_VARS`) with the location
 *   of the first YAML error, or when aliases expand more than `YAML_MAX_ALIAS_COUNT` times.
 */
export function parseData(text: string, file: string, options: PyYamlReadOptions = {}): ParsedData {
  let doc: Document.Parsed | undefined;
  const lineCounter = new LineCounter();
  const fail = options.error ?? defaultError;
  const getDoc = (): Document.Parsed => {
    doc ??= parseDocument(text, { version: '1.1', schema: 'yaml-1.1', customTags: pyyamlTags(options), lineCounter, uniqueKeys: true, prettyErrors: true });
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

  const json = options.json === false ? { ok: false as const } : tryJson(text);
  if (json.ok) return { value: json.value, locate };

  const d = getDoc();
  const err = d.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw fail(`invalid YAML: ${err.message.split('\n')[0] ?? err.message}`, { file, line: pos?.line ?? 1, column: pos?.col ?? 1 }, err);
  }
  let value: unknown;
  try {
    value = d.toJS({ mapAsMap: true, maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    if (isYamlAliasBomb(e)) throw fail(YAML_ALIAS_BOMB_MESSAGE, { file, line: 1, column: 1 }, e);
    // e.g. an alias to an anchor defined later (ReferenceError from the yaml library)
    throw fail(`invalid YAML: ${(e as Error).message}`, { file, line: 1, column: 1 }, e);
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
 * Every document of a YAML stream (PyYAML's `load_all`), each read as {@link parseData} reads
 * YAML (without the JSON attempt) and turned into plain values.
 *
 * @throws as {@link parseData}.
 */
export function parseAllData(text: string, file: string, options: PyYamlReadOptions = {}): unknown[] {
  const fail = options.error ?? defaultError;
  const docs = parseAllDocuments(text, { version: '1.1', schema: 'yaml-1.1', customTags: pyyamlTags(options), uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  return docs.map((d) => {
    const err = d.errors[0];
    if (err) throw fail(`invalid YAML: ${err.message.split('\n')[0] ?? err.message}`, { file, line: err.linePos?.[0]?.line ?? 1, column: err.linePos?.[0]?.col ?? 1 }, err);
    try {
      return toPlain(d.toJS({ mapAsMap: true, maxAliasCount: YAML_MAX_ALIAS_COUNT }));
    } catch (e) {
      if (isYamlAliasBomb(e)) throw fail(YAML_ALIAS_BOMB_MESSAGE, { file, line: 1, column: 1 }, e);
      throw fail(`invalid YAML: ${(e as Error).message}`, { file, line: 1, column: 1 }, e);
    }
  });
}

/**
 * Turns parsed data into plain JSON-like values: `Map`s become objects with keys written as
 * Python's `json` writes them (`true`, `null`, `1.5`), `Set`s become arrays. Instances of classes
 * (a constructed value, a tagged value) are kept as they are.
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
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
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

