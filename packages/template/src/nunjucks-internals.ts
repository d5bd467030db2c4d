import { createRequire } from 'node:module';
import type Nunjucks from 'nunjucks';

// nunjucks' parser, compiler and transformer are not covered by @types/nunjucks; these are the
// parts this renderer uses, as they are in nunjucks 3.2.4 (package.json pins that version).
// nunjucks (24 files) is required on the first render, not when @converge/core is imported: most
// runs that import core (a playbook load, `--list-tasks`, an empty inventory) render nothing.
const require = createRequire(import.meta.url);

/** A node of nunjucks' template AST. */
export interface NunjucksNode {
  typename: string;
  lineno: number;
  colno: number;
  [field: string]: unknown;
}

/** The code-generation methods of nunjucks' `Compiler` used by the Python-semantics compiler. */
export interface NunjucksCompilerBase {
  templateName: string | undefined;
  buffer: string | null;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _closeScopeLevels(): void;
  _withScopedSyntax(func: () => void): void;
  _compileExpression(node: NunjucksNode, frame: unknown): void;
  _compileAggregate(node: NunjucksNode, frame: unknown, start: string, end: string): void;
  _getNodeName(node: NunjucksNode): string;
  compile(node: NunjucksNode, frame?: unknown): void;
  compileLiteral(node: NunjucksNode, frame?: unknown): void;
  compileIf(node: NunjucksNode, frame: unknown, async?: boolean): void;
  compileFor(node: NunjucksNode, frame: unknown): void;
  compileSet(node: NunjucksNode, frame: unknown): void;
  compileFunCall(node: NunjucksNode, frame: unknown): void;
  compileGroup(node: NunjucksNode, frame: unknown): void;
  getCode(): string;
}

/** The constructor of nunjucks' `Compiler`. */
export type NunjucksCompilerClass = new (templateName: string, throwOnUndefined: boolean) => NunjucksCompilerBase;

/** The parsing methods of nunjucks' `Parser` used by the float-aware parser. */
export interface NunjucksParserBase {
  peekToken(): { type: string; value: string };
  nextToken(): { type: string; value: string } | null;
  skip(type: string): boolean;
  expect(type: string): { type: string; value: string };
  fail(message: string, lineno?: number, colno?: number): never;
  parseExpression(): NunjucksNode;
  parseSignature(): NunjucksNode;
  parsePrimary(noPostfix?: boolean): NunjucksNode;
  parseAsRoot(): NunjucksNode;
}

/** The constructor of nunjucks' `Parser`. */
export type NunjucksParserClass = new (tokens: unknown) => NunjucksParserBase;

interface NunjucksModule {
  compiler: { Compiler: NunjucksCompilerClass };
  parser: { Parser: NunjucksParserClass };
  lexer: { lex(src: string, opts: Record<string, unknown>): unknown } & Record<'TOKEN_FLOAT' | 'TOKEN_INT' | 'TOKEN_SYMBOL' | 'TOKEN_OPERATOR' | 'TOKEN_LEFT_PAREN' | 'TOKEN_LEFT_BRACKET' | 'TOKEN_RIGHT_BRACKET' | 'TOKEN_COLON', string>;
  nodes: Record<string, new (lineno: number, colno: number, ...fields: unknown[]) => NunjucksNode>;
}

let loaded: typeof Nunjucks | undefined;

/** nunjucks' public API (the module `nunjucks`), required on first use. */
export function nunjucks(): typeof Nunjucks {
  return (loaded ??= require('nunjucks') as typeof Nunjucks);
}

/** True when `v` is nunjucks' `SafeString` (the output of `| safe` and of macros). */
export function isSafeString(v: unknown): v is Nunjucks.runtime.SafeString {
  return v instanceof nunjucks().runtime.SafeString;
}

/** nunjucks' internal modules (CommonJS), typed as far as this renderer uses them; required on first use. */
export function nunjucksInternals(): NunjucksModule {
  return nunjucks() as unknown as NunjucksModule;
}

/** The AST transformer interface of nunjucks 3.2.4 (lifts `super()` calls and async filters). */
export interface NunjucksTransformer {
  transform(ast: NunjucksNode, asyncFilters: string[], name?: string): NunjucksNode;
}

let transformer: NunjucksTransformer | undefined;

/** nunjucks' AST transformer, required before compiling; required on first use. */
export function nunjucksTransformer(): NunjucksTransformer {
  return (transformer ??= require('nunjucks/src/transformer.js') as NunjucksTransformer);
}
