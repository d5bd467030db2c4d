import { emitYaml, parseAllData, representYaml, yamlFloatText, type YamlNode } from '@converge/ansible-formats';
import { PYTHON_CONSTRUCTORS } from '../yaml-vars.js';
import { isSafeString } from '../nunjucks-internals.js';
import { PyFloat, formatPyFloat, isDict, isTuple, num, pyInt, toPyFloat } from '../python-value.js';
import { pyRepr, pyStr } from '../python-repr.js';
import { truthy } from '../python-ops.js';
import { PyDate, PyDateTime } from '../python-datetime.js';
import { isUndefined, throwUndefined } from '../undefined.js';
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
    if (typeof v === 'bigint') return String(v);
    if (typeof v === 'string' || isSafeString(v)) return jsonString(String(v), ensureAscii);
    if (v instanceof PyDateTime || v instanceof PyDate) return jsonString(v.isoformat(), ensureAscii);
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

/** Python's `json.loads`: ints exact (a bigint beyond 2**53), `1.0` a float, `NaN`/`Infinity` accepted. Source: Python docs, `json`. */
export function pyJsonLoads(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const col = i - before.lastIndexOf('\n');
    throw new SyntaxError(`${what}: line ${line} column ${col} (char ${i})`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') { i++; return out; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const k = str();
        ws();
        if (text[i++] !== ':') { i--; fail("Expecting ':' delimiter"); }
        out[k] = value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return out; }
        fail("Expecting ',' delimiter");
      }
    }
    if (ch === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return out; }
        fail("Expecting ',' delimiter");
      }
    }
    if (ch === '"') return str();
    for (const [word, v] of [['true', true], ['false', false], ['null', null], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return typeof v === 'number' ? toPyFloat(v) : v; }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (!m) return fail('Expecting value');
    i += m[0].length;
    return m[1] !== undefined || m[2] !== undefined ? toPyFloat(Number(m[0])) : pyInt(BigInt(m[0]));
  };
  const str = (): string => {
    const m = /^"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) return fail('Unterminated string starting at') as never;
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const v = value();
  ws();
  if (i < text.length) fail('Extra data');
  return v;
}

/** `from_json`: parses JSON text as Python's `json.loads`. */
export const fromJson: Filter = (v) => pyJsonLoads(pyStr(v));

const yamlError = (message: string): Error => new Error(message);

/** `from_yaml`: one YAML 1.1 document as PyYAML's safe loader reads it (`08` a string, `010` 8, dates); a non-string is returned as it is. Source: ansible-core 2.14 `plugins/filter/core.py`. */
export const fromYaml: Filter = (v) => {
  if (typeof v !== 'string' && !isSafeString(v)) return v;
  const docs = parseAllData(pyStr(v), 'from_yaml', { construct: PYTHON_CONSTRUCTORS, json: false, error: yamlError });
  if (docs.length > 1) throw new Error('expected a single document in the stream');
  return docs[0] ?? null;
};
/** `from_yaml_all`: the list of all documents. */
export const fromYamlAll: Filter = (v) => (typeof v !== 'string' && !isSafeString(v) ? v : parseAllData(pyStr(v), 'from_yaml_all', { construct: PYTHON_CONSTRUCTORS, json: false, error: yamlError }));

/** Python values as PyYAML's SafeRepresenter represents them (Ansible's AnsibleDumper adds nothing a template holds). */
function representPython(v: unknown, options: { defaultFlowStyle: boolean | null; sortKeys: boolean }): YamlNode {
  return representYaml(v, {
    ...options,
    custom: (x) => {
      if (isUndefined(x)) throwUndefined(x);
      if (x instanceof PyFloat) return { kind: 'scalar', tag: 'tag:yaml.org,2002:float', value: yamlFloatText(x.value) };
      if (isSafeString(x)) return { kind: 'scalar', tag: 'tag:yaml.org,2002:str', value: x.toString() };
      if (x instanceof PyDateTime) return { kind: 'scalar', tag: 'tag:yaml.org,2002:timestamp', value: x.isoformat(' ') };
      if (x instanceof PyDate) return { kind: 'scalar', tag: 'tag:yaml.org,2002:timestamp', value: x.toString() };
      if (isTuple(x)) throw new Error(`('cannot represent an object', ${pyRepr(x)})`);
      return undefined;
    },
  });
}

// yaml.dump's keyword arguments that converge applies; the others are refused by name.
const DUMP_KWARGS = new Set(['default_flow_style', 'indent', 'width', 'sort_keys', 'explicit_start', 'explicit_end']);

function dumpYaml(name: string, v: unknown, kwargs: Record<string, unknown>, fixed: Record<string, unknown>): string {
  for (const k of Object.keys(kwargs)) {
    if (Object.hasOwn(fixed, k)) throw new TypeError(`${name} - yaml.dump() got multiple values for keyword argument '${k}'`);
    if (!DUMP_KWARGS.has(k)) throw new TypeError(`${name} - the yaml.dump() argument '${k}' is not supported by converge`);
  }
  const o = { ...kwargs, ...fixed };
  const flow = o.default_flow_style ?? null;
  const node = representPython(v, { defaultFlowStyle: flow === null ? null : truthy(flow), sortKeys: o.sort_keys === undefined ? true : truthy(o.sort_keys) });
  return emitYaml(node, {
    indent: o.indent === undefined ? undefined : num(o.indent as number),
    width: o.width === undefined ? undefined : num(o.width as number),
    allowUnicode: true,
    explicitStart: o.explicit_start === undefined ? false : truthy(o.explicit_start),
    explicitEnd: o.explicit_end === undefined ? false : truthy(o.explicit_end),
  });
}

/** `to_yaml(**kw)`: `yaml.dump` with `allow_unicode=True`, leaf collections in flow style unless `default_flow_style` says. Source: ansible-core 2.14 `plugins/filter/core.py`. */
export const toYaml: Filter = (v, ...args) => dumpYaml('to_yaml', v, filterArgs(args).kwargs, { allow_unicode: true });

/** `to_nice_yaml(indent=4, **kw)`: `yaml.dump` in block style. */
export const toNiceYaml: Filter = (v, ...args) => {
  const a = filterArgs(args);
  const { indent, ...rest } = a.kwargs;
  return dumpYaml('to_nice_yaml', v, { ...rest, indent: indent ?? a.positional[0] ?? 4 }, { allow_unicode: true, default_flow_style: false });
};
