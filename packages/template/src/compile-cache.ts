import { compileTemplate, ANSIBLE_LEXER_OPTIONS, type CompiledTemplate } from './compiler.js';
import type { LexerOptions } from './jinja-lexer.js';
import { prepareSource } from './newlines.js';
import { pythonRuntime } from './runtime.js';

/*
 * Compiled templates, by name, source and lexer options: a run renders the same few templates
 * (and the files they include) for every host, and compiling is most of a first render's time.
 * Bounded: past MAX_CACHED entries the cache starts again.
 */
const MAX_CACHED = 500;
const compiled = new Map<string, CompiledTemplate>();
let compiles = 0;

/** The compiled form of `source` (through `prepareSource`), compiled once per name, source and options. */
export function compileCached(source: string, name: string, options: LexerOptions = ANSIBLE_LEXER_OPTIONS): CompiledTemplate {
  const key = `${name}\u0000${options.trimBlocks ? 1 : 0}${options.lstripBlocks ? 1 : 0}\u0000${source}`;
  let c = compiled.get(key);
  if (c === undefined) {
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiles++;
    c = compileTemplate(prepareSource(source), name, pythonRuntime(), options);
    compiled.set(key, c);
  }
  return c;
}

/** How many times a template was compiled (not found in the cache) in this process. */
export function compileCount(): number {
  return compiles;
}
