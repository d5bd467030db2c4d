/**
 * The tokens of a Jinja2 template, as Jinja2 3.1's lexer produces them (`jinja2/lexer.py`):
 * template data, `{{ }}`, `{% %}` and `{# #}` with Jinja2's whitespace control (`-` strips, `+`
 * keeps, `trim_blocks` removes the newline after a block or comment tag, `lstrip_blocks` the
 * indentation before one), `{% raw %}`, brackets balanced inside tags, and Python literals.
 * Line numbers are 1-based, as in Jinja2's messages.
 */

/** A token: `type` is Jinja2's token name (`data`, `name`, `string`, `integer`, `add`, `block_end`, ...). */
export interface JinjaToken {
  type: string;
  value: string | number | bigint;
  lineno: number;
  /** For a float: the literal as written (`2.0`), so it stays a float. */
  raw?: string;
}

/** A syntax error with Jinja2's message and the 1-based line it names. */
export class TemplateSyntaxError extends Error {
  readonly lineno: number;
  constructor(message: string, lineno: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.lineno = lineno;
  }
}

/** Lexer settings that Ansible's environment (or a `#jinja2:` header line) sets. */
export interface LexerOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
}

const OPERATORS: Record<string, string> = {
  '+': 'add', '-': 'sub', '/': 'div', '//': 'floordiv', '*': 'mul', '%': 'mod', '**': 'pow', '~': 'tilde',
  '[': 'lbracket', ']': 'rbracket', '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace',
  '==': 'eq', '!=': 'ne', '>': 'gt', '>=': 'gteq', '<': 'lt', '<=': 'lteq', '=': 'assign', '.': 'dot',
  ':': 'colon', '|': 'pipe', ',': 'comma', ';': 'semicolon',
};

const WHITESPACE = /\s+/y;
const FLOAT = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INTEGER = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OPERATOR = /\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}><=.:|,;]/y;
const RAW_BEGIN = /\{%([-+]?)\s*raw\s*(?:-%\}\s*|%\})/y;

function at(re: RegExp, s: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(s);
}

function pythonRepr(ch: string): string {
  return ch === "'" ? '"\'"' : `'${ch}'`;
}

/** Python's `unicode-escape` decoding of a string literal's body (`\n`, `\x41`, `\u00e9`, `\N{...}` is kept). */
export function decodeStringEscapes(body: string, lineno: number): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[++i]!;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (next in simple) out += simple[next];
    else if (next === 'x' || next === 'u' || next === 'U') {
      const len = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) {
        throw new TemplateSyntaxError(`truncated \\${next}${'X'.repeat(len)} escape`, lineno);
      }
      out += String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(next)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCodePoint(parseInt(m, 8));
      i += m.length - 1;
    } else out += `\\${next}`;
  }
  return out;
}

/**
 * Splits template source (newlines already `\n`, one final newline already dropped) into tokens.
 *
 * @throws TemplateSyntaxError with Jinja2's message: `unexpected char '?' at 3`,
 *   `Missing end of comment tag`, `unexpected '}'`, `unexpected ')', expected ']'`.
 */
export function tokenize(source: string, options: LexerOptions): JinjaToken[] {
  const tokens: JinjaToken[] = [];
  let pos = 0;
  let lineno = 1;
  let lineStarting = true;
  const n = source.length;

  const pushData = (text: string, extraNewlines = 0): void => {
    if (text !== '') tokens.push({ type: 'data', value: text, lineno });
    lineno += count(text) + extraNewlines;
  };

  while (pos < n) {
    // Root state: text up to the next tag.
    let start = -1;
    for (let i = source.indexOf('{', pos); i >= 0 && i + 1 < n; i = source.indexOf('{', i + 1)) {
      const c = source[i + 1];
      if (c === '{' || c === '%' || c === '#') {
        start = i;
        break;
      }
    }
    if (start < 0) {
      pushData(source.slice(pos));
      pos = n;
      break;
    }
    let text = source.slice(pos, start);
    const raw = source[start + 1] === '%' ? at(RAW_BEGIN, source, start) : null;
    const kind = raw ? 'raw' : source[start + 1] === '{' ? 'variable' : source[start + 1] === '%' ? 'block' : 'comment';
    const sign = raw ? raw[1]! : source[start + 2] === '-' || source[start + 2] === '+' ? source[start + 2]! : '';
    let stripped = 0;
    if (sign === '-') {
      const t = text.replace(/\s+$/u, '');
      stripped = count(text.slice(t.length));
      text = t;
    } else if (sign !== '+' && options.lstripBlocks && kind !== 'variable') {
      const lPos = text.lastIndexOf('\n') + 1;
      if ((lPos > 0 || lineStarting) && /^\s+$/u.test(text.slice(lPos))) text = text.slice(0, lPos);
    }
    pushData(text, stripped);

    if (kind === 'raw') {
      const beginText = raw![0];
      lineno += count(beginText);
      pos = start + beginText.length;
      const end = /\{%([-+]?)\s*endraw\s*(\+%\}|-%\}\s*|%\}\n?)/g;
      end.lastIndex = pos;
      const m = end.exec(source);
      if (!m) throw new TemplateSyntaxError('Missing end of raw directive', lineno);
      let body = source.slice(pos, m.index);
      if (m[1] === '-') body = body.replace(/\s+$/u, '');
      else if (m[1] !== '+' && options.lstripBlocks) {
        const lPos = body.lastIndexOf('\n') + 1;
        if (lPos > 0 && /^\s+$/u.test(body.slice(lPos))) body = body.slice(0, lPos);
      }
      const endText = m[2]!.startsWith('%') && !options.trimBlocks ? '%}' : m[2]!;
      const consumed = m.index + m[0].length - (m[2]!.length - endText.length);
      if (body !== '') tokens.push({ type: 'data', value: body, lineno });
      lineno += count(source.slice(pos, consumed));
      pos = consumed;
      lineStarting = source[pos - 1] === '\n';
      continue;
    }

    const beginLen = 2 + (sign === '' ? 0 : 1);
    if (kind === 'comment') {
      const close = source.indexOf('#}', start + beginLen);
      if (close < 0) throw new TemplateSyntaxError('Missing end of comment tag', lineno);
      const mark = close > start + beginLen - 1 ? source[close - 1] : '';
      let stop = close + 2;
      if (mark === '-') stop = skipWhitespace(source, stop);
      else if (mark !== '+' && options.trimBlocks && source[stop] === '\n') stop++;
      lineno += count(source.slice(start, stop));
      lineStarting = source[stop - 1] === '\n';
      pos = stop;
      continue;
    }

    tokens.push({ type: kind === 'variable' ? 'variable_begin' : 'block_begin', value: '', lineno });
    pos = start + beginLen;
    const balancing: string[] = [];
    for (;;) {
      if (pos >= n) {
        // Jinja2 stops here; the parser reports the missing end tag.
        tokens.push({ type: 'eof', value: '', lineno });
        return tokens;
      }
      if (balancing.length === 0) {
        if (kind === 'variable') {
          if (source.startsWith('-}}', pos)) {
            tokens.push({ type: 'variable_end', value: '', lineno });
            const stop = skipWhitespace(source, pos + 3);
            lineno += count(source.slice(pos, stop));
            pos = stop;
            break;
          }
          if (source.startsWith('}}', pos)) {
            tokens.push({ type: 'variable_end', value: '', lineno });
            pos += 2;
            break;
          }
        } else {
          let stop = -1;
          if (source.startsWith('+%}', pos)) stop = pos + 3;
          else if (source.startsWith('-%}', pos)) stop = skipWhitespace(source, pos + 3);
          else if (source.startsWith('%}', pos)) stop = pos + 2 + (options.trimBlocks && source[pos + 2] === '\n' ? 1 : 0);
          if (stop >= 0) {
            tokens.push({ type: 'block_end', value: '', lineno });
            lineno += count(source.slice(pos, stop));
            pos = stop;
            break;
          }
        }
      }
      let m: RegExpExecArray | null;
      if ((m = at(WHITESPACE, source, pos))) {
        lineno += count(m[0]);
      } else if (source[pos - 1] !== '.' && (m = at(FLOAT, source, pos))) {
        tokens.push({ type: 'float', value: Number(m[0].replace(/_/g, '')), lineno, raw: m[0] });
      } else if ((m = at(INTEGER, source, pos))) {
        const digits = m[0].replace(/_/g, '');
        const big = BigInt(digits);
        tokens.push({ type: 'integer', value: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, lineno });
      } else if ((m = at(NAME, source, pos))) {
        tokens.push({ type: 'name', value: m[0], lineno });
      } else if ((m = at(STRING, source, pos))) {
        const body = (m[1] ?? m[2] ?? '').replace(/\r\n|\r/g, '\n');
        tokens.push({ type: 'string', value: decodeStringEscapes(body, lineno), lineno });
        lineno += count(m[0]);
      } else if ((m = at(OPERATOR, source, pos))) {
        const op = m[0];
        if (op === '{') balancing.push('}');
        else if (op === '(') balancing.push(')');
        else if (op === '[') balancing.push(']');
        else if (op === '}' || op === ')' || op === ']') {
          if (balancing.length === 0) throw new TemplateSyntaxError(`unexpected '${op}'`, lineno);
          const expected = balancing.pop();
          if (expected !== op) throw new TemplateSyntaxError(`unexpected '${op}', expected '${expected!}'`, lineno);
        }
        tokens.push({ type: OPERATORS[op]!, value: op, lineno });
      } else {
        throw new TemplateSyntaxError(`unexpected char ${pythonRepr(source[pos]!)} at ${pos}`, lineno);
      }
      pos += m[0].length;
    }
    lineStarting = source[pos - 1] === '\n';
  }
  // Jinja2's TokenStream makes the end token with the line of the last token (where it starts).
  tokens.push({ type: 'eof', value: '', lineno: tokens[tokens.length - 1]?.lineno ?? lineno });
  return tokens;
}

function count(s: string): number {
  let c = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) c++;
  return c;
}

function skipWhitespace(s: string, pos: number): number {
  WHITESPACE.lastIndex = pos;
  const m = WHITESPACE.exec(s);
  return m ? pos + m[0].length : pos;
}
