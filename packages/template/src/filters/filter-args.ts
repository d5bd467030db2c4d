import { splitKwargs } from '../python-methods.js';
import { strict } from '../undefined.js';

/** A filter's arguments after the value: positional ones and keyword ones, Undefined-checked. */
export interface FilterArgs {
  positional: unknown[];
  kwargs: Record<string, unknown>;
  /** The argument at `index`, or keyword `name`, or `fallback`. */
  get(index: number, name: string, fallback: unknown): unknown;
}

/** Parses nunjucks' filter arguments (positional, then an optional keyword object). */
export function filterArgs(args: unknown[]): FilterArgs {
  const { positional, kwargs } = splitKwargs(args);
  return {
    positional,
    kwargs,
    get(index, name, fallback) {
      if (Object.hasOwn(kwargs, name)) return strict(kwargs[name], name);
      return index < positional.length ? strict(positional[index], name) : fallback;
    },
  };
}

/** A filter as nunjucks calls it: `this` is the render context, then the value and the arguments. */
export type Filter = (this: FilterContext, value: unknown, ...args: unknown[]) => unknown;

/** The parts of nunjucks' render context that filters use (to call other filters and tests). */
export interface FilterContext {
  env: {
    getFilter(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
    getTest(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
  };
}
