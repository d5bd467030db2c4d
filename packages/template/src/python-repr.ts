import { isSafeString } from './nunjucks-internals.js';
import { PyFloat, dictKeys, formatPyFloat, isDict, isTuple } from './python-value.js';
import { isUndefined, throwUndefined } from './undefined.js';
import { PyDate, PyDateTime, PyTimedelta } from './python-datetime.js';

/**
 * Python's `repr()` of a string: single quotes unless the text holds a `'` and no `"`, with
 * backslash escapes for `\\`, the quote, `\n`, `\r`, `\t` and non-printable characters.
 * Source: Python docs, `repr()` and `str.isprintable()`.
 */
export function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!isPrintable(ch, cp)) {
      out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

// Python's str.isprintable(): not in the Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (except ' ').
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
function isPrintable(ch: string, cp: number): boolean {
  return cp === 0x20 || !NON_PRINTABLE.test(ch);
}

/**
 * Python's `repr()` of a value as Jinja2 would see it: `True`, `None`, `1.0`, `'text'`,
 * `['a', 1]`, `{'a': 1}`. Throws the undefined-variable error for an Undefined.
 */
export function pyRepr(v: unknown): string {
  if (isUndefined(v)) throwUndefined(v);
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyReprString(v);
  if (isSafeString(v)) return pyReprString(v.toString());
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatPyFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return formatPyFloat(v.value);
  if (v instanceof PyDate || v instanceof PyDateTime || v instanceof PyTimedelta) return v.repr();
  const view = dictViewKind(v);
  if (view !== undefined) return `${view}([${(v as unknown[]).map(pyRepr).join(', ')}])`;
  if (isTuple(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isDict(v)) {
    const keys = dictKeys(v);
    return `{${Object.values(v).map((x, i) => `${pyRepr(keys[i])}: ${pyRepr(x)}`).join(', ')}}`;
  }
  if (typeof v === 'function') return '<function>';
  return pyReprString(String(v));
}

/**
 * Python's `str()` of a value, which is what `{{ }}`, `~`, `string` and `join` produce: strings as
 * they are, everything else as {@link pyRepr}. Throws the undefined-variable error for an Undefined.
 */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isSafeString(v)) return v.toString();
  if (v instanceof PyDate || v instanceof PyDateTime || v instanceof PyTimedelta) return v.toString();
  return pyRepr(v);
}

const DICT_VIEW = Symbol.for('converge.template.dict-view');

/** A list that is a dict's `keys()`, `values()` or `items()` view: iterates as a list, prints `dict_keys([...])`. */
export function makeDictView<T>(kind: 'dict_keys' | 'dict_values' | 'dict_items', items: T[]): T[] {
  Object.defineProperty(items, DICT_VIEW, { value: kind, enumerable: false });
  return items;
}

/** The view kind (`dict_keys`, ...) of a list made by {@link makeDictView}. */
export function dictViewKind(v: unknown): string | undefined {
  return Array.isArray(v) ? ((v as unknown as Record<symbol, string | undefined>)[DICT_VIEW]) : undefined;
}
