/**
 * Makes nested `}}` inside an expression safe for nunjucks' lexer: Jinja2 balances brackets, so
 * `{{ a | combine({'x': {'y': 1}}) }}` ends at the last `}}`, but nunjucks ends the variable at
 * the first one. Inside `{{ }}` and `{% %}`, a `}` closing a bracket that is followed by `}` gets
 * a space after it (`} }`), which changes nothing in the expression. Strings are left alone.
 * Source: Jinja2 `lexer.py` (balancing of `{`, `[`, `(` inside expressions).
 */
export function balanceBraces(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const start = source.indexOf('{', i);
    if (start < 0 || start + 1 >= source.length) return out + source.slice(i);
    const opener = source[start + 1];
    if (opener === '#') {
      const close = source.indexOf('#}', start + 2);
      const stop = close < 0 ? source.length : close + 2;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (opener !== '{' && opener !== '%') {
      out += source.slice(i, start + 1);
      i = start + 1;
      continue;
    }
    if (opener === '%' && /^\{%-?\s*raw\s*-?%\}/.test(source.slice(start))) {
      const m = /\{%-?\s*endraw\s*-?%\}/g;
      m.lastIndex = start;
      const end = m.exec(source);
      const stop = end ? end.index + end[0].length : source.length;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    const closer = opener === '{' ? '}' : '%';
    out += source.slice(i, start + 2);
    let j = start + 2;
    let depth = 0;
    let quote: string | null = null;
    for (; j < source.length; j++) {
      const ch = source[j] ?? '';
      if (quote !== null) {
        out += ch;
        if (ch === '\\') { out += source[j + 1] ?? ''; j++; }
        else if (ch === quote) quote = null;
        continue;
      }
      if (ch === "'" || ch === '"') { quote = ch; out += ch; continue; }
      if (depth === 0 && ch === closer && source[j + 1] === '}') { out += ch + '}'; j += 2; break; }
      if (depth === 0 && ch === '-' && source[j + 1] === closer && source[j + 2] === '}') { out += '-' + closer + '}'; j += 3; break; }
      if (ch === '{' || ch === '[' || ch === '(') depth++;
      else if (ch === '}' || ch === ']' || ch === ')') {
        depth = Math.max(0, depth - 1);
        out += ch;
        if (ch === '}' && source[j + 1] === '}') out += ' ';
        continue;
      }
      out += ch;
    }
    i = j;
  }
  return out;
}
