/**
 * The result of {@link pythonLiteral}: the value, or `undefined` when the text is not a Python literal.
 */
export type PythonLiteralResult = { value: unknown } | undefined;

type Tok =
  | { t: 'num'; v: number; imag: boolean }
  | { t: 'str'; v: string; bytes: boolean; f: boolean }
  | { t: 'name'; v: string }
  | { t: 'op'; v: string };

const NOT_LITERAL = Symbol('not a literal');

/**
 * Evaluates text as Python's `ast.literal_eval` does (Python 3.11), which Ansible's INI plugin
 * applies to inventory values.
 *
 * Numbers (`10`, `0x1F`, `1_000`, `1.5e3`; leading zeros such as `0644` are no number), strings
 * with prefixes and escapes (`'a'`, `"a"`, `r'\d'`, `b'x'`; adjacent strings join), `True`,
 * `False`, `None`, lists, tuples, dicts and sets, and a sign before a number. Tuples and sets
 * become arrays; bytes become text; dict keys become strings as Python's `json` writes them.
 * Returns `undefined` for anything else (a syntax error or a non-literal expression), where
 * Ansible keeps the raw text. Complex numbers are treated as non-literals (Ansible cannot print them).
 * See https://docs.python.org/3/library/ast.html#ast.literal_eval
 */
export function pythonLiteral(text: string): PythonLiteralResult {
  let toks: Tok[];
  try {
    toks = tokenize(text.replace(/^[ \t]+/, ''));
  } catch {
    return undefined;
  }
  if (toks.length === 0) return undefined;
  const p = new Parser(toks);
  try {
    const v = p.exprList();
    if (!p.done()) return undefined;
    return { value: v };
  } catch (e) {
    if (e === NOT_LITERAL) return undefined;
    throw e;
  }
}

const ID_START = /[\p{L}\p{Nl}_]/u;
const ID_CONT = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t' || c === '\f' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '#') break;
    if (c === '\\') throw NOT_LITERAL;
    // string with optional prefix
    const sm = /^([rRbBuUfF]{0,2})(['"])/.exec(s.slice(i));
    if (sm && validPrefix(sm[1] as string)) {
      const prefix = (sm[1] as string).toLowerCase();
      i += prefix.length;
      const [tok, next] = readString(s, i, prefix);
      out.push(tok);
      i = next;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      const [tok, next] = readNumber(s, i);
      out.push(tok);
      i = next;
      continue;
    }
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < s.length && ID_CONT.test(s[j] as string)) j++;
      out.push({ t: 'name', v: s.slice(i, j) });
      i = j;
      continue;
    }
    const three = s.slice(i, i + 3);
    if (three === '...' || three === '**=' || three === '//=' || three === '>>=' || three === '<<=') { out.push({ t: 'op', v: three }); i += 3; continue; }
    const two = s.slice(i, i + 2);
    if (['**', '//', '<<', '>>', '<=', '>=', '==', '!=', '->', ':=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='].includes(two)) { out.push({ t: 'op', v: two }); i += 2; continue; }
    if ('()[]{},:;.+-*/%<>=&|^~@'.includes(c)) { out.push({ t: 'op', v: c }); i++; continue; }
    throw NOT_LITERAL;
  }
  checkBrackets(out);
  return out;
}

function checkBrackets(toks: Tok[]): void {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const t of toks) {
    if (t.t !== 'op') continue;
    if ('([{'.includes(t.v)) stack.push(t.v);
    else if (t.v in pairs && stack.pop() !== pairs[t.v]) throw NOT_LITERAL;
  }
  if (stack.length > 0) throw NOT_LITERAL;
}

function validPrefix(p: string): boolean {
  const l = p.toLowerCase();
  return ['', 'r', 'u', 'b', 'f', 'br', 'rb', 'fr', 'rf'].includes(l);
}

function readString(s: string, i: number, prefix: string): [Tok, number] {
  const q = s[i] as string;
  const triple = s.slice(i, i + 3) === q.repeat(3);
  const delim = triple ? q.repeat(3) : q;
  let j = i + delim.length;
  let raw = '';
  for (;;) {
    if (j >= s.length) throw NOT_LITERAL;
    if (s.startsWith(delim, j)) { j += delim.length; break; }
    const c = s[j] as string;
    if (c === '\\') {
      if (j + 1 >= s.length) throw NOT_LITERAL;
      raw += c + (s[j + 1] as string);
      j += 2;
      continue;
    }
    if (!triple && c === '\n') throw NOT_LITERAL;
    raw += c;
    j++;
  }
  const bytes = prefix.includes('b');
  const f = prefix.includes('f');
  const isRaw = prefix.includes('r');
  if (bytes && /[^\x00-\x7f]/.test(raw)) throw NOT_LITERAL;
  return [{ t: 'str', v: isRaw ? raw : unescape(raw, bytes), bytes, f }, j];
}

function unescape(raw: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '\\') { out += c; continue; }
    const n = raw[i + 1] as string;
    i++;
    const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (n in simple) { out += simple[n]; continue; }
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i)) as RegExpExecArray;
      out += String.fromCodePoint(Number.parseInt(m[0], 8));
      i += m[0].length - 1;
      continue;
    }
    const hexLen = n === 'x' ? 2 : !bytes && n === 'u' ? 4 : !bytes && n === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const h = raw.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) throw NOT_LITERAL;
      const cp = Number.parseInt(h, 16);
      if (cp > 0x10ffff) throw NOT_LITERAL;
      out += String.fromCodePoint(cp);
      i += hexLen;
      continue;
    }
    if (!bytes && n === 'N') throw NOT_LITERAL; // named escapes are not supported here
    out += '\\' + n;
  }
  return out;
}

const DIGITS = String.raw`[0-9](?:_?[0-9])*`;
const NUMBER_RES: Array<[RegExp, (m: string) => number, boolean]> = [
  [/^0[xX](?:_?[0-9a-fA-F])+/, (m) => Number.parseInt(m.slice(2).replace(/_/g, ''), 16), false],
  [/^0[oO](?:_?[0-7])+/, (m) => Number.parseInt(m.slice(2).replace(/_/g, ''), 8), false],
  [/^0[bB](?:_?[01])+/, (m) => Number.parseInt(m.slice(2).replace(/_/g, ''), 2), false],
  [new RegExp(String.raw`^(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.)(?:[eE][-+]?${DIGITS})?|^${DIGITS}[eE][-+]?${DIGITS}`), (m) => Number.parseFloat(m.replace(/_/g, '')), true],
  [/^(?:[1-9](?:_?[0-9])*|0(?:_?0)*)/, (m) => Number.parseInt(m.replace(/_/g, ''), 10), false],
];

function readNumber(s: string, i: number): [Tok, number] {
  const rest = s.slice(i);
  for (const [re, conv] of NUMBER_RES) {
    const m = re.exec(rest);
    if (!m) continue;
    let j = i + m[0].length;
    let imag = false;
    if (s[j] === 'j' || s[j] === 'J') { imag = true; j++; }
    // Python rejects a number directly followed by a name character or another digit ("0644", "1abc").
    if (j < s.length && (ID_CONT.test(s[j] as string) || s[j] === '.')) throw NOT_LITERAL;
    return [{ t: 'num', v: conv(m[0]), imag }, j];
  }
  throw NOT_LITERAL;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private expect(v: string): void {
    if (!this.isOp(v)) throw NOT_LITERAL;
    this.i++;
  }

  /** `a` or `a, b, ...` (a bare tuple, allowed at the top as in `ast.parse(mode='eval')`). */
  exprList(): unknown {
    const first = this.atom();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      if (this.done() || this.isOp(')') || this.isOp(']') || this.isOp('}')) break;
      items.push(this.atom());
    }
    return items;
  }

  private atom(): unknown {
    const t = this.peek();
    if (!t) throw NOT_LITERAL;
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      this.i++;
      const n = this.signedOperand();
      return t.v === '-' ? -n : n;
    }
    if (t.t === 'num') {
      this.i++;
      if (t.imag) throw NOT_LITERAL;
      this.rejectBinOp();
      return t.v;
    }
    if (t.t === 'str') {
      let bytes = t.bytes;
      let f = t.f;
      let v = t.v;
      this.i++;
      for (let n = this.peek(); n && n.t === 'str'; n = this.peek()) {
        if (n.bytes !== bytes) throw NOT_LITERAL; // mixing bytes and str is a SyntaxError
        v += n.v;
        f = f || n.f;
        bytes = n.bytes;
        this.i++;
      }
      if (f) throw NOT_LITERAL;
      this.rejectBinOp();
      return v;
    }
    if (t.t === 'name') {
      this.i++;
      if (t.v === 'set' && this.isOp('(')) {
        this.i++;
        this.expect(')');
        return [];
      }
      const kw: Record<string, unknown> = { True: true, False: false, None: null };
      if (!(t.v in kw)) throw NOT_LITERAL;
      this.rejectBinOp();
      return kw[t.v];
    }
    if (t.v === '(') {
      this.i++;
      if (this.isOp(')')) { this.i++; return []; }
      const first = this.atom();
      if (this.isOp(')')) { this.i++; this.rejectBinOp(); return first; }
      const items = [first];
      while (this.isOp(',')) {
        this.i++;
        if (this.isOp(')')) break;
        items.push(this.atom());
      }
      this.expect(')');
      return items;
    }
    if (t.v === '[') {
      this.i++;
      const items: unknown[] = [];
      while (!this.isOp(']')) {
        items.push(this.atom());
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expect(']');
      return items;
    }
    if (t.v === '{') {
      this.i++;
      if (this.isOp('}')) { this.i++; return {}; }
      const firstKey = this.atom();
      if (this.isOp(':')) {
        const out: Record<string, unknown> = {};
        let key = firstKey;
        for (;;) {
          this.expect(':');
          out[jsonKey(key)] = this.atom();
          if (!this.isOp(',')) break;
          this.i++;
          if (this.isOp('}')) break;
          key = this.atom();
        }
        this.expect('}');
        return out;
      }
      const items = [firstKey];
      while (this.isOp(',')) {
        this.i++;
        if (this.isOp('}')) break;
        items.push(this.atom());
      }
      this.expect('}');
      return items;
    }
    throw NOT_LITERAL;
  }

  /** The operand of a unary sign: only a plain number (possibly in parentheses) is allowed. */
  private signedOperand(): number {
    let parens = 0;
    while (this.isOp('(')) { this.i++; parens++; }
    const t = this.peek();
    if (!t || t.t !== 'num' || t.imag) throw NOT_LITERAL;
    this.i++;
    for (; parens > 0; parens--) this.expect(')');
    this.rejectBinOp();
    return t.v;
  }

  /** A binary operator after a literal makes the whole a non-literal (Ansible keeps the text). */
  private rejectBinOp(): void {
    const t = this.peek();
    if (t && !(t.t === 'op' && [',', ')', ']', '}', ':'].includes(t.v))) throw NOT_LITERAL;
  }
}

/** A dict key as Python's `json` module writes it. */
function jsonKey(k: unknown): string {
  if (k === null) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'string') return k;
  if (typeof k === 'number') return Number.isInteger(k) && !Object.is(k, -0) ? String(k) : pythonFloatRepr(k);
  throw NOT_LITERAL; // unhashable key: Ansible fails on it
}

function pythonFloatRepr(n: number): string {
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
