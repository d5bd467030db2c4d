import { dirname, resolve } from 'node:path';
import { ConvergeError } from '@converge/core';
import { compileCached } from './compile-cache.js';
import { readJinja2Header } from './jinja2-header.js';
import { setLookupRenderer } from './globals.js';
import './lookups.js';
import { createEnvironment } from './environment.js';
import { LazyVariable } from './lazy-vars.js';
import { nunjucks } from './nunjucks-internals.js';
import { PyFloat } from './python-value.js';
import { restoreTrailingNewlines } from './newlines.js';
import { TemplateFailure } from './template-failure.js';
import { UndefinedVariableError, isUndefined, throwUndefined } from './undefined.js';
import { withUndefinedNames } from './undefined-names.js';

/** Options of {@link renderTemplate}. */
export interface RenderOptions {
  /** The template's name or path, shown in errors (`template nginx.conf.j2:3: ...`). */
  file: string;
  /** Directories searched for `include`, `import` and `extends`; default: the directory of `file`. */
  searchPaths?: string[];
  /**
   * Told the name of each top-level variable the template reads that is not defined (it then
   * renders as Jinja2's undefined: an error where it is used, `false` for `is defined`), also
   * inside variables rendered lazily and included files. For a caller that renders before every
   * variable is known and must tell a missing variable from one that is not known yet.
   */
  onUndefinedName?: (name: string) => void;
}

const UNDEFINED_HINT = "define the variable, or allow it to be missing with 'is defined' or '| default(...)'";

function toConvergeError(e: unknown, file: string): ConvergeError {
  if (e instanceof ConvergeError) return e;
  let where = { file, line: undefined as number | undefined, column: undefined as number | undefined };
  let cause: unknown = e;
  if (e instanceof TemplateFailure) {
    where = { file: e.file ?? file, line: e.line, column: e.column };
    cause = e.original;
    if (cause instanceof ConvergeError) return cause;
  } else if (e instanceof Error && typeof (e as { lineno?: unknown }).lineno === 'number') {
    // nunjucks' TemplateError from the parser: 1-based lineno/colno, message without location.
    const te = e as Error & { lineno: number; colno?: number };
    where = { file, line: te.lineno, column: te.colno };
  }
  const reason = cause instanceof Error ? cause.message.replace(/^\(unknown path\)\s*(\[Line \d+, Column \d+\])?\s*/, '') : String(cause);
  const at = where.line === undefined ? where.file : `${where.file}:${where.line}`;
  const location = { file: where.file, ...(where.line !== undefined ? { line: where.line } : {}), ...(where.column !== undefined ? { column: where.column } : {}) };
  const hint = cause instanceof UndefinedVariableError ? UNDEFINED_HINT : undefined;
  return new ConvergeError('CONVERGE_TEMPLATE', `template ${at}: ${reason}`, { cause, location, ...(hint ? { hint } : {}) });
}

function contextFor(vars: Record<string, unknown>, searchPaths: string[]): Record<string, unknown> {
  const ctx: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const render = (s: string): string => renderSource(s, ctx, '(variable)', searchPaths);
  for (const [k, v] of Object.entries(vars)) ctx[k] = new LazyVariable(k, v, render, isTemplated);
  return ctx;
}

// A run renders the same few templates for every host: the environments (one per set of search
// paths) are kept, within bounds, and the compiled code is cached by compileCached (included
// files are read on each use, so a changed file is seen, and compiled once per content).
const MAX_CACHED = 500;
const environments = new Map<string, ReturnType<typeof createEnvironment>>();

function cached<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    v = make();
    cache.set(key, v);
  }
  return v;
}

function renderSource(source: string, ctx: Record<string, unknown>, file: string, searchPaths: string[]): string {
  const env = cached(environments, searchPaths.join('\u0000'), () => createEnvironment(searchPaths));
  const { source: body, options } = readJinja2Header(source);
  const compiled = compileCached(body, file, options);
  const template = new (nunjucks().Template)({ type: 'code', obj: compiled } as unknown as string, env, file);
  const out = template.render(ctx);
  return restoreTrailingNewlines(source, out);
}

setLookupRenderer((source, vars, file, searchPaths) => renderSource(source, contextFor(vars, searchPaths), file, searchPaths));

/**
 * Renders a Jinja2 template as Ansible's `template` module writes it, byte for byte: Jinja2
 * semantics (Python values, StrictUndefined), Ansible's filters and whitespace rules
 * (`trim_blocks` on, `lstrip_blocks` off, trailing newlines as in {@link ./newlines.ts}).
 * Variables whose strings contain `{{ }}` are rendered when first used, as Ansible does.
 *
 * @throws ConvergeError `CONVERGE_TEMPLATE` with `location: { file, line, column }` for a syntax
 *   error, an undefined variable (`template nginx.conf.j2:3: 'port' is undefined`) or a failing
 *   filter.
 * @example
 * renderTemplate('listen {{ port }}\n', { port: 80 }, { file: 'nginx.conf.j2' }) // 'listen 80\n'
 */
export function renderTemplate(source: string, vars: Record<string, unknown>, options: RenderOptions): string {
  const searchPaths = options.searchPaths ?? [dirname(resolve(options.file))];
  try {
    return withUndefinedNames(options.onUndefinedName, () => renderSource(source, contextFor(vars, searchPaths), options.file, searchPaths));
  } catch (e) {
    throw toConvergeError(e, options.file);
  }
}

/**
 * Renders a string that may hold `{{ }}` or `{% %}` (a variable's value, a task parameter) with
 * the same engine and rules as {@link renderTemplate}; the result is always a string (a string
 * that is exactly one `{{ expr }}` gives that expression's string rendering).
 *
 * @throws ConvergeError `CONVERGE_TEMPLATE`; `file` defaults to `(string)` in messages.
 */
export function renderString(source: string, vars: Record<string, unknown>, options: Partial<RenderOptions> = {}): string {
  if (!isTemplated(source)) return source;
  const file = options.file ?? '(string)';
  return renderTemplate(source, vars, { file, searchPaths: options.searchPaths ?? [process.cwd()], ...(options.onUndefinedName ? { onUndefinedName: options.onUndefinedName } : {}) });
}

/**
 * Evaluates a bare Jinja2 expression, such as an Ansible `when:` condition, and returns its value
 * as JavaScript: booleans, numbers, strings, arrays, objects, `null` for `None` (a whole-number
 * float comes back as a number). `onUndefinedName` is told of the top-level variables it reads
 * that are not defined, as {@link RenderOptions.onUndefinedName}.
 *
 * @throws ConvergeError `CONVERGE_TEMPLATE` for a syntax error or when the result, or anything
 *   the expression needs, is undefined.
 * @example
 * evaluateExpression("os == 'debian' and port | int > 1024", { os: 'debian', port: '8080' }) // true
 */
export function evaluateExpression(expr: string, vars: Record<string, unknown>, options: Pick<RenderOptions, 'onUndefinedName'> = {}): unknown {
  let result: unknown;
  const capture = '__converge_capture__';
  const source = `{{ ${capture}((${expr})) }}`;
  try {
    const ctx = contextFor(vars, [process.cwd()]);
    ctx[capture] = (v: unknown) => {
      if (isUndefined(v)) throwUndefined(v);
      result = v;
      return '';
    };
    withUndefinedNames(options.onUndefinedName, () => renderSource(source, ctx, '(expression)', [process.cwd()]));
  } catch (e) {
    throw toConvergeError(e, `(expression) ${expr}`);
  }
  return result instanceof PyFloat ? result.value : result;
}

/**
 * True when `s` holds Jinja2 markup (`{{`, `{%` or `{#`), i.e. Ansible would template it.
 * Source: Ansible `template/__init__.py` (`is_template`).
 */
export function isTemplated(s: string): boolean {
  return /\{\{|\{%|\{#/.test(s);
}
