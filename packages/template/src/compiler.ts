import { parseJinja } from './jinja-parser.js';
import type { LexerOptions } from './jinja-lexer.js';
import { nunjucksInternals, nunjucksTransformer, type NunjucksCompilerBase, type NunjucksNode } from './nunjucks-internals.js';

/** Ansible's Jinja2 environment: `trim_blocks` on, `lstrip_blocks` off. Source: Ansible 2.14 `template/__init__.py` (`AnsibleEnvironment`). */
export const ANSIBLE_LEXER_OPTIONS: LexerOptions = { trimBlocks: true, lstripBlocks: false };

type CompilerClass = new (templateName: string, throwOnUndefined: boolean) => NunjucksCompilerBase;

let compilerClass: CompilerClass | undefined;

const BINARY: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**', Concat: '~' };

// The compiler subclasses nunjucks' own, so it is defined on the first compile (nunjucks is loaded then).
function pythonCompilerClass(): CompilerClass {
  if (compilerClass) return compilerClass;
  const { Compiler } = nunjucksInternals().compiler;

  /**
   * nunjucks' compiler with Jinja2/Ansible semantics: every use of a value goes through the Python
   * runtime (`runtime.truthy`, `runtime.binop`, `runtime.compareChain`, ...), so Undefined is
   * strict, empty lists are false, `/` gives floats and `~` concatenates. The statements nunjucks
   * compiles differently from Jinja2 (`for`, `set`, macros, call and filter blocks, `with`,
   * `autoescape`) are compiled here; output, `if`, inheritance, includes and imports stay
   * nunjucks'. Variables set in templates live in the run-time frames (a loop or macro body has
   * its own, as Jinja2 scopes them). Records the line of every statement so errors can name it.
   * Pinned to nunjucks 3.2.4.
   */
  class PythonCompiler extends Compiler {
    private autoescape: string[] = ['false'];

    private emitLocation(node: NunjucksNode): void {
      this._emitLine(`lineno = ${node.lineno}; colno = ${node.colno};`);
    }

    private tmp(): string {
      return (this as unknown as { _tmpid(): string })._tmpid();
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

    override _compileExpression(node: NunjucksNode, frame: unknown): void {
      this.compile(node, frame);
    }

    private list(nodes: NunjucksNode[], frame: unknown): void {
      this._emit('[');
      nodes.forEach((a, i) => {
        if (i > 0) this._emit(', ');
        this.compile(a, frame);
      });
      this._emit(']');
    }

    private kwargs(pairs: [string, NunjucksNode][], frame: unknown, extra?: string): void {
      this._emit('{');
      pairs.forEach(([k, v], i) => {
        if (i > 0) this._emit(', ');
        this._emit(`${JSON.stringify(k)}: `);
        this.compile(v, frame);
      });
      if (extra) this._emit(`${pairs.length > 0 ? ', ' : ''}${extra}`);
      this._emit('}');
    }

    override compileLiteral(node: NunjucksNode, frame?: unknown): void {
      if (node.isFloat === true && typeof node.value === 'number') this._emit(`runtime.float(${String(node.value)})`);
      else if (typeof node.value === 'bigint') this._emit(`BigInt(${JSON.stringify(node.value.toString())})`);
      else super.compileLiteral(node, frame);
    }

    /** `super()` in a block: the block functions nunjucks' context holds are this module's wrappers of the compiled ones, so the block is named by its wrapper. */
    compileSuper(node: NunjucksNode, frame: unknown): void {
      const name = String((node.blockName as NunjucksNode).value);
      const id = String((node.symbol as NunjucksNode).value);
      const self = this as unknown as { _makeCallback(id: string): string; _addScopeLevel(): void };
      this._emitLine(`context.getSuper(env, ${JSON.stringify(name)}, runtime.blockFunction(b_${name}), frame, runtime, ${self._makeCallback(id)}`);
      this._emitLine(`${id} = runtime.markSafe(${id});`);
      self._addScopeLevel();
      (frame as { set(k: string, v: string): void }).set(id, id);
    }

    compileLookupVal(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.memberLookup((');
      this.compile(node.target as NunjucksNode, frame);
      this._emit('),');
      this.compile(node.val as NunjucksNode, frame);
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
        case 'PyCall':
          return `${this.describe(node.callee as NunjucksNode)}()`;
        default:
          return '(expression)';
      }
    }

    compilePyTuple(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.tuple(');
      this.list(node.children as NunjucksNode[], frame);
      this._emit(')');
    }

    compilePySlice(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.slice(');
      [node.target, node.start, node.stop, node.step].forEach((a, i) => {
        if (i > 0) this._emit(', ');
        this.compile(a as NunjucksNode, frame);
      });
      this._emit(')');
    }

    compilePyCondExpr(node: NunjucksNode, frame: unknown): void {
      this._emit('(runtime.truthy(');
      this.compile(node.cond as NunjucksNode, frame);
      this._emit(') ? ');
      this.compile(node.body as NunjucksNode, frame);
      this._emit(' : ');
      if (node.else_) this.compile(node.else_ as NunjucksNode, frame);
      else this._emit(`runtime.condUndefined(${node.lineno + 1})`);
      this._emit(')');
    }

    compilePyTest(node: NunjucksNode, frame: unknown): void {
      const { args, kwargs } = node.args as { args: NunjucksNode[]; kwargs: [string, NunjucksNode][] };
      this._emit(`runtime.test(env, ${JSON.stringify(node.name)}, `);
      this.compile(node.target as NunjucksNode, frame);
      this._emit(', ');
      this.list(args, frame);
      this._emit(', ');
      this.kwargs(kwargs, frame);
      this._emit(')');
    }

    compilePyFilter(node: NunjucksNode, frame: unknown, body?: NunjucksNode): void {
      this._emit(`runtime.filter(env, context, ${JSON.stringify(node.name)}, `);
      const target = node.target as NunjucksNode | null;
      if (target) this.compile(target, frame);
      else if (body) this.capture(body, frame);
      else this._emit('""');
      this._emit(', ');
      this.list(node.args as NunjucksNode[], frame);
      this._emit(', ');
      this.kwargs(node.kwargs as [string, NunjucksNode][], frame);
      this._emit(')');
    }

    compilePyCall(node: NunjucksNode, frame: unknown, extraKw?: string): void {
      const callee = node.callee as NunjucksNode;
      const desc = JSON.stringify(this.describe(callee));
      this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.callWrap(`);
      if (callee.typename === 'LookupVal') {
        this._emit('runtime.methodLookup((');
        this.compile(callee.target as NunjucksNode, frame);
        this._emit('),');
        this.compile(callee.val as NunjucksNode, frame);
        this._emit(`, ${desc})`);
      } else this.compile(callee, frame);
      this._emit(`, ${desc}, context, runtime.callArgs(`);
      this.list(node.args as NunjucksNode[], frame);
      this._emit(', ');
      if (node.dynArgs) this.compile(node.dynArgs as NunjucksNode, frame);
      else this._emit('null');
      this._emit(', ');
      this.kwargs(node.kwargs as [string, NunjucksNode][], frame, extraKw);
      this._emit(', ');
      if (node.dynKwargs) this.compile(node.dynKwargs as NunjucksNode, frame);
      else this._emit('null');
      this._emit(')))');
    }

    compileDict(node: NunjucksNode, frame: unknown): void {
      this._emit('runtime.dict([');
      (node.children as NunjucksNode[]).forEach((pair, i) => {
        if (i > 0) this._emit(', ');
        this._emit('[');
        this.compile(pair.key as NunjucksNode, frame);
        this._emit(', ');
        this.compile(pair.value as NunjucksNode, frame);
        this._emit(']');
      });
      this._emit('])');
    }

    override compileIf(node: NunjucksNode, frame: unknown, async?: boolean): void {
      this.emitLocation(node);
      const cond = node.cond as NunjucksNode;
      this._emit('if(runtime.truthy(');
      this.compile(cond, frame);
      this._emitLine(')) {');
      this._withScopedSyntax(() => this.compile(node.body as NunjucksNode, frame));
      if (node.else_) {
        this._emitLine('} else {');
        this._withScopedSyntax(() => this.compile(node.else_ as NunjucksNode, frame));
      }
      this._emitLine('}');
      void async;
    }

    /** Binds a `for`/`set`/`with` target (a name or a tuple of targets) to the JS expression `value` in the run-time frame. */
    private bind(target: NunjucksNode, value: string, topLevel: boolean): void {
      if (target.typename === 'Symbol') {
        const name = JSON.stringify(String(target.value));
        this._emitLine(`frame.set(${name}, ${value});`);
        if (topLevel) {
          this._emitLine(`if (frame.topLevel) { context.setVariable(${name}, ${value});${String(target.value).startsWith('_') ? '' : ` context.addExport(${name}, ${value});`} }`);
        }
        return;
      }
      const children = target.children as NunjucksNode[];
      const id = this.tmp();
      this._emitLine(`var ${id} = runtime.unpack(${value}, ${children.length});`);
      children.forEach((c, i) => this.bind(c, `${id}[${i}]`, topLevel));
    }

    private capture(body: NunjucksNode, frame: unknown): void {
      const buffer = this.buffer;
      const id = this.tmp();
      this.buffer = id;
      this._emitLine('(function() {');
      this._emitLine(`var ${id} = "";`);
      this._withScopedSyntax(() => this.compile(body, frame));
      this._emitLine(`return ${id};`);
      this._emit('})()');
      this.buffer = buffer;
    }

    compilePySet(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const target = node.targets as NunjucksNode | NunjucksNode[];
      const id = this.tmp();
      this._emit(`var ${id} = `);
      if (node.value) this.compile(node.value as NunjucksNode, frame);
      else if (node.filter) this.compilePyFilterChain(node.filter as NunjucksNode, frame, node.body as NunjucksNode);
      else this.capture(node.body as NunjucksNode, frame);
      this._emitLine(';');
      if (Array.isArray(target)) {
        const ns = target[0]!;
        this._emitLine(`runtime.namespaceSet(runtime.contextOrFrameLookup(context, frame, ${JSON.stringify(ns.ns)}), ${JSON.stringify(ns.attr)}, ${id});`);
        return;
      }
      this.bind(target, id, true);
    }

    /** A filter chain whose innermost target is a block body (`{% filter %}`, `{% set x | f %}`). */
    private compilePyFilterChain(node: NunjucksNode, frame: unknown, body: NunjucksNode): void {
      const target = node.target as NunjucksNode | null;
      if (!target) return this.compilePyFilter(node, frame, body);
      this._emit(`runtime.filter(env, context, ${JSON.stringify(node.name)}, `);
      this.compilePyFilterChain(target, frame, body);
      this._emit(', ');
      this.list(node.args as NunjucksNode[], frame);
      this._emit(', ');
      this.kwargs(node.kwargs as [string, NunjucksNode][], frame);
      this._emit(')');
    }

    compilePyFilterBlock(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      this._emit(`${this.buffer ?? 'output'} += runtime.suppressValue(`);
      this.compilePyFilterChain(node.filter as NunjucksNode, frame, node.body as NunjucksNode);
      this._emitLine(`, ${this.autoescape[this.autoescape.length - 1]!});`);
    }

    compilePyWith(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const ids = (node.values as NunjucksNode[]).map((v) => {
        const id = this.tmp();
        this._emit(`var ${id} = `);
        this.compile(v, frame);
        this._emitLine(';');
        return id;
      });
      this._emitLine('frame = frame.push();');
      (node.targets as NunjucksNode[]).forEach((t, i) => this.bind(t, ids[i]!, false));
      this._withScopedSyntax(() => this.compile(node.body as NunjucksNode, frame));
      this._emitLine('frame = frame.pop();');
    }

    compilePyAutoescape(node: NunjucksNode, frame: unknown): void {
      const id = this.tmp();
      this._emit(`var ${id} = runtime.truthy(`);
      this.compile(node.value as NunjucksNode, frame);
      this._emitLine(');');
      // Ansible's environment renders the same with autoescaping on or off (its output is not
      // markup), so the block only evaluates its expression.
      this.compile(node.body as NunjucksNode, frame);
    }

    compilePyFor(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const fn = this.tmp();
      const items = this.tmp();
      const depth = this.tmp();
      const i = this.tmp();
      const buf = this.tmp();
      const outer = this.buffer ?? 'output';
      const target = node.targets as NunjucksNode;
      this._emitLine('frame = frame.push();');
      this._emitLine(`var ${fn} = function(${items}, ${depth}) {`);
      this._emitLine(`var ${buf} = "";`);
      if (node.test) {
        this._emitLine(`${items} = ${items}.filter(function(item) { frame = frame.push();`);
        this.bind(target, 'item', false);
        this._emit('try { return runtime.truthy(');
        this.compile(node.test as NunjucksNode, frame);
        this._emitLine('); } finally { frame = frame.pop(); } });');
      }
      this._emitLine(`for (var ${i} = 0; ${i} < ${items}.length; ${i}++) {`);
      this.bind(target, `${items}[${i}]`, false);
      this._emitLine(`frame.set("loop", runtime.loopObject(${items}, ${i}, ${depth}, ${node.recursive ? fn : 'null'}));`);
      this.buffer = buf;
      this._withScopedSyntax(() => this.compile(node.body as NunjucksNode, frame));
      this._emitLine('}');
      if ((node.else_ as NunjucksNode).children && ((node.else_ as NunjucksNode).children as NunjucksNode[]).length > 0) {
        this._emitLine(`if (${items}.length === 0) {`);
        this._withScopedSyntax(() => this.compile(node.else_ as NunjucksNode, frame));
        this._emitLine('}');
      }
      this.buffer = outer;
      this._emitLine(`return ${buf};`);
      this._emitLine('};');
      this._emit(`${outer} += ${fn}(runtime.iterate(`);
      this.compile(node.iter as NunjucksNode, frame);
      this._emitLine('), 1);');
      this._emitLine('frame = frame.pop();');
    }

    /** A macro or caller as a JS function: `runtime.makeMacro` binds arguments as Jinja2 does, then the body runs in its own frame. */
    private macroFunction(node: NunjucksNode, frame: unknown, name: string, keepFrame: boolean): string {
      const id = this.tmp();
      const args = this.tmp();
      const params = node.params as string[];
      const defaults = node.defaults as NunjucksNode[];
      const firstDefault = params.length - defaults.length;
      const buf = this.tmp();
      const outerBuffer = this.buffer;
      this._emitLine(`var ${id} = runtime.makeMacro(${JSON.stringify(name)}, ${JSON.stringify(params)}, ${defaults.length}, ${JSON.stringify(node.uses)}, function (${args}) {`);
      this._emitLine('var callerFrame = frame;');
      this._emitLine(`frame = ${keepFrame ? 'frame.push(true)' : 'new runtime.Frame()'};`);
      this._emitLine(`var ${buf} = "";`);
      this.buffer = buf;
      params.forEach((p, i) => {
        const key = JSON.stringify(p);
        if (i >= firstDefault) {
          this._emit(`frame.set(${key}, Object.prototype.hasOwnProperty.call(${args}, ${key}) ? ${args}[${key}] : `);
          this.compile(defaults[i - firstDefault]!, frame);
          this._emitLine(');');
        } else this._emitLine(`frame.set(${key}, ${args}[${key}]);`);
      });
      for (const special of ['varargs', 'kwargs', 'caller']) this._emitLine(`if (Object.prototype.hasOwnProperty.call(${args}, "${special}")) frame.set("${special}", ${args}.${special});`);
      this._emitLine('try {');
      this._withScopedSyntax(() => this.compile(node.body as NunjucksNode, frame));
      this._emitLine(`} finally { frame = callerFrame; }`);
      this._emitLine(`return ${buf};`);
      this._emitLine('});');
      this.buffer = outerBuffer;
      return id;
    }

    compilePyMacro(node: NunjucksNode, frame: unknown): void {
      const id = this.macroFunction(node, frame, String(node.name), false);
      const name = JSON.stringify(String(node.name));
      this._emitLine(`frame.set(${name}, ${id});`);
      this._emitLine(`if (frame.topLevel) { context.setVariable(${name}, ${id});${String(node.name).startsWith('_') ? '' : ` context.addExport(${name}, ${id});`} }`);
    }

    compilePyCallBlock(node: NunjucksNode, frame: unknown): void {
      this.emitLocation(node);
      const id = this.macroFunction(node, frame, 'caller', true);
      this._emit(`${this.buffer ?? 'output'} += runtime.suppressValue(`);
      this.compilePyCall(node.call as NunjucksNode, frame, `"caller": ${id}`);
      this._emitLine(`, ${this.autoescape[this.autoescape.length - 1]!});`);
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
          this._emitLine(`, ${this.autoescape[this.autoescape.length - 1]!});`);
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

  compilerClass = PythonCompiler as unknown as CompilerClass;
  return compilerClass;
}

/** The functions nunjucks' `Template` runs: `root` and one `b_NAME` per block. */
export type CompiledTemplate = Record<string, (...args: unknown[]) => void>;

/**
 * Parses (Jinja2's grammar, {@link parseJinja}) and compiles template source (already through
 * `prepareSource`) into nunjucks' render functions with Jinja2 semantics; each function runs with
 * the given runtime instead of nunjucks' own.
 *
 * @throws TemplateSyntaxError (with Jinja2's message and `lineno`) on a syntax error.
 */
export function compileTemplate(source: string, name: string, runtime: Record<string, unknown>, options: LexerOptions = ANSIBLE_LEXER_OPTIONS): CompiledTemplate {
  const Compiler = pythonCompilerClass();
  const ast = nunjucksTransformer().transform(parseJinja(source, options), [], name);
  const compiler = new Compiler(name, false);
  compiler.compile(ast);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const props = new Function(compiler.getCode())() as CompiledTemplate;
  const out: CompiledTemplate = {};
  for (const [key, fn] of Object.entries(props)) {
    const wrapper = (env: unknown, context: unknown, frame: unknown, _runtime: unknown, cb: unknown) => fn(env, context, frame, runtime, cb);
    BLOCK_WRAPPERS.set(fn, wrapper);
    out[key] = wrapper;
  }
  return out;
}

const BLOCK_WRAPPERS = new WeakMap<object, CompiledTemplate[string]>();

/** The function nunjucks' context knows a compiled block by (its wrapper), for `super()`. */
export function blockFunction(fn: CompiledTemplate[string]): CompiledTemplate[string] {
  return BLOCK_WRAPPERS.get(fn) ?? fn;
}
