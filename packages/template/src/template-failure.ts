/**
 * An error raised while rendering, with the template and the 1-based line and column where it
 * happened. It carries nunjucks' `Update` hook so that nunjucks passes it through unchanged;
 * the public functions turn it into a `ConvergeError` with code `CONVERGE_TEMPLATE`.
 */
export class TemplateFailure extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The underlying error (an UndefinedVariableError, a TypeError from a filter, ...). */
  readonly original: unknown;
  constructor(original: unknown, file: string | undefined, line: number | undefined, column: number | undefined) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
    this.name = 'TemplateFailure';
    this.original = original;
    this.file = file;
    this.line = line;
    this.column = column;
  }
  /** nunjucks calls this with the template path; the location is already known. */
  Update(): this {
    return this;
  }
}
