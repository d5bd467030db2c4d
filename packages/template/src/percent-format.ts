import { PyFloat, formatPyFloat, isDict, isFloat, isNumber, isTuple, num } from './python-value.js';
import { fixedDigits } from './python-number-format.js';
import { pyRepr, pyStr } from './python-repr.js';

const SPEC = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

/**
 * Python's printf-style string formatting, `'%s:%d' % (host, port)`, for the conversions
 * `s r a d i u o x X e E f F g G c %`, flags `- + space 0 #`, width and precision, and
 * `%(name)s` with a dict. Source: Python docs, "printf-style String Formatting".
 * Throws `TypeError` when there are too few or too many arguments.
 */
export function percentFormat(format: string, args: unknown): string {
  const named = isDict(args);
  const list = isTuple(args) ? args : [args];
  let next = 0;
  const take = (): unknown => {
    if (next >= list.length) throw new TypeError('not enough arguments for format string');
    return list[next++];
  };
  const out = format.replace(SPEC, (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const value = key !== undefined && named ? (args as Record<string, unknown>)[key] : take();
    const w = width === '*' ? Number(take()) : width === undefined ? 0 : Number(width);
    const p = prec === '*' ? Number(take()) : prec === undefined ? undefined : Number(prec);
    let body: string;
    let numericSign = '';
    switch (conv) {
      case 's': body = pyStr(value); if (p !== undefined) body = body.slice(0, p); break;
      case 'r': case 'a': body = pyRepr(value); if (p !== undefined) body = body.slice(0, p); break;
      case 'c': body = typeof value === 'number' ? String.fromCodePoint(value) : String(value); break;
      default: {
        if (!isNumber(value) && typeof value !== 'boolean') throw new TypeError(`%${conv} format: a number is required, not ${typeof value}`);
        const n = typeof value === 'boolean' ? Number(value) : num(value as number | PyFloat);
        const abs = Math.abs(n);
        if (n < 0 || Object.is(n, -0)) numericSign = '-';
        else if (flags.includes('+')) numericSign = '+';
        else if (flags.includes(' ')) numericSign = ' ';
        if ('diu'.includes(conv)) body = typeof value === 'bigint' ? String(value < 0n ? -value : value) : String(Math.trunc(abs));
        else if (conv === 'o') body = (flags.includes('#') ? '0o' : '') + Math.trunc(abs).toString(8);
        else if (conv === 'x') body = (flags.includes('#') ? '0x' : '') + Math.trunc(abs).toString(16);
        else if (conv === 'X') body = (flags.includes('#') ? '0X' : '') + Math.trunc(abs).toString(16).toUpperCase();
        else if (conv === 'f' || conv === 'F') body = fixedDigits(abs, p ?? 6);
        else if (conv === 'e' || conv === 'E') {
          body = abs.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') body = body.toUpperCase();
        } else {
          const g = abs.toPrecision(p === 0 ? 1 : p ?? 6);
          body = g.includes('e') ? g.replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2') : g.includes('.') ? g.replace(/\.?0+$/, '') : g;
          if (conv === 'G') body = body.toUpperCase();
        }
      }
    }
    const total = numericSign.length + body.length;
    if (w <= total) return numericSign + body;
    if (flags.includes('-')) return numericSign + body + ' '.repeat(w - total);
    if (flags.includes('0') && numericSign + body !== '' && !'sr'.includes(conv)) return numericSign + '0'.repeat(w - total) + body;
    return ' '.repeat(w - total) + numericSign + body;
  });
  if (!named && next < list.length) throw new TypeError('not all arguments converted during string formatting');
  return out;
}

/**
 * Python's `format(value, spec)` (the part after `:` in `'{:>8}'.format(x)`): fill and align
 * (`< > ^ =`), sign, `#`, `0`, width, `,`/`_` grouping, precision and the types
 * `s d n b o x X c e E f F g G %`. Source: Python docs, "Format Specification Mini-Language".
 *
 * @throws Error `Invalid format specifier` for a spec Python refuses; `Unknown format code` for a type that does not fit the value.
 */
export function formatWithSpec(value: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su.exec(spec);
  if (!m) throw new Error('Invalid format specifier');
  const [, fillChar, alignChar, sign = '-', alt, zero, widthText, grouping, precText, typeChar] = m;
  const width = widthText === undefined ? 0 : Number(widthText);
  const prec = precText === undefined ? undefined : Number(precText);
  const numeric = isNumber(value) || typeof value === 'boolean';
  let type = typeChar;
  let body: string;
  let neg = false;
  if (!numeric || (type === undefined && typeof value === 'boolean')) {
    if (type !== undefined && type !== 's') throw new Error(`Unknown format code '${type}' for object of type '${typeof value === 'string' ? 'str' : typeof value}'`);
    body = pyStr(value);
    if (prec !== undefined) body = Array.from(body).slice(0, prec).join('');
  } else {
    const intLike = typeof value === 'bigint' || typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value) && !isFloat(value));
    const n = typeof value === 'boolean' ? Number(value) : num(value as number | PyFloat);
    neg = typeof value === 'bigint' ? value < 0n : n < 0 || Object.is(n, -0);
    const abs = Math.abs(n);
    if (type === undefined) type = intLike ? 'd' : prec === undefined ? 'r' : 'g';
    if (intLike && 'eEfFgG%'.includes(type) === false && prec !== undefined) throw new Error('Precision not allowed in integer format specifier');
    const big = typeof value === 'bigint' ? (value < 0n ? -value : value) : undefined;
    switch (type) {
      case 'd': case 'n': body = big !== undefined ? String(big) : String(Math.trunc(abs)); break;
      case 'b': body = (alt ? '0b' : '') + (big ?? BigInt(Math.trunc(abs))).toString(2); break;
      case 'o': body = (alt ? '0o' : '') + (big ?? BigInt(Math.trunc(abs))).toString(8); break;
      case 'x': body = (alt ? '0x' : '') + (big ?? BigInt(Math.trunc(abs))).toString(16); break;
      case 'X': body = (alt ? '0X' : '') + (big ?? BigInt(Math.trunc(abs))).toString(16).toUpperCase(); break;
      case 'c': body = String.fromCodePoint(abs); break;
      case 'f': case 'F': body = fixedDigits(abs, prec ?? 6); break;
      case '%': body = `${fixedDigits(abs * 100, prec ?? 6)}%`; break;
      case 'e': case 'E': body = abs.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2'); if (type === 'E') body = body.toUpperCase(); break;
      case 'r': body = formatPyFloat(abs); break;
      default: {
        const g = abs.toPrecision(prec === 0 ? 1 : prec ?? 6);
        body = g.includes('e') ? g.replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2') : g.includes('.') ? g.replace(/\.?0+$/, '') : g;
        if (type === 'G') body = body.toUpperCase();
      }
    }
    if (grouping) {
      const [intPart = '', frac] = body.split('.');
      body = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac === undefined ? '' : `.${frac}`);
    }
  }
  const signText = !numeric || (type === 's') ? '' : neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  const align = alignChar ?? (zero ? '=' : numeric && type !== 's' ? '>' : '<');
  const len = Array.from(signText + body).length;
  const pad = Math.max(0, width - len);
  if (align === '<') return signText + body + fill.repeat(pad);
  if (align === '^') return fill.repeat(Math.floor(pad / 2)) + signText + body + fill.repeat(pad - Math.floor(pad / 2));
  if (align === '=') return signText + fill.repeat(pad) + body;
  return fill.repeat(pad) + signText + body;
}
