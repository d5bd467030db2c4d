import { PyFloat, isDict, isNumber, isTuple, num } from './python-value.js';
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
        if ('diu'.includes(conv)) body = String(Math.trunc(abs));
        else if (conv === 'o') body = (flags.includes('#') ? '0o' : '') + Math.trunc(abs).toString(8);
        else if (conv === 'x') body = (flags.includes('#') ? '0x' : '') + Math.trunc(abs).toString(16);
        else if (conv === 'X') body = (flags.includes('#') ? '0X' : '') + Math.trunc(abs).toString(16).toUpperCase();
        else if (conv === 'f' || conv === 'F') body = abs.toFixed(p ?? 6);
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
