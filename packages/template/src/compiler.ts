import { balanceBraces } from './brace-balance.js';
import { trimAfterCommentsAndRaw } from './trim-blocks.js';
import { nunjucksInternals, nunjucksTransformer, type NunjucksCompilerBase, type NunjucksNode, type NunjucksParserBase } from './nunjucks-internals.js';

/** nunjucks lexer options for Ansible's template module: `trim_blocks` on, `lstrip_blocks` off. */
export const ANSIBLE_LEXER_OPTIONS = { trimBlocks: true, lstripBlocks: false, autoescape: false } as const;

interface PythonCompilerClasses {
  lexer: { lex(src: string, opts: Record<string, unknown>): unknown };
  PythonParser: new (tokens: unknown) => NunjucksParserBase;
  PythonCompiler: new (templateName: string, throwOnUndefined: boolean) => NunjucksCompilerBase;
}

let classes: PythonCompilerClasses | undefined;

// The parser and compiler subclass nunjucks' own, so they are defined on the first compile (nunjucks
// is loaded then, not when @converge/core is imported).
function pythonCompilerClasses(): PythonCompilerClasses {
  if (classes) return classes;
  const { Compiler } = nunjucksInternals().compiler;
  const { Parser } = nunjucksInternals().parser;
  const { lexer, nodes } = nunjucksInternals();

  class PythonParser extends Parser {
    // nunjucks turns `1.0` into the number 1; remember it was a float so it renders as `1.0`.
    override parsePrimary(noPostfix?: boolean): NunjucksNode {
      const isFloat = this.peekToken().type === lexer.TOKEN_FLOAT;
      const node = super.parsePrimary(noPostfix);
      if (isFloat && node.typename === 'Literal') node.isFloat = true;
      return node;
    }

    // Jinja2 postfixes: calls, `x[i]`, slices `x[a:b:c]`, `x.name` and `x.0` (an int item).
    parsePostfix(node: NunjucksNode): NunjucksNode {
      for (;;) {
        const tok = this.peekToken() as { type: string; value: string; lineno: number; colno: number } | null;
        if (!tok) return node;
        if (tok.type === lexer.TOKEN_LEFT_PAREN) {
          node = new nodes.FunCall!(tok.lineno, tok.colno, node, this.parseSignature());
        } else if (tok.type === lexer.TOKEN_LEFT_BRACKET) {
          this.nextToken();
          const part = (): NunjucksNode => {
            const t = this.peekToken();
            return t.type === lexer.TOKEN_COLON || t.type === lexer.TOKEN_RIGHT_BRACKET ? new nodes.Literal!(tok.lineno, tok.colno, null) : this.parseExpression();
          };
          const start = part();
          if (this.skip(lexer.TOKEN_COLON)) {
            const stop = part();
            const step = this.skip(lexer.TOKEN_COLON) ? part() : new nodes.Literal!(tok.lineno, tok.colno, null);
            this.expect(lexer.TOKEN_RIGHT_BRACKET);
            node = pyCallNode('slice', [node, start, stop, step], tok.lineno, tok.colno);
          } else {
            this.expect(lexer.TOKEN_RIGHT_BRACKET);
            node = new nodes.LookupVal!(tok.lineno, tok.colno, node, start);
          }
        } else if (tok.type === lexer.TOKEN_OPERATOR && tok.value === '.') {
          this.nextToken();
          const val = this.nextToken() as { type: string; value: string; lineno: number; colno: number };
          if (val.type === lexer.TOKEN_SYMBOL) {
            node = new nodes.LookupVal!(tok.lineno, tok.colno, node, new nodes.Literal!(val.lineno, val.colno, val.value));
          } else if (val.type === lexer.TOKEN_INT) {
            node = new nodes.LookupVal!(tok.lineno, tok.colno, node, new nodes.Literal!(val.lineno, val.colno, Number(val.value)));
          } else if (val.type === lexer.TOKEN_FLOAT && /^\d+\.$/.test(val.value)) {
            // `x.10.y` lexes as `x` `.` `10.` `y`: an int item followed by an attribute.
            node = new nodes.LookupVal!(tok.lineno, tok.colno, node, new nodes.Literal!(val.lineno, val.colno, Number(val.value.slice(0, -1))));
            const next = this.nextToken() as { type: string; value: string; lineno: number; colno: number };
            if (next.type !== lexer.TOKEN_SYMBOL) this.fail(`expected name as lookup value, got ${next.value}`, next.lineno, next.colno);
            node = new nodes.LookupVal!(tok.lineno, tok.colno, node, new nodes.Literal!(next.lineno, next.colno, next.value));
          } else {
            this.fail(`expected name as lookup value, got ${val.value}`, val.lineno, val.colno);
          }
        } else {
          return node;
        }
      }
    }
  }

  /** A node that compiles to `runtime.FN(args..., extra)`; an instance of nodes.Group so nunjucks' assertType accepts it. */
  function pyCallNode(fn: string, args: NunjucksNode[], lineno: number, colno: number, extra?: string): NunjucksNode {
    const n = new nodes.Group!(lineno, colno, []);
    Object.defineProperty(n, 'typename', { value: 'PyCall' });
    return Object.assign(n, { fn, args, extra });
  }

  const BINARY: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**', Concat: '~' };

  /**
   * nunjucks' compiler with Jinja2/Ansible semantics: every use of a value goes through the
   * Python runtime (`runtime.truthy`, `runtime.binop`, `runtime.compareChain`, ...), so Undefined
   * is strict, empty lists are false, `/` gives floats and `~` concatenates. Also records the line
   * of every output, `if`, `for` and `set` so errors can name it. Pinned to nunjucks 3.2.4.
   */
  class PythonCompiler extends Compiler {
    private expr(node: NunjucksNode, frame: unknown): void {
      this.compile(node, frame);
    }

    private emitLocation(node: NunjucksNode): void {
      this._emitLine(`lineno = ${node.lineno}; colno = ${node.colno};`);
    }

    _emitFuncEnd(noReturn?: boolean): void {
      if (!noReturn) this._emitLine(`cb(null, ${this.buffer ?? 'output'});`);
      this._closeScopeLevels();
      this._emitLine('} catch (e) {');
      this._emitLine(`  cb(runtime.handleError(e, lineno, colno, ${JSON.stringify(this.templateName ?? null)}));`);
      this._emitLine('}');
      this._emitLine('}');
      this.buffer = null;
    }

    compilePyCall(node: NunjucksNode, frame: unknown): void {
      this._emit(`runtime.${String(node.fn)}(`);
      (node.args as NunjucksNode[]).forEach((a, i) => {
        if (i > 0) this._emit(', ');
        this.expr(a, frame);
      });
      if (node.extra !== undefined) this._emit(`, ${String(node.extra)}`);
      this._emit(')');
    }

    override _compileExpression(node: NunjucksNode, frame: unknown): void {
      if (node.typename === 'PyCall') this.compilePyCall(node, frame);
      else super._compileExpression(node, frame);
    }

    private pyCall(fn: string, args: NunjucksNode[], like: NunjucksNode, extra?: string): NunjucksNode {
      return pyCallNode(fn, args, like.lineno, like.colno, extra);
    }

    override compileLiteral(node: NunjucksNode, frame?: unknown): void {
      if (node.isFloat === true && typeof node.value === 'number') this._emit(`runtime.float(${String(node.value)})`);
      else super.compileLiteral(node, frame);
    }

    compileLookupVal(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.memberLookup((');
      this._compileExpression(node.target as NunjucksNode, frame);
      this._emit('),');
      this._compileExpression(node.val as NunjucksNode, frame);
      this._emit(`, ${JSON.stringify(this.describe(node))})`);
    }

    private describe(node: NunjucksNode): string {
      switch (node.typename) {
        case 'Symbol':
          return String(node.value);
        case 'Literal':
          return typeof node.value === 'string' ? `'${node.value}'` : String(node.value);
        case 'LookupVal': {
          const val = node.val as NunjucksNode;
          const target = this.describe(node.target as NunjucksNode);
          return val.typename === 'Literal' && typeof val.value === 'string' && /^[A-Za-z_]\w*$/.test(val.value) ? `${target}.${val.value}` : `${target}[${this.describe(val)}]`;
        }
        case 'FunCall':
          return `${this.describe(node.name as NunjucksNode)}()`;
        default:
          return '(expression)';
      }
    }

    override compileFunCall(node: NunjucksNode, frame: unknown): void {
      const name = node.name as NunjucksNode;
      if (name.typename !== 'LookupVal') return super.compileFunCall(node, frame);
      this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.callWrap(runtime.methodLookup((`);
      this._compileExpression(name.target as NunjucksNode, frame);
      this._emit('),');
      this._compileExpression(name.val as NunjucksNode, frame);
      this._emit(`, ${JSON.stringify(this.describe(name))}), ${JSON.stringify(this.describe(name))}, context, `);
      this._compileAggregate(node.args as NunjucksNode, frame, '[', '])');
      this._emit(')');
    }

    override compileGroup(node: NunjucksNode, frame: unknown): void {
      const children = node.children as NunjucksNode[];
      if (children.length > 1) {
        this._emit('runtime.tuple(');
        this._compileAggregate(node, frame, '[', ']');
        this._emit(')');
      } else super.compileGroup(node, frame);
    }

    private inKeywordArgs = false;

    compileDict(node: NunjucksNode, frame: unknown): void {
      const outer = this.inKeywordArgs;
      this.inKeywordArgs = false;
      this._compileAggregate(node, frame, '{', '}');
      this.inKeywordArgs = outer;
    }

    compileKeywordArgs(node: NunjucksNode, frame: unknown): void {
      // `f(name=value)`: the names are literal, unlike the keys of a dict literal.
      const outer = this.inKeywordArgs;
      this.inKeywordArgs = true;
      this._emit('runtime.makeKeywordArgs(');
      this._compileAggregate(node, frame, '{', '}');
      this._emit(')');
      this.inKeywordArgs = outer;
    }

    compilePair(node: NunjucksNode, frame: unknown): void {
      const key = node.key as NunjucksNode;
      if (key.typename === 'Literal' && typeof key.value === 'string') this.compile(key, frame);
      else if (this.inKeywordArgs && key.typename === 'Symbol') this._emit(JSON.stringify(String(key.value)));
      else {
        this._emit('[runtime.dictKey(');
        this._compileExpression(key, frame);
        this._emit(')]');
      }
      this._emit(': ');
      this._compileExpression(node.value as NunjucksNode, frame);
    }

    override compileIf(node: NunjucksNode, frame: unknown, async?: boolean): void {
      this.emitLocation(node);
      node.cond = this.pyCall('truthy', [node.cond as NunjucksNode], node);
      super.compileIf(node, frame, async);
    }

    compileInlineIf(node: NunjucksNode, frame: unknown): void {
      this._emit('(runtime.truthy(');
      this.compile(node.cond as NunjucksNode, frame);
      this._emit(') ? ');
      this.compile(node.body as NunjucksNode, frame);
      this._emit(' : ');
      if (node.else_ !== null && node.else_ !== undefined) this.compile(node.else_ as NunjucksNode, frame);
      else this._emit('""');
      this._emit(')');
    }

    override compileFor(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const name = node.name as NunjucksNode;
      const names = name.typename === 'Array' ? (name.children as NunjucksNode[]).map((c) => String(c.value)) : [String(name.value)];
      let arr = node.arr as NunjucksNode;
      // `for x in xs if cond` parses as an inline if without else: Jinja2's loop filter, which
      // skips items before loop.index and loop.length are counted.
      let filter: NunjucksNode | undefined;
      if (arr.typename === 'InlineIf' && (arr.else_ === null || arr.else_ === undefined)) {
        filter = arr.cond as NunjucksNode;
        arr = arr.body as NunjucksNode;
      }
      node.arr = this.pyCall('iterate', [arr], node, String(names.length));
      if (filter) {
        const n = new nodes.Group!(node.lineno as number, node.colno as number, []);
        Object.defineProperty(n, 'typename', { value: 'LoopFilter' });
        node.arr = Object.assign(n, { seq: node.arr, cond: filter, names });
      }
      super.compileFor(node, frame);
    }

    compileLoopFilter(node: NunjucksNode, frame: unknown): void {
      const names = node.names as string[];
      const binds = names.length === 1 ? `frame.set(${JSON.stringify(names[0])}, item);` : names.map((n, i) => `frame.set(${JSON.stringify(n)}, item[${i}]);`).join(' ');
      this._emit('runtime.loopFilter(');
      this.compile(node.seq as NunjucksNode, frame);
      this._emit(`, function(item) { var outer = frame; frame = frame.push(); ${binds} try { return runtime.truthy(`);
      this.compile(node.cond as NunjucksNode, frame);
      this._emit('); } finally { frame = outer; } })');
    }

    _emitLoopBindings(node: NunjucksNode, arr: string, i: string, len: string): void {
      (Object.getPrototypeOf(PythonCompiler.prototype) as { _emitLoopBindings: (this: unknown, ...a: unknown[]) => void })._emitLoopBindings.call(this, node, arr, i, len);
      this._emitLine(`runtime.loopExtras(frame, ${arr}, ${i});`);
    }

    override compileSet(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const targets = node.targets as NunjucksNode[];
      // `{% set ns.attr = value %}`: Jinja2 allows attribute assignment on a namespace() only.
      if (targets.length === 1 && targets[0]!.typename === 'LookupVal' && node.value) {
        const t = targets[0]!;
        this._emit('runtime.namespaceSet(');
        this.compile(t.target as NunjucksNode, frame);
        this._emit(', ');
        this.compile(t.val as NunjucksNode, frame);
        this._emit(', ');
        this.compile(node.value as NunjucksNode, frame);
        this._emitLine(');');
        return;
      }
      super.compileSet(node, frame);
    }

    compileAnd(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.pyAnd(');
      this.compile(node.left as NunjucksNode, frame);
      this._emit(', function() { return ');
      this.compile(node.right as NunjucksNode, frame);
      this._emit('; })');
    }

    compileOr(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.pyOr(');
      this.compile(node.left as NunjucksNode, frame);
      this._emit(', function() { return ');
      this.compile(node.right as NunjucksNode, frame);
      this._emit('; })');
    }

    compileNot(node: NunjucksNode, frame: unknown): void {
      this._emit('!runtime.truthy(');
      this.compile(node.target as NunjucksNode, frame);
      this._emit(')');
    }

    compileNeg(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.unop("-", ');
      this.compile(node.target as NunjucksNode, frame);
      this._emit(')');
    }

    compilePos(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.unop("+", ');
      this.compile(node.target as NunjucksNode, frame);
      this._emit(')');
    }

    compileCompare(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.compareChain(');
      this.compile(node.expr as NunjucksNode, frame);
      for (const op of node.ops as NunjucksNode[]) {
        this._emit(`, ${JSON.stringify(op.type)}, `);
        this.compile(op.expr as NunjucksNode, frame);
      }
      this._emit(')');
    }

    compileOutput(node: NunjucksNode, frame: unknown): void {
      for (const child of node.children as NunjucksNode[]) {
        if (child.typename === 'TemplateData') {
          if (child.value) {
            this._emit(`${this.buffer ?? 'output'} += `);
            this.compileLiteral(child, frame);
            this._emitLine(';');
          }
        } else {
          this.emitLocation(child);
          this._emit(`${this.buffer ?? 'output'} += runtime.suppressValue(`);
          this.compile(child, frame);
          this._emitLine(', false);');
        }
      }
    }
  }

  for (const [typename, op] of Object.entries(BINARY)) {
    (PythonCompiler.prototype as unknown as Record<string, unknown>)[`compile${typename}`] = function (this: NunjucksCompilerBase, node: NunjucksNode, frame: unknown): void {
      this._emit(`runtime.binop(${JSON.stringify(op)}, `);
      this.compile(node.left as NunjucksNode, frame);
      this._emit(', ');
      this.compile(node.right as NunjucksNode, frame);
      this._emit(')');
    };
  }

  classes = { lexer, PythonParser, PythonCompiler };
  return classes;
}

/** The functions nunjucks' `Template` runs: `root` and one `b_NAME` per block. */
export type CompiledTemplate = Record<string, (...args: unknown[]) => void>;

/**
 * Parses and compiles template source (already through {@link prepareSource}) into nunjucks'
 * render functions with Jinja2 semantics; each function runs with the given runtime instead of
 * nunjucks' own. Throws nunjucks' `TemplateError` (with `lineno`/`colno`) on a syntax error.
 */
export function compileTemplate(source: string, name: string, runtime: Record<string, unknown>): CompiledTemplate {
  const { lexer, PythonParser, PythonCompiler } = pythonCompilerClasses();
  const parser = new PythonParser(lexer.lex(trimAfterCommentsAndRaw(balanceBraces(source)), { ...ANSIBLE_LEXER_OPTIONS }));
  const ast = nunjucksTransformer().transform(parser.parseAsRoot(), [], name);
  const compiler = new PythonCompiler(name, false);
  compiler.compile(ast);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const props = new Function(compiler.getCode())() as CompiledTemplate;
  const out: CompiledTemplate = {};
  for (const [key, fn] of Object.entries(props)) {
    out[key] = (env: unknown, context: unknown, frame: unknown, _runtime: unknown, cb: unknown) => fn(env, context, frame, runtime, cb);
  }
  return out;
}
