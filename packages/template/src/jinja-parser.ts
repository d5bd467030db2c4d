import { TemplateSyntaxError, tokenize, type JinjaToken, type LexerOptions } from './jinja-lexer.js';
import { nunjucksInternals, type NunjucksNode } from './nunjucks-internals.js';

/**
 * Jinja2 3.1's grammar (`jinja2/parser.py`), producing nunjucks' AST so that nunjucks' compiler
 * and runtime keep doing the code generation, scoping, inheritance and includes. nunjucks' own
 * parser differs from Jinja2 where templates notice (operator precedence, tests with arguments,
 * tuples, `recursive` loops, `{% with %}`, `{% filter %}` arguments, macro `varargs`/`kwargs`,
 * Python literals, error messages), so this one replaces it. The nodes nunjucks lacks are
 * {@link JINJA_NODE_TYPES}, compiled by `compiler.ts`.
 */

type NodeCtor = new (lineno: number, colno: number, ...fields: unknown[]) => NunjucksNode;

/** The node types added to nunjucks' AST (typename → fields). */
export const JINJA_NODE_TYPES = {
  PyTest: ['target', 'name', 'args'],
  PySlice: ['target', 'start', 'stop', 'step'],
  PyTuple: ['children'],
  PyCondExpr: ['cond', 'body', 'else_'],
  PyFor: ['targets', 'iter', 'body', 'else_', 'test', 'recursive'],
  PyMacro: ['name', 'params', 'defaults', 'body', 'uses'],
  PyCallBlock: ['call', 'params', 'defaults', 'body', 'uses'],
  PyFilterBlock: ['filter', 'body'],
  PySet: ['targets', 'value', 'body', 'filter'],
  PyNsSet: ['ns', 'attr', 'value'],
  PyWith: ['targets', 'values', 'body'],
  PyAutoescape: ['value', 'body'],
  PyCall: ['callee', 'args', 'kwargs', 'dynArgs', 'dynKwargs'],
  PyFilter: ['target', 'name', 'args', 'kwargs'],
} as const;

let nodeClasses: Record<string, NodeCtor> | undefined;

/** The nunjucks node classes plus {@link JINJA_NODE_TYPES}, created on first use. */
export function jinjaNodeClasses(): Record<string, NodeCtor> {
  if (nodeClasses) return nodeClasses;
  const base = nunjucksInternals().nodes as unknown as Record<string, NodeCtor & { extend(name: string, props: object): NodeCtor }>;
  const out: Record<string, NodeCtor> = { ...base };
  for (const [name, fields] of Object.entries(JINJA_NODE_TYPES)) out[name] = base.Node!.extend(name, { fields: [...fields] });
  nodeClasses = out;
  return out;
}

const STATEMENT_KEYWORDS = new Set(['for', 'if', 'block', 'extends', 'print', 'macro', 'include', 'from', 'import', 'set', 'with', 'autoescape']);
const COMPARE: Record<string, string> = { eq: '==', ne: '!=', lt: '<', lteq: '<=', gt: '>', gteq: '>=' };
const MATH2: Record<string, string> = { mul: 'Mul', div: 'Div', floordiv: 'FloorDiv', mod: 'Mod' };

const DESCRIBE: Record<string, string> = {
  add: '+', sub: '-', div: '/', floordiv: '//', mul: '*', mod: '%', pow: '**', tilde: '~', lbracket: '[', rbracket: ']',
  lparen: '(', rparen: ')', lbrace: '{', rbrace: '}', eq: '==', ne: '!=', gt: '>', gteq: '>=', lt: '<', lteq: '<=',
  assign: '=', dot: '.', colon: ':', pipe: '|', comma: ',', semicolon: ';',
  comment_begin: 'begin of comment', comment_end: 'end of comment', comment: 'comment', block_begin: 'begin of statement block',
  block_end: 'end of statement block', variable_begin: 'begin of print statement', variable_end: 'end of print statement',
  data: 'template data / text', eof: 'end of template',
};

function describeToken(t: JinjaToken): string {
  return t.type === 'name' ? String(t.value) : (DESCRIBE[t.type] ?? t.type);
}

function describeExpr(expr: string): string {
  const i = expr.indexOf(':');
  if (i >= 0 && expr.slice(0, i) === 'name') return expr.slice(i + 1);
  return DESCRIBE[expr] ?? expr;
}

function pyQuote(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s}'`;
}

/** Parses Jinja2 source into a nunjucks `Root` node. @throws TemplateSyntaxError with Jinja2's message and line. */
export function parseJinja(source: string, options: LexerOptions): NunjucksNode {
  return new JinjaParser(tokenize(source, options)).parseRoot();
}

class JinjaParser {
  private pos = 0;
  private readonly n = jinjaNodeClasses();
  private readonly tagStack: string[] = [];
  private readonly endTokenStack: string[][] = [];

  constructor(private readonly tokens: JinjaToken[]) {}

  // --- token stream ---
  private get cur(): JinjaToken {
    return this.tokens[this.pos]!;
  }
  private look(): JinjaToken {
    return this.tokens[Math.min(this.pos + 1, this.tokens.length - 1)]!;
  }
  private next(): JinjaToken {
    const t = this.cur;
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private test(t: JinjaToken, expr: string): boolean {
    const i = expr.indexOf(':');
    if (i < 0) return t.type === expr;
    return t.type === expr.slice(0, i) && t.value === expr.slice(i + 1);
  }
  private testAny(t: JinjaToken, exprs: readonly string[]): boolean {
    return exprs.some((e) => this.test(t, e));
  }
  private skipIf(expr: string): boolean {
    if (this.test(this.cur, expr)) {
      this.next();
      return true;
    }
    return false;
  }
  private expect(expr: string): JinjaToken {
    if (!this.test(this.cur, expr)) {
      const d = describeExpr(expr);
      if (this.cur.type === 'eof') this.fail(`unexpected end of template, expected ${pyQuote(d)}.`);
      this.fail(`expected token ${pyQuote(d)}, got ${pyQuote(describeToken(this.cur))}`);
    }
    return this.next();
  }
  private fail(message: string, lineno = this.cur.lineno): never {
    throw new TemplateSyntaxError(message, lineno);
  }

  private failUtEof(name: string | null, stack: string[][], lineno: number): never {
    const expected = new Set<string>();
    for (const exprs of stack) for (const e of exprs) expected.add(describeExpr(e));
    const looking = stack.length > 0 ? stack[stack.length - 1]!.map((e) => `'${describeExpr(e)}'`).join(' or ') : null;
    const message = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag '${name}'.`];
    if (looking) {
      if (name !== null && expected.has(name)) message.push(`You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`);
      else message.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    if (this.tagStack.length > 0) message.push(`The innermost block that needs to be closed is '${this.tagStack[this.tagStack.length - 1]!}'.`);
    this.fail(message.join(' '), lineno);
  }

  // --- nodes ---
  private node(type: string, lineno: number, ...fields: unknown[]): NunjucksNode {
    return new this.n[type]!(lineno - 1, 0, ...fields);
  }
  private list(lineno: number, children: NunjucksNode[]): NunjucksNode {
    return this.node('NodeList', lineno, children);
  }

  // --- statements ---
  parseRoot(): NunjucksNode {
    const body = this.subparse(null);
    return this.node('Root', 1, body);
  }

  private subparse(endTokens: string[] | null): NunjucksNode[] {
    const body: NunjucksNode[] = [];
    let data: NunjucksNode[] = [];
    const flush = (): void => {
      if (data.length > 0) body.push(this.node('Output', data[0]!.lineno + 1, data));
      data = [];
    };
    if (endTokens) this.endTokenStack.push(endTokens);
    try {
      while (this.cur.type !== 'eof') {
        const t = this.cur;
        if (t.type === 'data') {
          data.push(this.node('TemplateData', t.lineno, String(t.value)));
          this.next();
        } else if (t.type === 'variable_begin') {
          this.next();
          data.push(this.parseTuple({ withCondexpr: true }));
          this.expect('variable_end');
        } else if (t.type === 'block_begin') {
          flush();
          this.next();
          if (endTokens && this.testAny(this.cur, endTokens)) return body;
          const rv = this.parseStatement();
          if (Array.isArray(rv)) body.push(...rv);
          else body.push(rv);
          this.expect('block_end');
        } else {
          throw new Error(`internal parsing error: ${t.type}`);
        }
      }
      flush();
      return body;
    } finally {
      if (endTokens) this.endTokenStack.pop();
    }
  }

  private parseStatement(): NunjucksNode | NunjucksNode[] {
    const t = this.cur;
    if (t.type !== 'name') this.fail('tag name expected', t.lineno);
    const name = String(t.value);
    this.tagStack.push(name);
    let pop = true;
    try {
      switch (name) {
        case 'for': return this.parseFor();
        case 'if': return this.parseIf();
        case 'block': return this.parseBlock();
        case 'extends': return this.parseExtends();
        case 'print': return this.parsePrint();
        case 'macro': return this.parseMacro();
        case 'include': return this.parseInclude();
        case 'from': return this.parseFrom();
        case 'import': return this.parseImport();
        case 'set': return this.parseSet();
        case 'with': return this.parseWith();
        case 'autoescape': return this.parseAutoescape();
        case 'call': return this.parseCallBlock();
        case 'filter': return this.parseFilterBlock();
        default:
          if (STATEMENT_KEYWORDS.has(name)) throw new Error('unreachable');
          this.tagStack.pop();
          pop = false;
          return this.failUtEof(name, this.endTokenStack, t.lineno);
      }
    } finally {
      if (pop) this.tagStack.pop();
    }
  }

  private parseStatements(endTokens: string[], dropNeedle = false): NunjucksNode[] {
    this.skipIf('colon');
    this.expect('block_end');
    const result = this.subparse(endTokens);
    if (this.cur.type === 'eof') this.failUtEof(null, [...this.endTokenStack, endTokens], this.cur.lineno);
    if (dropNeedle) this.next();
    return result;
  }

  private parseSet(): NunjucksNode {
    const lineno = this.next().lineno;
    if (this.cur.type === 'name' && this.look().type === 'dot') {
      const ns = this.expect('name');
      this.next();
      const attr = this.expect('name');
      this.expect('assign');
      return this.node('PySet', lineno, [this.node('PyNsSet', lineno, String(ns.value), String(attr.value), null)], this.parseTuple({}), null, null);
    }
    const target = this.parseAssignTarget({});
    if (this.skipIf('assign')) return this.node('PySet', lineno, target, this.parseTuple({}), null, null);
    const filter = this.parseFilter(null);
    const body = this.parseStatements(['name:endset'], true);
    return this.node('PySet', lineno, target, null, this.list(lineno, body), filter);
  }

  private parseFor(): NunjucksNode {
    const lineno = this.expect('name:for').lineno;
    const target = this.parseAssignTarget({ extraEndRules: ['name:in'] });
    this.expect('name:in');
    const iter = this.parseTuple({ withCondexpr: false, extraEndRules: ['name:recursive'] });
    const test = this.skipIf('name:if') ? this.parseExpression() : null;
    const recursive = this.skipIf('name:recursive');
    const body = this.parseStatements(['name:endfor', 'name:else']);
    let elseBody: NunjucksNode[] = [];
    if (String(this.next().value) !== 'endfor') elseBody = this.parseStatements(['name:endfor'], true);
    return this.node('PyFor', lineno, target, iter, this.list(lineno, body), this.list(lineno, elseBody), test, recursive);
  }

  private parseIf(): NunjucksNode {
    const lineno = this.expect('name:if').lineno;
    const cond = this.parseTuple({ withCondexpr: false });
    const body = this.parseStatements(['name:elif', 'name:else', 'name:endif']);
    const root = this.node('If', lineno, cond, this.list(lineno, body), null);
    let node = root;
    for (;;) {
      const t = this.next();
      if (t.value === 'elif') {
        const c = this.parseTuple({ withCondexpr: false });
        const b = this.parseStatements(['name:elif', 'name:else', 'name:endif']);
        const elif = this.node('If', t.lineno, c, this.list(t.lineno, b), null);
        node.else_ = this.list(t.lineno, [elif]);
        node = elif;
        continue;
      }
      if (t.value === 'else') node.else_ = this.list(t.lineno, this.parseStatements(['name:endif'], true));
      break;
    }
    return root;
  }

  private parseWith(): NunjucksNode {
    const lineno = this.next().lineno;
    const targets: NunjucksNode[] = [];
    const values: NunjucksNode[] = [];
    while (this.cur.type !== 'block_end') {
      if (targets.length > 0) this.expect('comma');
      targets.push(this.parseAssignTarget({}));
      this.expect('assign');
      values.push(this.parseExpression());
    }
    const body = this.parseStatements(['name:endwith'], true);
    return this.node('PyWith', lineno, targets, values, this.list(lineno, body));
  }

  private parseAutoescape(): NunjucksNode {
    const lineno = this.next().lineno;
    const value = this.parseExpression();
    const body = this.parseStatements(['name:endautoescape'], true);
    return this.node('PyAutoescape', lineno, value, this.list(lineno, body));
  }

  private parseBlock(): NunjucksNode {
    const lineno = this.next().lineno;
    const name = this.expect('name');
    this.skipIf('name:scoped');
    this.skipIf('name:required');
    if (this.cur.type === 'sub') this.fail('Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.');
    const body = this.parseStatements(['name:endblock'], true);
    this.skipIf(`name:${String(name.value)}`);
    return this.node('Block', lineno, this.node('Symbol', lineno, String(name.value)), this.list(lineno, body));
  }

  private parseExtends(): NunjucksNode {
    const lineno = this.next().lineno;
    return this.node('Extends', lineno, this.parseExpression());
  }

  private parseImportContext(node: NunjucksNode, dflt: boolean): NunjucksNode {
    if (this.testAny(this.cur, ['name:with', 'name:without']) && this.test(this.look(), 'name:context')) {
      node.withContext = this.next().value === 'with';
      this.next();
    } else node.withContext = dflt;
    return node;
  }

  private parseInclude(): NunjucksNode {
    const lineno = this.next().lineno;
    const template = this.parseExpression();
    let ignoreMissing = false;
    if (this.test(this.cur, 'name:ignore') && this.test(this.look(), 'name:missing')) {
      ignoreMissing = true;
      this.next();
      this.next();
    }
    return this.parseImportContext(this.node('Include', lineno, template, ignoreMissing), true);
  }

  private parseImport(): NunjucksNode {
    const lineno = this.next().lineno;
    const template = this.parseExpression();
    this.expect('name:as');
    const target = this.expect('name');
    return this.parseImportContext(this.node('Import', lineno, template, this.node('Symbol', lineno, String(target.value)), false), false);
  }

  private parseFrom(): NunjucksNode {
    const lineno = this.next().lineno;
    const template = this.parseExpression();
    this.expect('name:import');
    const names: NunjucksNode[] = [];
    const node = this.node('FromImport', lineno, template, this.list(lineno, names), false);
    node.withContext = false;
    const contextFollows = (): boolean => {
      if ((this.cur.value === 'with' || this.cur.value === 'without') && this.test(this.look(), 'name:context')) {
        node.withContext = this.next().value === 'with';
        this.next();
        return true;
      }
      return false;
    };
    for (;;) {
      if (names.length > 0) this.expect('comma');
      if (this.cur.type === 'name') {
        if (contextFollows()) break;
        const t = this.expect('name');
        if (String(t.value).startsWith('_')) this.fail('names starting with an underline can not be imported', t.lineno);
        if (this.skipIf('name:as')) {
          const alias = this.expect('name');
          names.push(this.node('Pair', t.lineno, this.node('Symbol', t.lineno, String(t.value)), this.node('Symbol', alias.lineno, String(alias.value))));
        } else names.push(this.node('Symbol', t.lineno, String(t.value)));
        if (contextFollows() || (this.cur as JinjaToken).type !== 'comma') break;
      } else this.expect('name');
    }
    (node.names as NunjucksNode).children = names;
    return node;
  }

  private parseSignature(): { params: string[]; defaults: NunjucksNode[] } {
    const params: string[] = [];
    const defaults: NunjucksNode[] = [];
    this.expect('lparen');
    while (this.cur.type !== 'rparen') {
      if (params.length > 0) this.expect('comma');
      const arg = this.expect('name');
      if (this.skipIf('assign')) defaults.push(this.parseExpression());
      else if (defaults.length > 0) this.fail('non-default argument follows default argument');
      params.push(String(arg.value));
    }
    this.expect('rparen');
    return { params, defaults };
  }

  private parseCallBlock(): NunjucksNode {
    const lineno = this.next().lineno;
    const sig = this.cur.type === 'lparen' ? this.parseSignature() : { params: [], defaults: [] };
    const call = this.parseExpression();
    if (call.typename !== 'PyCall') this.fail('expected call', lineno);
    const body = this.parseStatements(['name:endcall'], true);
    return this.node('PyCallBlock', lineno, call, sig.params, sig.defaults, this.list(lineno, body), usedNames(body));
  }

  private parseFilterBlock(): NunjucksNode {
    const lineno = this.next().lineno;
    const filter = this.parseFilter(null, true);
    const body = this.parseStatements(['name:endfilter'], true);
    return this.node('PyFilterBlock', lineno, filter, this.list(lineno, body));
  }

  private parseMacro(): NunjucksNode {
    const lineno = this.next().lineno;
    const name = this.expect('name');
    const sig = this.parseSignature();
    const body = this.parseStatements(['name:endmacro'], true);
    return this.node('PyMacro', lineno, String(name.value), sig.params, sig.defaults, this.list(lineno, body), usedNames(body));
  }

  private parsePrint(): NunjucksNode {
    const lineno = this.next().lineno;
    const items: NunjucksNode[] = [];
    while (this.cur.type !== 'block_end') {
      if (items.length > 0) this.expect('comma');
      items.push(this.parseExpression());
    }
    return this.node('Output', lineno, items);
  }

  private parseAssignTarget(opts: { withTuple?: boolean; extraEndRules?: string[] }): NunjucksNode {
    const target = opts.withTuple === false ? this.parsePrimary() : this.parseTuple({ simplified: true, extraEndRules: opts.extraEndRules });
    const check = (t: NunjucksNode): void => {
      if (t.typename === 'Symbol') {
        if (['true', 'false', 'none', 'True', 'False', 'None'].includes(String(t.value))) this.fail(`can't assign to ${pyQuote(String(t.value))}`, t.lineno + 1);
        return;
      }
      if (t.typename === 'PyTuple') return (t.children as NunjucksNode[]).forEach(check);
      this.fail(`can't assign to '${t.typename === 'Literal' ? 'Const' : t.typename}'`, t.lineno + 1);
    };
    check(target);
    return target;
  }

  // --- expressions ---
  private parseExpression(withCondexpr = true): NunjucksNode {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): NunjucksNode {
    const lineno = this.cur.lineno;
    let expr1 = this.parseOr();
    while (this.skipIf('name:if')) {
      const expr2 = this.parseOr();
      const expr3 = this.skipIf('name:else') ? this.parseCondexpr() : null;
      expr1 = this.node('PyCondExpr', lineno, expr2, expr1, expr3);
    }
    return expr1;
  }

  private parseOr(): NunjucksNode {
    const lineno = this.cur.lineno;
    let left = this.parseAnd();
    while (this.skipIf('name:or')) left = this.node('Or', lineno, left, this.parseAnd());
    return left;
  }

  private parseAnd(): NunjucksNode {
    const lineno = this.cur.lineno;
    let left = this.parseNot();
    while (this.skipIf('name:and')) left = this.node('And', lineno, left, this.parseNot());
    return left;
  }

  private parseNot(): NunjucksNode {
    if (this.test(this.cur, 'name:not')) {
      const lineno = this.next().lineno;
      return this.node('Not', lineno, this.parseNot());
    }
    return this.parseCompare();
  }

  private parseCompare(): NunjucksNode {
    const lineno = this.cur.lineno;
    const expr = this.parseMath1();
    const ops: NunjucksNode[] = [];
    for (;;) {
      const t = this.cur;
      if (t.type in COMPARE) {
        this.next();
        ops.push(this.node('CompareOperand', t.lineno, this.parseMath1(), COMPARE[t.type]));
      } else if (this.skipIf('name:in')) {
        ops.push(this.node('CompareOperand', t.lineno, this.parseMath1(), 'in'));
      } else if (this.test(t, 'name:not') && this.test(this.look(), 'name:in')) {
        this.next();
        this.next();
        ops.push(this.node('CompareOperand', t.lineno, this.parseMath1(), 'notin'));
      } else break;
    }
    return ops.length === 0 ? expr : this.node('Compare', lineno, expr, ops);
  }

  private parseMath1(): NunjucksNode {
    const lineno = this.cur.lineno;
    let left = this.parseConcat();
    while (this.cur.type === 'add' || this.cur.type === 'sub') {
      const cls = this.next().type === 'add' ? 'Add' : 'Sub';
      left = this.node(cls, lineno, left, this.parseConcat());
    }
    return left;
  }

  private parseConcat(): NunjucksNode {
    const lineno = this.cur.lineno;
    let node = this.parseMath2();
    while (this.cur.type === 'tilde') {
      this.next();
      node = this.node('Concat', lineno, node, this.parseMath2());
    }
    return node;
  }

  private parseMath2(): NunjucksNode {
    const lineno = this.cur.lineno;
    let left = this.parsePow();
    while (this.cur.type in MATH2) {
      const cls = MATH2[this.next().type]!;
      left = this.node(cls, lineno, left, this.parsePow());
    }
    return left;
  }

  private parsePow(): NunjucksNode {
    const lineno = this.cur.lineno;
    let left = this.parseUnary();
    while (this.cur.type === 'pow') {
      this.next();
      left = this.node('Pow', lineno, left, this.parseUnary());
    }
    return left;
  }

  private parseUnary(withFilter = true): NunjucksNode {
    const t = this.cur;
    let node: NunjucksNode;
    if (t.type === 'sub') {
      this.next();
      node = this.node('Neg', t.lineno, this.parseUnary(false));
    } else if (t.type === 'add') {
      this.next();
      node = this.node('Pos', t.lineno, this.parseUnary(false));
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): NunjucksNode {
    const t = this.cur;
    if (t.type === 'name') {
      this.next();
      const v = String(t.value);
      if (v === 'true' || v === 'True') return this.node('Literal', t.lineno, true);
      if (v === 'false' || v === 'False') return this.node('Literal', t.lineno, false);
      if (v === 'none' || v === 'None') return this.node('Literal', t.lineno, null);
      return this.node('Symbol', t.lineno, v);
    }
    if (t.type === 'string') {
      this.next();
      let s = String(t.value);
      while (this.cur.type === 'string') s += String(this.next().value);
      return this.node('Literal', t.lineno, s);
    }
    if (t.type === 'integer' || t.type === 'float') {
      this.next();
      const lit = this.node('Literal', t.lineno, t.value);
      if (t.type === 'float') lit.isFloat = true;
      return lit;
    }
    if (t.type === 'lparen') {
      this.next();
      const node = this.parseTuple({ explicitParentheses: true });
      this.expect('rparen');
      return node;
    }
    if (t.type === 'lbracket') return this.parseList();
    if (t.type === 'lbrace') return this.parseDict();
    return this.fail(`unexpected ${pyQuote(describeToken(t))}`, t.lineno);
  }

  private parseTuple(opts: { simplified?: boolean; withCondexpr?: boolean; extraEndRules?: string[]; explicitParentheses?: boolean }): NunjucksNode {
    const lineno = this.cur.lineno;
    const parse = opts.simplified ? () => this.parsePrimary() : () => this.parseExpression(opts.withCondexpr !== false);
    const args: NunjucksNode[] = [];
    let isTuple = false;
    for (;;) {
      if (args.length > 0) this.expect('comma');
      if (this.isTupleEnd(opts.extraEndRules)) break;
      args.push(parse());
      if (this.cur.type === 'comma') isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (args.length > 0) return args[0]!;
      if (!opts.explicitParentheses) this.fail(`Expected an expression, got ${pyQuote(describeToken(this.cur))}`);
    }
    return this.node('PyTuple', lineno, args);
  }

  private isTupleEnd(extra?: string[]): boolean {
    const t = this.cur.type;
    if (t === 'variable_end' || t === 'block_end' || t === 'rparen') return true;
    return extra !== undefined && this.testAny(this.cur, extra);
  }

  private parseList(): NunjucksNode {
    const lineno = this.expect('lbracket').lineno;
    const items: NunjucksNode[] = [];
    while (this.cur.type !== 'rbracket') {
      if (items.length > 0) this.expect('comma');
      if (this.cur.type === 'rbracket') break;
      items.push(this.parseExpression());
    }
    this.expect('rbracket');
    return this.node('Array', lineno, items);
  }

  private parseDict(): NunjucksNode {
    const lineno = this.expect('lbrace').lineno;
    const items: NunjucksNode[] = [];
    while (this.cur.type !== 'rbrace') {
      if (items.length > 0) this.expect('comma');
      if (this.cur.type === 'rbrace') break;
      const key = this.parseExpression();
      this.expect('colon');
      const value = this.parseExpression();
      items.push(this.node('Pair', key.lineno + 1, key, value));
    }
    this.expect('rbrace');
    return this.node('Dict', lineno, items);
  }

  private parsePostfix(node: NunjucksNode): NunjucksNode {
    for (;;) {
      const t = this.cur.type;
      if (t === 'dot' || t === 'lbracket') node = this.parseSubscript(node);
      else if (t === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: NunjucksNode): NunjucksNode {
    for (;;) {
      const t = this.cur.type;
      if (t === 'pipe') node = this.parseFilter(node)!;
      else if (this.test(this.cur, 'name:is')) node = this.parseTest(node);
      else if (t === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: NunjucksNode): NunjucksNode {
    const t = this.next();
    if (t.type === 'dot') {
      const attr = this.cur;
      this.next();
      if (attr.type === 'name') return this.node('LookupVal', t.lineno, node, this.node('Literal', attr.lineno, String(attr.value)));
      if (attr.type !== 'integer') this.fail('expected name or number', attr.lineno);
      return this.node('LookupVal', t.lineno, node, this.node('Literal', attr.lineno, attr.value));
    }
    if (t.type === 'lbracket') {
      const args: NunjucksNode[] = [];
      while (this.cur.type !== 'rbracket') {
        if (args.length > 0) this.expect('comma');
        args.push(this.parseSubscribed());
      }
      this.expect('rbracket');
      const arg = args.length === 1 ? args[0]! : this.node('PyTuple', t.lineno, args);
      if (arg.typename === 'PySliceArgs') return this.node('PySlice', t.lineno, node, arg.start, arg.stop, arg.step);
      return this.node('LookupVal', t.lineno, node, arg);
    }
    return this.fail('expected subscript expression', t.lineno);
  }

  private parseSubscribed(): NunjucksNode {
    const lineno = this.cur.lineno;
    const args: (NunjucksNode | null)[] = [];
    if (this.cur.type === 'colon') {
      this.next();
      args.push(null);
    } else {
      const node = this.parseExpression();
      if (this.cur.type !== 'colon') return node;
      this.next();
      args.push(node);
    }
    if (this.cur.type === 'colon') args.push(null);
    else if (this.cur.type !== 'rbracket' && this.cur.type !== 'comma') args.push(this.parseExpression());
    else args.push(null);
    if ((this.cur as JinjaToken).type === 'colon') {
      this.next();
      if ((this.cur as JinjaToken).type !== 'rbracket' && (this.cur as JinjaToken).type !== 'comma') args.push(this.parseExpression());
      else args.push(null);
    } else args.push(null);
    const none = (x: NunjucksNode | null): NunjucksNode => x ?? this.node('Literal', lineno, null);
    return { typename: 'PySliceArgs', lineno, colno: 0, start: none(args[0]!), stop: none(args[1]!), step: none(args[2]!) };
  }

  private parseCallArgs(): { args: NunjucksNode[]; kwargs: [string, NunjucksNode][]; dynArgs: NunjucksNode | null; dynKwargs: NunjucksNode | null } {
    const t = this.expect('lparen');
    const args: NunjucksNode[] = [];
    const kwargs: [string, NunjucksNode][] = [];
    let dynArgs: NunjucksNode | null = null;
    let dynKwargs: NunjucksNode | null = null;
    let requireComma = false;
    const ensure = (ok: boolean): void => {
      if (!ok) this.fail('invalid syntax for function call expression', t.lineno);
    };
    while (this.cur.type !== 'rparen') {
      if (requireComma) {
        this.expect('comma');
        if (this.cur.type === 'rparen') break;
      }
      if (this.cur.type === 'mul') {
        ensure(dynArgs === null && dynKwargs === null);
        this.next();
        dynArgs = this.parseExpression();
      } else if (this.cur.type === 'pow') {
        ensure(dynKwargs === null);
        this.next();
        dynKwargs = this.parseExpression();
      } else if (this.cur.type === 'name' && this.look().type === 'assign') {
        ensure(dynKwargs === null);
        const key = String(this.next().value);
        this.next();
        kwargs.push([key, this.parseExpression()]);
      } else {
        ensure(dynArgs === null && dynKwargs === null && kwargs.length === 0);
        args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.expect('rparen');
    return { args, kwargs, dynArgs, dynKwargs };
  }

  private parseCall(node: NunjucksNode): NunjucksNode {
    const lineno = this.cur.lineno;
    const a = this.parseCallArgs();
    // nunjucks' transformer turns `super()` inside a block into its Super node.
    if (node.typename === 'Symbol' && node.value === 'super' && a.args.length === 0) return this.node('FunCall', lineno, node, this.list(lineno, []));
    return this.node('PyCall', lineno, node, a.args, a.kwargs, a.dynArgs, a.dynKwargs);
  }

  private parseFilter(node: NunjucksNode | null, startInline = false): NunjucksNode | null {
    while (this.cur.type === 'pipe' || startInline) {
      if (!startInline) this.next();
      const t = this.expect('name');
      let name = String(t.value);
      while (this.cur.type === 'dot') {
        this.next();
        name += `.${String(this.expect('name').value)}`;
      }
      const a = this.cur.type === 'lparen' ? this.parseCallArgs() : { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
      if (a.dynArgs || a.dynKwargs) this.fail('*args and **kwargs in filter calls are not supported by converge', t.lineno);
      node = this.node('PyFilter', t.lineno, node, name, a.args, a.kwargs);
      startInline = false;
    }
    return node;
  }

  private parseTest(node: NunjucksNode): NunjucksNode {
    const t = this.next();
    const negated = this.skipIf('name:not');
    let name = String(this.expect('name').value);
    while (this.cur.type === 'dot') {
      this.next();
      name += `.${String(this.expect('name').value)}`;
    }
    let args: NunjucksNode[] = [];
    let kwargs: [string, NunjucksNode][] = [];
    if (this.cur.type === 'lparen') {
      const a = this.parseCallArgs();
      if (a.dynArgs || a.dynKwargs) this.fail('*args and **kwargs in test calls are not supported by converge', t.lineno);
      args = a.args;
      kwargs = a.kwargs;
    } else if (['name', 'string', 'integer', 'float', 'lparen', 'lbracket', 'lbrace'].includes(this.cur.type) && !this.testAny(this.cur, ['name:else', 'name:or', 'name:and'])) {
      if (this.test(this.cur, 'name:is')) this.fail('You cannot chain multiple tests with is');
      args = [this.parsePostfix(this.parsePrimary())];
    }
    const test = this.node('PyTest', t.lineno, node, name, { args, kwargs });
    return negated ? this.node('Not', t.lineno, test) : test;
  }
}

/** The names a macro or call block body reads (to know whether it takes `varargs`, `kwargs`, `caller`). */
function usedNames(body: NunjucksNode[]): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const node = v as NunjucksNode;
    if (node.typename === 'Symbol' && typeof node.value === 'string') found.add(node.value);
    // A nested macro has its own varargs/kwargs/caller.
    if (node.typename === 'PyMacro') return;
    for (const [k, x] of Object.entries(node)) if (k !== 'typename' && k !== 'parent') walk(x);
  };
  walk(body);
  return [...found].filter((n) => n === 'varargs' || n === 'kwargs' || n === 'caller');
}
